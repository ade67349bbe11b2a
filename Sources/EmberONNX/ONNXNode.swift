import Ember

/// What a compiled node does when the graph runs: its input tensors (nil for an omitted optional
/// input) to its outputs, in the node's order.
typealias ONNXKernel = (_ inputs: [Tensor?]) throws -> [Tensor]

/// Turns a node into its kernel, reading and checking its attributes once, when the model loads.
typealias OperatorCompiler = (ONNXNode) throws -> ONNXKernel

/// A failure found while a kernel runs; the graph adds the node's name (`ONNXError.nodeFailed`).
struct KernelFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// One node of the graph as an operator compiler sees it: typed access to its attributes, with
/// errors that name the node.
struct ONNXNode {
    let proto: Onnx_NodeProto
    /// The version of the default ONNX operator set the model imports; operators changed over versions.
    let opset: Int
    private let attributes: [String: Onnx_AttributeProto]

    init(_ proto: Onnx_NodeProto, opset: Int) {
        self.proto = proto
        self.opset = opset
        attributes = Dictionary(proto.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `Conv 'conv1'`, or `Conv (output 'x3')` for an unnamed node.
    var label: String {
        proto.name.isEmpty ? "\(proto.opType) (output '\(proto.output.first ?? "")')" : "\(proto.opType) '\(proto.name)'"
    }

    var inputCount: Int { proto.input.count }
    var outputCount: Int { proto.output.count }

    /// Whether optional input `i` is given (ONNX omits one with an empty name).
    func hasInput(_ i: Int) -> Bool { i < proto.input.count && !proto.input[i].isEmpty }

    func invalid(_ why: String) -> ONNXError { .invalidModel("\(label): \(why)") }
    func unsupported(_ why: String) -> ONNXError { .unsupported("\(label): \(why)") }

    /// Checks the number of inputs when the model loads.
    func requireInputs(_ range: ClosedRange<Int>) throws {
        guard range.contains(inputCount) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
            throw invalid("has \(inputCount) inputs, expected \(expected)")
        }
    }

    private func attribute(_ name: String, _ type: Onnx_AttributeProto.AttributeType) throws -> Onnx_AttributeProto? {
        guard let a = attributes[name] else { return nil }
        // Models from old exporters leave `type` unset; then the field that holds a value tells.
        if a.hasType && a.type != type {
            throw invalid("attribute '\(name)' is \(a.type), expected \(type)")
        }
        return a
    }

    func int(_ name: String) throws -> Int? { try attribute(name, .int).map { Int($0.i) } }
    func int(_ name: String, default value: Int) throws -> Int { try int(name) ?? value }
    func ints(_ name: String) throws -> [Int]? { try attribute(name, .ints).map { $0.ints.map { Int($0) } } }
    func float(_ name: String, default value: Float) throws -> Float { try attribute(name, .float)?.f ?? value }
    func floats(_ name: String) throws -> [Float]? { try attribute(name, .floats)?.floats }
    func string(_ name: String, default value: String) throws -> String {
        try attribute(name, .string).map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }
    func tensor(_ name: String) throws -> Onnx_TensorProto? { try attribute(name, .tensor)?.t }
    var attributeNames: [String] { Array(attributes.keys) }
}

/// Reading kernel inputs.
extension Array where Element == Tensor? {
    /// Input `i`, which the operator requires.
    func required(_ i: Int) throws -> Tensor {
        guard i < count, let t = self[i] else { throw KernelFailure("input \(i) is required but missing") }
        return t
    }

    /// Optional input `i`, nil when omitted.
    func optional(_ i: Int) -> Tensor? { i < count ? self[i] : nil }
}

extension Tensor {
    /// The values of a small integer tensor (shapes, axes, pads) read on the host.
    var hostInts: [Int] { toIntArray() }
}
