import Foundation

extension Module {
    /// Writes the state dict (parameters and buffers, by their dotted names) to a safetensors file,
    /// loadable by PyTorch with `model.load_state_dict(safetensors.torch.load_file(path))`.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        let tensors = noGrad { stateDict().mapValues { $0.contiguous() } }
        try Safetensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a safetensors file written by `save(to:)` (or by PyTorch's safetensors) and loads it
    /// with `loadStateDict(_:strict:)`, so it throws `StateDictError` when the keys or shapes differ.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws -> LoadStateDictResult {
        let (tensors, _) = try Safetensors.read(contentsOf: url)
        return try loadStateDict(tensors, strict: strict)
    }
}
