import Ember

/// A graph input or output as the model declares it: its name, element type and shape.
public struct ONNXValueInfo: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    /// ONNX's name for the element type (`FLOAT`, `INT64`, ...), or `UNDEFINED`.
    public let elementType: String
    /// The Ember type its values have (float32 or int64), nil for types Ember does not hold.
    public let dtype: DType?
    /// The declared dims: a number for a fixed dim, nil for a dynamic one (such as a batch size);
    /// nil when the model does not declare the rank.
    public let shape: [Int?]?
    /// The names of dynamic dims (`batch`), nil for fixed or unnamed ones.
    public let dimNames: [String?]

    init(_ proto: Onnx_ValueInfoProto) {
        name = proto.name
        let type = Onnx_TensorProto.DataType(rawValue: Int(proto.type.tensorType.elemType)) ?? .undefined
        elementType = type.name
        dtype = type.emberType
        if proto.type.tensorType.hasShape {
            let dims = proto.type.tensorType.shape.dim
            shape = dims.map { dim in
                if case .dimValue(let v)? = dim.value { return Int(v) }
                return nil
            }
            dimNames = dims.map { dim in
                if case .dimParam(let p)? = dim.value, !p.isEmpty { return p }
                return nil
            }
        } else {
            shape = nil
            dimNames = []
        }
    }

    /// `input: FLOAT [batch, 1, 28, 28]`.
    public var description: String {
        guard let shape else { return "\(name): \(elementType) (shape not declared)" }
        let dims = shape.enumerated().map { i, d in d.map(String.init) ?? dimNames[i] ?? "?" }
        return "\(name): \(elementType) [\(dims.joined(separator: ", "))]"
    }

    /// Whether a tensor's shape fits the declared one (dynamic dims take any size).
    func accepts(_ tensorShape: [Int]) -> Bool {
        guard let shape else { return true }
        guard shape.count == tensorShape.count else { return false }
        return zip(shape, tensorShape).allSatisfy { declared, actual in declared == nil || declared == actual }
    }
}
