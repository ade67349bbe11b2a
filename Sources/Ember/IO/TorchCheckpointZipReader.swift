import Foundation
import ZIPFoundation

/// Reads the zip-based checkpoint format of PyTorch ≥ 1.6: `<archive>/data.pkl` (the state-dict
/// pickle, whose persistent ids name storages), `<archive>/data/<key>` (raw storage bytes),
/// `<archive>/byteorder` and `<archive>/version`. The archive folder's name varies.
///
/// The archive is always read from a file: ZIPFoundation's in-memory archives (0.9.20) crash on
/// a central directory that points past the end of the data, while file-backed ones read short
/// and fail cleanly.
struct TorchZipCheckpointReader {
    let url: URL
    /// Bytes in the file; no record may claim more.
    let fileSize: Int
    let file: String

    /// Reads checkpoint bytes by way of a temporary file.
    static func read(_ data: Data, file: String) throws -> [(key: String, tensor: Tensor)] {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("ember-checkpoint-\(UUID().uuidString).pth")
        do {
            try data.write(to: temporary)
        } catch {
            throw TorchCheckpointError(.io, file: file, "cannot write a temporary copy: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: temporary) }
        return try TorchZipCheckpointReader(url: temporary, fileSize: data.count, file: file).read()
    }

    /// Largest pickle accepted (a state dict's pickle is a few bytes per tensor).
    static let maxPickleBytes = 256 << 20

    func read() throws -> [(key: String, tensor: Tensor)] {
        let mapped: Data
        do {
            mapped = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TorchCheckpointError(.io, file: file, "cannot read the file: \(error.localizedDescription)")
        }
        try mapped.withUnsafeBytes { try ZipStructure.validate($0, file: file) }
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw TorchCheckpointError(.malformed, file: file, "not a readable zip archive (\(error))")
        }
        // First entry with each path, as PyTorch's reader does; one pass, not one scan per lookup.
        var entries: [String: Entry] = [:]
        var pickleEntry: Entry?
        for entry in archive where entries[entry.path] == nil {
            entries[entry.path] = entry
            let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            if pickleEntry == nil, parts.count == 2, parts[1] == "data.pkl", !parts[0].isEmpty {
                pickleEntry = entry
            }
        }
        guard let pickleEntry else {
            throw TorchCheckpointError(.malformed, file: file, "the zip archive has no '<archive>/data.pkl' record")
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))

        var bigEndian = false
        if let entry = entries[prefix + "byteorder"] {
            let text = String(decoding: try contents(of: entry, in: archive, limit: 64), as: UTF8.self)
            switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw TorchCheckpointError(.malformed, file: file, "unknown byte order '\(text.prefix(20))'")
            }
        }

        let pickle = try contents(of: pickleEntry, in: archive, limit: Self.maxPickleBytes)
        let hooks = TorchStateDictHooks(legacy: false)
        let state = try TorchCheckpoint.reporting(file: file) {
            try Unpickler(pickle, hooks: hooks).load { try TorchCheckpoint.stateDict($0, file: file) }
        }
        return try TorchCheckpoint.materialize(state, file: file) { ref in
            guard let entry = entries[prefix + "data/" + ref.key] else {
                throw TorchCheckpointError(.malformed, file: file, "storage '\(ref.key.prefix(100))' has no record '\(prefix)data/\(ref.key.prefix(100))'")
            }
            let needed = ref.count * ref.type.itemSize
            let bytes = try contents(of: entry, in: archive, limit: needed, exact: false)
            guard bytes.count >= needed else {
                throw TorchCheckpointError(.malformed, file: file,
                                           "storage '\(ref.key.prefix(100))' holds \(bytes.count) bytes; its \(ref.count) elements need \(needed)")
            }
            return bytes.withUnsafeBytes { ref.type.makeStorage(from: $0, count: ref.count, bigEndian: bigEndian) }
        }
    }

    private struct Overrun: Error {}

    /// An entry's bytes, checked against the archive's size before anything is read: entries are
    /// stored uncompressed by `torch.save`, so a declared size beyond the archive is a lie.
    /// With `exact: false`, reading stops after `limit` bytes (a storage larger than its tensors).
    private func contents(of entry: Entry, in archive: Archive, limit: Int, exact: Bool = true) throws -> Data {
        guard entry.type == .file else {
            throw TorchCheckpointError(.malformed, file: file, "'\(entry.path.prefix(200))' is not a file")
        }
        guard !entry.isCompressed else {
            throw TorchCheckpointError(.unsupported, file: file,
                                       "'\(entry.path.prefix(200))' is compressed; torch.save stores its records uncompressed")
        }
        let size = entry.uncompressedSize
        guard size == entry.compressedSize, size <= UInt64(fileSize) else {
            throw TorchCheckpointError(.malformed, file: file,
                                       "'\(entry.path.prefix(200))' declares \(size) bytes in an archive of \(fileSize)")
        }
        guard !exact || size <= UInt64(limit) else {
            throw TorchCheckpointError(.malformed, file: file, "'\(entry.path.prefix(200))' is larger than \(limit) bytes")
        }
        // A record larger than needed (a storage beyond its tensors) is read only as far as needed;
        // otherwise all of it, with its CRC checked.
        let whole = size <= UInt64(limit)
        let wanted = Int(min(size, UInt64(limit)))
        var out = Data()
        out.reserveCapacity(wanted)
        do {
            _ = try archive.extract(entry, skipCRC32: !whole) { chunk in
                if chunk.isEmpty && out.count < wanted { throw Overrun() }  // short read: the file ended
                out.append(chunk.prefix(wanted - out.count))
                if !whole && out.count >= wanted { throw Overrun() }  // have enough
            }
        } catch is Overrun where !whole && out.count >= wanted {
            // Stopped early on purpose.
        } catch is Overrun {
            throw TorchCheckpointError(.malformed, file: file, "'\(entry.path.prefix(200))' is truncated")
        } catch let error as TorchCheckpointError {
            throw error
        } catch {
            throw TorchCheckpointError(.malformed, file: file, "cannot read '\(entry.path.prefix(200))': \(error)")
        }
        guard out.count == wanted else {
            throw TorchCheckpointError(.malformed, file: file, "'\(entry.path.prefix(200))' is truncated")
        }
        return out
    }
}
