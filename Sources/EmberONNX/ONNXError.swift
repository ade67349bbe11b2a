import Foundation

/// Why an ONNX model could not be read or run. Each message names the file, node or input at fault
/// and, where there is one, what to do about it.
public enum ONNXError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read, or is not an ONNX model (a protobuf `ModelProto`).
    case unreadable(file: String, reason: String)
    /// The model uses something Ember does not run (an operator, a data type, an attribute value).
    case unsupported(String)
    /// The model contradicts itself or the ONNX specification (a missing input, a bad attribute).
    case invalidModel(String)
    /// The inputs given to `run` do not match the graph's inputs.
    case badInput(String)
    /// A node failed while running, with the node named.
    case nodeFailed(node: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "cannot read ONNX model \(file): \(reason)"
        case .unsupported(let what): return "unsupported ONNX model: \(what)"
        case .invalidModel(let what): return "invalid ONNX model: \(what)"
        case .badInput(let what): return "bad input for the ONNX model: \(what)"
        case .nodeFailed(let node, let reason): return "ONNX node \(node) failed: \(reason)"
        }
    }
}

extension ONNXError: LocalizedError {
    public var errorDescription: String? { description }
}
