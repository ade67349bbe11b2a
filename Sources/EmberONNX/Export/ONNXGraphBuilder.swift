import Ember
import Foundation

/// A value in a graph being exported: its name, and the tensor it held when the model ran on an
/// example input (so that each layer knows the shapes it works on).
public struct ONNXValue {
    public let name: String
    public let example: Tensor

    public init(name: String, example: Tensor) {
        self.name = name
        self.example = example
    }
}

/// An attribute of an exported node.
public enum ONNXAttributeValue {
    case int(Int)
    case ints([Int])
    case float(Float)
    case string(String)
}

/// Collects the nodes and weights of a graph being exported, like the graph context a PyTorch
/// symbolic function writes into. Layers add themselves through `ONNXExportable`; a model of your
/// own calls its layers with `call(_:_:as:)` in the order its forward pass does.
public struct ONNXGraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    /// The state-dict prefix of the module being exported (`features.0.`).
    public private(set) var scope: String = ""
    private var counter = 0
    private var initializerNames: Set<String> = []

    /// A fresh value name.
    mutating func freshName(_ hint: String) -> String {
        counter += 1
        return "\(hint)_\(counter)"
    }

    /// Adds a weight under the current scope (`fc1.weight`, so that the file keeps the state-dict
    /// names) and returns its name.
    public mutating func weight(_ tensor: Tensor, name: String) -> String {
        var full = scope + name
        while initializerNames.contains(full) { full = freshName(scope + name) }
        initializerNames.insert(full)
        initializers.append(Onnx_TensorProto(noGrad { tensor.detach() }, name: full))
        return full
    }

    /// Adds a constant (int64 shapes and axes, float scalars), named after the node that reads it.
    public mutating func constant(_ tensor: Tensor, hint: String = "const") -> String {
        let name = freshName(scope + hint)
        initializerNames.insert(name)
        initializers.append(Onnx_TensorProto(tensor, name: name))
        return name
    }

    /// Adds a node with one output and returns the output's name.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], attributes: [String: ONNXAttributeValue] = [:]) -> String {
        var proto = Onnx_NodeProto()
        proto.opType = op
        proto.input = inputs
        let output = freshName(scope.isEmpty ? op : scope + op)
        proto.output = [output]
        proto.name = output
        proto.attribute = attributes.keys.sorted().map { key in
            var a = Onnx_AttributeProto()
            a.name = key
            switch attributes[key]! {
            case .int(let v): a.type = .int; a.i = Int64(v)
            case .ints(let v): a.type = .ints; a.ints = v.map { Int64($0) }
            case .float(let v): a.type = .float; a.f = v
            case .string(let v): a.type = .string; a.s = Data(v.utf8)
            }
            return a
        }
        nodes.append(proto)
        return output
    }

    /// Adds a node computing `example` (what the Ember layer gave on the example input).
    public mutating func node(_ op: String, _ inputs: [String], attributes: [String: ONNXAttributeValue] = [:],
                              example: Tensor) -> ONNXValue {
        ONNXValue(name: node(op, inputs, attributes: attributes), example: example)
    }

    /// Exports `module` on `input` under the state-dict name `name` (its weights become `name.weight`,
    /// ...; an empty name for the model itself).
    public mutating func call(_ module: Module, _ input: ONNXValue, as name: String) throws -> ONNXValue {
        let outer = scope
        scope = name.isEmpty ? outer : outer + name + "."
        defer { scope = outer }
        guard let exportable = module as? ONNXExportable else {
            throw ONNXError.unsupported("exporting \(type(of: module)) ('\(outer + name)'): conform it to ONNXExportable, adding its forward pass to the graph through ONNXGraphBuilder")
        }
        return try exportable.exportONNX(input, to: &self)
    }

    /// [batch, ...] flattened to [batch, rest], as `x.view(x.shape[0], -1)`.
    public mutating func flatten(_ x: ONNXValue, axis: Int = 1) -> ONNXValue {
        node("Flatten", [x.name], attributes: ["axis": .int(axis)], example: noGrad { x.example.flatten(startDim: axis) })
    }
}

/// A module that can write its forward pass into an ONNX graph, like a PyTorch symbolic function.
/// Ember's layers conform; conform a model of your own by calling its layers in order:
///
///     extension MLP: ONNXExportable {
///         func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
///             let h = try graph.call(relu, graph.call(fc1, graph.flatten(x), as: "fc1"), as: "relu")
///             return try graph.call(fc2, h, as: "fc2")
///         }
///     }
public protocol ONNXExportable: Module {
    /// Adds this module's forward pass on `input` to `graph` and returns its output. Weights added
    /// with `graph.weight(_:name:)` are named under the module's scope.
    func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue
}
