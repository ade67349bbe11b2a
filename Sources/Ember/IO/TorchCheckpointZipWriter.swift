import CEmberZlib
import Foundation

/// Writes an uncompressed ("stored") zip archive the way PyTorch's `PyTorchStreamWriter` does:
/// each record's data aligned to 64 bytes by padding in an extra field (id "FB"), so that PyTorch
/// can memory-map storages. The archive goes through `AtomicFileWriter`: a temporary file beside
/// the destination, renamed over it only when complete. Archives up to 4 GiB (no ZIP64).
final class TorchZipWriter {
    static let alignment = 64

    private let out: AtomicFileWriter
    private let file: String
    private var offset = 0
    private var centralDirectory: [UInt8] = []
    private var entryCount = 0

    init(destination: URL) throws {
        file = destination.lastPathComponent
        do {
            out = try AtomicFileWriter(destination: destination)
        } catch {
            throw TorchCheckpointError(.io, file: file, "\(error)")
        }
    }

    /// Adds one stored record.
    func add(_ name: String, _ bytes: UnsafeRawBufferPointer) throws {
        let nameBytes = Array(name.utf8)
        let headerEnd = offset + 30 + nameBytes.count + 4
        let padding = (Self.alignment - headerEnd % Self.alignment) % Self.alignment
        let crc = Self.crc32(bytes)
        let size = bytes.count
        guard offset + 30 + nameBytes.count + 4 + padding + size < Int(UInt32.max) else {
            throw TorchCheckpointError(.unsupported, file: file, "checkpoints over 4 GiB (ZIP64) are not supported yet")
        }
        let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800  // UTF-8 names

        var header: [UInt8] = []
        header.le(0x0403_4B50, 4)
        header.le(20, 2)  // version needed: 2.0
        header.le(UInt64(flags), 2)
        header.le(0, 2)  // stored
        header.le(0, 2)  // time
        header.le(0x21, 2)  // date: 1980-01-01, fixed so output is reproducible
        header.le(UInt64(crc), 4)
        header.le(UInt64(size), 4)
        header.le(UInt64(size), 4)
        header.le(UInt64(nameBytes.count), 2)
        header.le(UInt64(4 + padding), 2)
        header += nameBytes
        header.le(0x4246, 2)  // "FB": PyTorch's alignment padding
        header.le(UInt64(padding), 2)
        header += [UInt8](repeating: 0x5A, count: padding)

        var central: [UInt8] = []
        central.le(0x0201_4B50, 4)
        central.le(20, 2)  // version made by
        central.le(20, 2)  // version needed
        central.le(UInt64(flags), 2)
        central.le(0, 2)
        central.le(0, 2)
        central.le(0x21, 2)
        central.le(UInt64(crc), 4)
        central.le(UInt64(size), 4)
        central.le(UInt64(size), 4)
        central.le(UInt64(nameBytes.count), 2)
        central.le(0, 2)  // extra
        central.le(0, 2)  // comment
        central.le(0, 2)  // disk
        central.le(0, 2)  // internal attributes
        central.le(0, 4)  // external attributes
        central.le(UInt64(offset), 4)
        central += nameBytes
        centralDirectory += central

        try write(header)
        if size > 0, let base = bytes.baseAddress {
            try write(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: size, deallocator: .none))
        }
        offset += header.count + size
        entryCount += 1
    }

    func add(_ name: String, _ text: String) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { try add(name, UnsafeRawBufferPointer($0)) }
    }

    /// Writes the central directory, flushes, and renames the temporary file into place.
    func finish() throws {
        guard entryCount < 0xFFFF, offset + centralDirectory.count < Int(UInt32.max) else {
            throw TorchCheckpointError(.unsupported, file: file, "checkpoints over 4 GiB or 65535 records (ZIP64) are not supported yet")
        }
        var end: [UInt8] = []
        end.le(0x0605_4B50, 4)
        end.le(0, 2)
        end.le(0, 2)
        end.le(UInt64(entryCount), 2)
        end.le(UInt64(entryCount), 2)
        end.le(UInt64(centralDirectory.count), 4)
        end.le(UInt64(offset), 4)
        end.le(0, 2)
        try write(centralDirectory)
        try write(end)
        do {
            try out.commit()
        } catch {
            throw TorchCheckpointError(.io, file: file, "\(error)")
        }
    }

    private func write(_ bytes: [UInt8]) throws { try write(Data(bytes)) }

    private func write(_ data: Data) throws {
        do {
            try out.write(data)
        } catch {
            throw TorchCheckpointError(.io, file: file, "\(error)")
        }
    }

    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CEmberZlib.crc32(0, nil, 0)
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return UInt32(crc) }
        var left = bytes.count
        while left > 0 {
            let n = min(left, 1 << 30)
            crc = CEmberZlib.crc32(crc, p, uInt(n))
            p += n
            left -= n
        }
        return UInt32(crc)
    }
}

private extension Array where Element == UInt8 {
    /// Appends `value` as `width` little-endian bytes.
    mutating func le(_ value: UInt64, _ width: Int) {
        for i in 0..<width { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
