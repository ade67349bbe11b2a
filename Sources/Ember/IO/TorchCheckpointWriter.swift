import Foundation

/// Lays out tensors as a PyTorch state dict: one storage per Ember storage (only the part the
/// tensors use), each tensor a view into it with its offset and strides, and the pickle that
/// `torch.load(weights_only=True)` rebuilds into an OrderedDict in the given key order.
struct TorchCheckpointWriter {
    private struct StoragePart {
        let key: String
        let tensor: Tensor  // keeps the source storage alive
        let type: TorchStorageType
        /// First and one-past-last element of the source storage that is written.
        var lo: Int
        var hi: Int
    }

    private struct Entry {
        let key: String
        let storage: Int
        let offset: Int
        let shape: [Int]
        let strides: [Int]
    }

    private var parts: [StoragePart] = []
    private var entries: [Entry] = []
    let file: String

    init(_ tensors: [(key: String, tensor: Tensor)], file: String) throws {
        self.file = file
        var seenKeys = Set<String>()
        var byStorage: [ObjectIdentifier: Int] = [:]
        for (key, original) in tensors {
            guard seenKeys.insert(key).inserted else {
                throw TorchCheckpointError(.unsupported, file: file, key: key, "the key appears twice")
            }
            var tensor = original.device == .cpu ? original : original.to(.cpu)
            if tensor.count > 0, tensor.strides.contains(where: { $0 < 0 }) {
                tensor = noGrad { tensor.contiguous() }  // PyTorch has no negative strides
            }
            // The elements this view touches: [lo, hi).
            let empty = tensor.count == 0
            let offset = empty ? 0 : tensor.offset
            let lo = offset
            var hi = empty ? 0 : offset + 1
            if !empty {
                for (d, s) in zip(tensor.shape, tensor.strides) { hi += (d - 1) * s }
            }
            let id = ObjectIdentifier(tensor.storage)
            let index: Int
            if let known = byStorage[id], !empty {
                index = known
                parts[index].lo = min(parts[index].lo, lo)
                parts[index].hi = max(parts[index].hi, hi)
            } else {
                index = parts.count
                if !empty { byStorage[id] = index }
                parts.append(StoragePart(key: String(index), tensor: tensor, type: .forWriting(tensor.dtype), lo: lo, hi: hi))
            }
            entries.append(Entry(key: key, storage: index, offset: offset, shape: tensor.shape, strides: tensor.strides))
        }
    }

    /// The state-dict pickle (protocol 2, as `torch.save` writes).
    func pickle() -> [UInt8] {
        var w = PickleWriter()
        w.proto(2)
        w.global("collections", "OrderedDict")
        w.op(.emptyTuple)
        w.op(.reduce)
        w.op(.mark)
        for entry in entries {
            let part = parts[entry.storage]
            w.string(entry.key)
            w.global("torch._utils", "_rebuild_tensor_v2")
            w.op(.mark)
            // The persistent id: ('storage', torch.FloatStorage, key, 'cpu', element count)
            w.op(.mark)
            w.string("storage")
            w.global("torch", part.type.rawValue)
            w.string(part.key)
            w.string("cpu")
            w.int(part.hi - part.lo)
            w.op(.tuple)
            w.op(.binPersid)
            w.int(entry.offset - part.lo)
            w.intTuple(entry.shape)
            w.intTuple(entry.strides)
            w.bool(false)  // requires_grad
            w.global("collections", "OrderedDict")  // backward hooks
            w.op(.emptyTuple)
            w.op(.reduce)
            w.op(.tuple)
            w.op(.reduce)
        }
        w.op(.setItems)
        w.op(.stop)
        return w.bytes
    }

    /// The record folder name: the file's stem, as PyTorch uses, limited to safe characters.
    static func archiveName(for url: URL) -> String {
        let stem = url.deletingPathExtension().lastPathComponent
        let safe = String(stem.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
        return safe.isEmpty ? "archive" : String(safe.prefix(100))
    }

    func write(to url: URL) throws {
        let zip = try TorchZipWriter(destination: url)
        let archive = Self.archiveName(for: url)
        let pickle = self.pickle()
        try pickle.withUnsafeBytes { try zip.add("\(archive)/data.pkl", $0) }
        try zip.add("\(archive)/.format_version", "1")
        try zip.add("\(archive)/.storage_alignment", "\(TorchZipWriter.alignment)")
        try zip.add("\(archive)/byteorder", "little")
        for part in parts {
            let itemSize = part.tensor.dtype.itemSize
            let count = part.hi - part.lo
            precondition((part.hi) * itemSize <= part.tensor.storage.byteCount, "tensor view outside its storage")
            let bytes = UnsafeRawBufferPointer(start: part.tensor.storage.pointer + part.lo * itemSize, count: count * itemSize)
            try zip.add("\(archive)/data/\(part.key)", bytes)  // little-endian: Ember's platforms are
        }
        try zip.add("\(archive)/version", "3\n")
        try zip.finish()
    }
}
