import Foundation

/// Why a PyTorch checkpoint could not be read or written. The description names the file, the
/// state-dict key when one is involved, and what is wrong, e.g.
/// "disallowed global 'os.system' in model.pth; only state dicts of tensors can be loaded".
public struct TorchCheckpointError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable, Sendable {
        /// The file calls a global that a state dict never needs (the name is `module.name`).
        case disallowedGlobal(String)
        /// The file is damaged, truncated or inconsistent.
        case malformed
        /// A valid checkpoint that holds something Ember does not load (a dtype, a nested object).
        case unsupported
        /// Reading or writing the file failed.
        case io
    }

    public let kind: Kind
    /// The file (its last path component), or "<data>" for in-memory input.
    public let file: String
    /// The state-dict key involved, if any.
    public let key: String?
    /// What is wrong.
    public let message: String

    public init(_ kind: Kind, file: String, key: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        let keyPart = key.map { " at key '\($0)'" } ?? ""
        switch kind {
        case let .disallowedGlobal(name):
            return "disallowed global '\(name)' in \(file)\(keyPart); only state dicts of tensors can be loaded"
        default:
            return "\(file)\(keyPart): \(message)"
        }
    }
}
