import Ember
import Foundation

extension ONNXModel {
    /// Writes `model` as an ONNX file that onnxruntime, PyTorch's tools and Ember read, like
    /// `torch.onnx.export`. The input is `[batch] + sampleShape` with a dynamic batch dim; weights
    /// keep their state-dict names. The model and every layer it calls must be `ONNXExportable`
    /// (Ember's layers and `Sequential` are). It runs in evaluation mode for the export (dropout off,
    /// batch norm on its running statistics) and returns to its mode after; the graph is checked by
    /// running it against the model on an example batch before the file is written.
    public static func export(_ model: Module, sampleShape: [Int], to url: URL, inputName: String = "input",
                              outputName: String = "output") throws {
        let data = try exportedData(model, sampleShape: sampleShape, inputName: inputName, outputName: outputName)
        try AtomicFile.write(data, to: url)
    }

    /// The bytes `export(_:sampleShape:to:)` writes.
    public static func exportedData(_ model: Module, sampleShape: [Int], inputName: String = "input",
                                    outputName: String = "output") throws -> Data {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        noGrad { model.refreshAllParametrizations() }   // weights read as constants
        // Two examples in the batch, so that nothing batch-sized is mistaken for a constant 1.
        let example = Tensor.randn([2] + sampleShape, generator: RandomGenerator(seed: 0)).to(model.parameters().first?.device ?? .cpu)
        var graph = ONNXGraphBuilder()
        let output = try graph.call(model, ONNXValue(name: inputName, example: example), as: "")
        let expected = noGrad { model(example) }
        graph.node("Identity", [output.name])
        graph.nodes[graph.nodes.count - 1].output = [outputName]

        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        proto.producerName = "ember"
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        proto.opsetImport = [opset]
        proto.graph.name = String(describing: type(of: model))
        proto.graph.node = graph.nodes
        proto.graph.initializer = graph.initializers
        proto.graph.input = [valueInfo(inputName, shape: [nil] + sampleShape.map { Optional($0) })]
        proto.graph.output = [valueInfo(outputName, shape: [nil] + expected.shape.dropFirst().map { Optional($0) })]
        let data: Data = try proto.serializedBytes()

        // The exported graph, run by Ember's importer, must give the model's output.
        let check = try ONNXModel(serializedData: data, fileName: "the exported graph")
        let actual = try check.run(example.to(.cpu))
        let (a, e) = (actual.toArray(), expected.toArray())
        guard actual.shape == expected.shape, zip(a, e).allSatisfy({ abs($0 - $1) <= 1e-4 + 1e-4 * abs($1) }) else {
            throw ONNXError.invalidModel("the exported graph of \(type(of: model)) does not reproduce its output (shape \(actual.shape) against \(expected.shape)); a layer's export differs from its forward")
        }
        return data
    }

    private static func valueInfo(_ name: String, shape: [Int?]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        info.type.tensorType.shape.dim = shape.map { size in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let size { dim.dimValue = Int64(size) } else { dim.dimParam = "batch" }
            return dim
        }
        return info
    }
}
