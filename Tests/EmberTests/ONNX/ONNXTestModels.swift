import Foundation
@testable import EmberONNX

/// The bytes of a one-node ONNX model built in Swift: node "node0" reads `inputs` and writes "y";
/// the graph's input "x" is float, of `inputDims` (names for dynamic dims) or with no declared shape.
func oneNodeModel(op: String, domain: String = "", inputs: [String] = ["x"], attributes: [Onnx_AttributeProto] = [],
                  initializers: [Onnx_TensorProto] = [], inputDims: [String]? = nil) throws -> Data {
    var node = Onnx_NodeProto()
    node.opType = op
    node.domain = domain
    node.name = "node0"
    node.input = inputs
    node.output = ["y"]
    node.attribute = attributes
    var input = Onnx_ValueInfoProto()
    input.name = "x"
    input.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    for name in inputDims ?? [] {
        var dim = Onnx_TensorShapeProto.Dimension()
        dim.dimParam = name
        input.type.tensorType.shape.dim.append(dim)
    }
    var output = Onnx_ValueInfoProto()
    output.name = "y"
    var model = Onnx_ModelProto()
    model.irVersion = 8
    var opset = Onnx_OperatorSetIdProto()
    opset.version = 17
    model.opsetImport = [opset]
    model.graph.node = [node]
    model.graph.input = [input]
    model.graph.output = [output]
    model.graph.initializer = initializers
    return try model.serializedBytes()
}
