import Foundation

/// PyTorch state-dict checkpoints (`.pth` / `.pt`), read and written without Python.
///
/// Reading accepts what `torch.save(model.state_dict(), path)` writes: the zip-based format of
/// PyTorch ≥ 1.6 and the legacy format before it. The pickle inside is read by a safe unpickler
/// that, like `torch.load(weights_only=True)`, only accepts the globals a state dict of tensors
/// needs; no code from the file runs, and a damaged or hostile file throws a
/// `TorchCheckpointError`. Tensors of float32, float64, float16 and bfloat16 load as float32, and
/// integer and bool tensors as int64. Views keep their layout: tensors that shared a storage in
/// PyTorch share one in Ember, with the same offsets and strides.
///
/// Writing produces the zip format (float32 and int64 tensors), which `torch.load(path,
/// weights_only=True)` reads as an OrderedDict with the keys in the given order.
///
/// ```swift
/// let state = try TorchCheckpoint.read(contentsOf: URL(fileURLWithPath: "mlp.pth"))
/// for (key, tensor) in state { print(key, tensor.shape) }
/// try TorchCheckpoint.write(state, to: URL(fileURLWithPath: "copy.pth"))
/// ```
public enum TorchCheckpoint {
    /// The state dict in a checkpoint file, in the file's key order.
    public static func read(contentsOf url: URL) throws -> [(key: String, tensor: Tensor)] {
        let file = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw TorchCheckpointError(.io, file: file, "cannot read the file: \(error.localizedDescription)")
        }
        if isZip(data) {
            return try TorchZipCheckpointReader(url: url, fileSize: data.count, file: file).read()
        }
        return try read(data, name: file)
    }

    /// "PK" and a zip record signature.
    private static func isZip(_ data: Data) -> Bool {
        let bytes = [UInt8](data.prefix(4))
        return bytes.count == 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] <= 8 && bytes[3] <= 8
    }

    /// The state dict in checkpoint bytes; `name` labels errors.
    public static func read(_ data: Data, name: String = "<data>") throws -> [(key: String, tensor: Tensor)] {
        if isZip(data) {
            return try TorchZipCheckpointReader.read(data, file: name)
        }
        if data.first == PickleOpcode.proto.rawValue {
            return try TorchLegacyCheckpointReader(data: data, file: name).read()
        }
        if data.count > 262, data[data.startIndex + 257..<data.startIndex + 262] == Data("ustar".utf8) {
            throw TorchCheckpointError(.unsupported, file: name, "the tar-based format of PyTorch < 0.4 is not supported")
        }
        throw TorchCheckpointError(.malformed, file: name, "not a PyTorch checkpoint (neither a zip archive nor a pickle)")
    }

    /// Writes tensors as a PyTorch state dict in the zip format, keys in the given order. The file
    /// is written to a temporary file beside `url` and renamed when complete.
    public static func write(_ tensors: [(key: String, tensor: Tensor)], to url: URL) throws {
        try TorchCheckpointWriter(tensors, file: url.lastPathComponent).write(to: url)
    }

    // MARK: - Shared by the readers

    /// Runs `body`, turning unpickler and archive errors into `TorchCheckpointError`s for `file`.
    static func reporting<T>(file: String, key: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TorchCheckpointError {
            throw error
        } catch let error as PickleError {
            switch error.kind {
            case let .disallowedGlobal(name): throw TorchCheckpointError(.disallowedGlobal(name), file: file, key: key, error.description)
            case .malformed: throw TorchCheckpointError(.malformed, file: file, key: key, error.description)
            case .unsupported: throw TorchCheckpointError(.unsupported, file: file, key: key, error.description)
            }
        } catch {
            throw TorchCheckpointError(.malformed, file: file, key: key, "\(error)")
        }
    }

    /// The (key, tensor description) pairs of an unpickled state dict.
    static func stateDict(_ value: PickleValue, file: String) throws -> [(key: String, tensor: TorchTensorRef)] {
        guard case let .dict(dict) = value else {
            throw TorchCheckpointError(.unsupported, file: file,
                                       "the checkpoint holds a \(value.typeName), not a state dict (a dict of tensors)")
        }
        var out: [(key: String, tensor: TorchTensorRef)] = []
        out.reserveCapacity(dict.count)
        for (key, value) in dict.entries {
            guard case let .string(name) = key else {
                throw TorchCheckpointError(.unsupported, file: file, "a state-dict key is a \(key.typeName), not a string")
            }
            guard case let .opaque(object) = value, let tensor = object as? TorchTensorRef else {
                throw TorchCheckpointError(.unsupported, file: file, key: name,
                                           "the value is a \(value.typeName), not a tensor; only state dicts of tensors can be loaded")
            }
            out.append((name, tensor))
        }
        return out
    }

    /// Turns tensor descriptions into Ember tensors, loading each storage once through `load` so
    /// that views keep sharing it.
    static func materialize(_ entries: [(key: String, tensor: TorchTensorRef)], file: String,
                            load: (TorchStorageRef) throws -> Storage) throws -> [(key: String, tensor: Tensor)] {
        var loaded: [ObjectIdentifier: Storage] = [:]
        return try entries.map { entry in
            let ref = entry.tensor
            let storage: Storage
            if let known = loaded[ObjectIdentifier(ref.storage)] {
                storage = known
            } else {
                storage = try reporting(file: file, key: entry.key) { try load(ref.storage) }
                loaded[ObjectIdentifier(ref.storage)] = storage
            }
            // An empty tensor's strides carry no information; Ember's kernels expect them contiguous
            // (copying an empty view with other strides divides by zero in StridedLoop).
            let empty = ref.shape.contains(0)
            let tensor = Tensor(storage: storage, shape: ref.shape,
                                strides: empty ? Shape.contiguousStrides(ref.shape) : ref.strides,
                                offset: empty ? 0 : ref.offset, dtype: ref.storage.type.emberDType)
            return (entry.key, tensor)
        }
    }
}
