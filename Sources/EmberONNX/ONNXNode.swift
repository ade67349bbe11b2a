import Ember
import Foundation

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
    /// Where tensors in attributes (a Constant's value) find their external data.
    let baseDirectory: URL?
    private let attributes: [String: Onnx_AttributeProto]

    init(_ proto: Onnx_NodeProto, opset: Int, baseDirectory: URL? = nil) {
        self.proto = proto
        self.opset = opset
        self.baseDirectory = baseDirectory
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
    /// The values of a small integer tensor (shapes, axes, pads) read on the host; a float one must
    /// hold whole numbers in Int's range.
    func hostInts() throws -> [Int] {
        if dtype == .int64 { return toIntArray() }
        return try toArray().map { try exactInt($0, "a value of a shape, axes or pads tensor") }
    }
}

/// A float that stands for an integer (a count, an axis), refused when it is NaN, infinite or too large.
func exactInt(_ value: Float, _ what: String) throws -> Int {
    guard value.isFinite, abs(value) < 9.2e18 else { throw KernelFailure("\(what) is \(value), not a whole number") }
    return Int(value)
}

/// The most elements a tensor that a graph computes may have (2^36, 256 GiB of float32): a shape
/// read from the model or its inputs past that is refused before anything is allocated.
let maxElements = 1 << 36

/// Checks a shape the graph asks for: no negative dims, and not more than `maxElements` in all.
func checkedShape(_ shape: [Int], _ what: String) throws -> [Int] {
    var count = 1
    for d in shape {
        guard d >= 0 else { throw KernelFailure("\(what) \(shape) has a negative dim") }
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, product <= maxElements else {
            throw KernelFailure("\(what) \(shape) holds more than \(maxElements) elements")
        }
        count = product
    }
    return shape
}
