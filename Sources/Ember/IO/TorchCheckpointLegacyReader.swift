import Foundation

/// Reads the checkpoint format of PyTorch < 1.6 (`_use_new_zipfile_serialization=False`): five
/// pickles in a row (the magic number, the protocol version 1001, system info, the state dict, the
/// list of storage keys), then each storage in the order of that list as an 8-byte little-endian
/// element count followed by its raw little-endian elements.
struct TorchLegacyCheckpointReader {
    let data: Data
    let file: String

    /// 0x1950a86a20f9469cfc6c, little-endian, as pickled by `torch.save`.
    static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    func read() throws -> [(key: String, tensor: Tensor)] {
        let hooks = TorchStateDictHooks(legacy: true)
        var position = 0
        /// The next pickle in the file, handed to `body`.
        func next<T>(_ what: String, _ body: (PickleValue) throws -> T) throws -> T {
            let unpickler = Unpickler(data, at: position, hooks: hooks)
            let result = try TorchCheckpoint.reporting(file: file) { try unpickler.load(body) }
            position = unpickler.position
            return result
        }

        try next("magic number") { value in
            guard case let .bigInt(bytes) = value, bytes == Self.magic else {
                throw TorchCheckpointError(.malformed, file: file, "not a PyTorch checkpoint (the legacy magic number is missing)")
            }
        }
        try next("protocol version") { value in
            guard value.intValue == Self.protocolVersion else {
                throw TorchCheckpointError(.unsupported, file: file, "legacy protocol version \(value.intValue.map(String.init) ?? value.typeName), expected 1001")
            }
        }
        try next("system info") { value in
            guard case .dict = value else { throw TorchCheckpointError(.malformed, file: file, "system info is a \(value.typeName)") }
        }
        let state = try next("state dict") { try TorchCheckpoint.stateDict($0, file: file) }
        let keys: [String] = try next("storage keys") { value in
            guard let items = value.sequence else {
                throw TorchCheckpointError(.malformed, file: file, "the storage key list is a \(value.typeName)")
            }
            return try items.map {
                switch $0 {
                case let .string(s): return s
                case let .int(i): return String(i)
                default: throw TorchCheckpointError(.malformed, file: file, "a storage key is a \($0.typeName)")
                }
            }
        }

        // The raw storages, in key order; each must be one the pickle described.
        var storages: [String: Storage] = [:]
        for key in keys {
            guard let ref = hooks.storages[key] else {
                throw TorchCheckpointError(.malformed, file: file, "storage '\(key.prefix(100))' in the key list is not used by the pickle")
            }
            guard storages[key] == nil else {
                throw TorchCheckpointError(.malformed, file: file, "storage '\(key.prefix(100))' is listed twice")
            }
            guard data.count - position >= 8 else {
                throw TorchCheckpointError(.malformed, file: file, "the file ends before storage '\(key.prefix(100))'")
            }
            var count: UInt64 = 0
            for i in 0..<8 { count |= UInt64(data[data.startIndex + position + i]) << (8 * UInt64(i)) }
            position += 8
            guard count == UInt64(ref.count) else {
                throw TorchCheckpointError(.malformed, file: file,
                                           "storage '\(key.prefix(100))' holds \(count) elements; the pickle says \(ref.count)")
            }
            let bytes = ref.count * ref.type.itemSize  // count ≤ Int.max / 8, so no overflow
            guard data.count - position >= bytes else {
                throw TorchCheckpointError(.malformed, file: file,
                                           "storage '\(key.prefix(100))' needs \(bytes) bytes; \(data.count - position) remain")
            }
            let start = data.startIndex + position
            storages[key] = data[start..<(start + bytes)].withUnsafeBytes {
                ref.type.makeStorage(from: $0, count: ref.count, bigEndian: false)
            }
            position += bytes
        }
        return try TorchCheckpoint.materialize(state, file: file) { ref in
            guard let storage = storages[ref.key] else {
                throw TorchCheckpointError(.malformed, file: file, "storage '\(ref.key.prefix(100))' is missing from the file")
            }
            return storage
        }
    }
}
