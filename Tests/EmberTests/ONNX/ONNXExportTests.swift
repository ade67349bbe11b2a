import Foundation
import Testing
@testable import Ember
@testable import EmberONNX

/// A model of the user's own, made exportable by calling its layers in its forward pass's order.
private final class DigitMLP: Module, ONNXExportable {
    let fc1 = Linear(64, 32)
    let relu = ReLU()
    let fc2 = Linear(32, 10)
    override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x.view(x.shape[0], -1)))) }

    func exportONNX(_ x: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let h = try graph.call(relu, graph.call(fc1, graph.flatten(x), as: "fc1"), as: "relu")
        return try graph.call(fc2, h, as: "fc2")
    }
}

/// Layers without an ONNX form.
private final class Unexportable: Module {
    let inner = Sequential(Linear(4, 4), LSTM(4, 4))
    override func forward(_ x: Tensor) -> Tensor { x }
}

@Suite("ONNX export")
struct ONNXExportTests {
    /// Every exportable layer kind, with batch norm statistics that are not the initial ones.
    static func layerZoo() -> Sequential {
        manualSeed(21)
        let model = Sequential {
            Conv2d(2, 4, kernelSize: 3, padding: 1, paddingMode: .reflect)
            BatchNorm2d(4)
            ReLU()
            Conv2d(4, 6, kernelSize: 3, stride: 2, padding: .explicit(1, 0))
            LeakyReLU(negativeSlope: 0.1)
            MaxPool2d(kernelSize: 2, stride: 1)
            AvgPool2d(kernelSize: 2)
            Dropout(0.3)
            Conv2d(6, 6, kernelSize: 3, padding: .same, dilation: 2, groups: 2)
            AdaptiveAvgPool2d(outputSize: (1, 1))
            Flatten()
            Linear(6, 8)
            LayerNorm([8])
            GELU()
            Linear(8, 8)
            SiLU()
            BatchNorm1d(8)
            ELU()
            Linear(8, 5)
            Tanh()
            Sigmoid()
            LogSoftmax(dim: 1)
        }
        noGrad { for _ in 0..<3 { _ = model(Tensor.randn([6, 2, 9, 10]) * 2 + 0.5) } }   // running statistics
        return model.eval()
    }

    private func temporaryFile(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-onnx-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name)
    }

    @Test("pooling in ceil mode exports with its partial windows; a divisor override does not export")
    func ceilModePoolingRoundTrips() throws {
        let model = Sequential {
            MaxPool2d(2, ceilMode: true)
            AvgPool2d(3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)
            AvgPool2d(kernelSize: 2, ceilMode: true)
        }
        let file = try temporaryFile("ceil.onnx")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try ONNXModel.export(model, sampleShape: [2, 11, 13], to: file)
        let x = Tensor.randn([3, 2, 11, 13], generator: RandomGenerator(seed: 2))
        let expected = noGrad { model(x) }
        #expect(expected.shape == [3, 2, 2, 2])
        expectClose(try ONNXModel(contentsOf: file).run(x).toArray(), expected.toArray(), atol: 1e-6, "ceil mode")
        #expect(throws: ONNXError.self) {
            try ONNXModel.export(Sequential { AvgPool2d(2, divisorOverride: 3) }, sampleShape: [1, 4, 4], to: file)
        }
    }

    @Test("a model of every layer kind exports, and the file runs to the model's outputs at another batch size")
    func layersRoundTrip() throws {
        let model = Self.layerZoo()
        let file = try temporaryFile("zoo.onnx")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try ONNXModel.export(model, sampleShape: [2, 9, 10], to: file)
        let imported = try ONNXModel(contentsOf: file)
        #expect(imported.inputs.map(\.description) == ["input: FLOAT [batch, 2, 9, 10]"])
        #expect(imported.producer == "ember")
        let x = Tensor.randn([5, 2, 9, 10], generator: RandomGenerator(seed: 8))
        expectClose(try imported.run(x).toArray(), noGrad { model(x) }.toArray(), atol: 1e-5, rtol: 1e-4, "zoo")
        // The file keeps the state-dict names: the model's weights load back from it.
        let state = imported.stateDict()
        for (key, tensor) in model.stateDict() where key.hasSuffix("weight") || key.hasSuffix("running_var") {
            expectClose(try #require(state[key], "\(key)").toArray(), tensor.toArray(), atol: 0, rtol: 0, key)
        }
    }

    @Test("a model of the user's own exports through its ONNXExportable conformance, and its mode is kept")
    func customModule() throws {
        let model = DigitMLP()
        let file = try temporaryFile("mlp.onnx")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try ONNXModel.export(model, sampleShape: [1, 8, 8], to: file)
        #expect(model.isTraining)   // back in training mode
        let imported = try ONNXModel(contentsOf: file)
        #expect(imported.namedParameters().map(\.0) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let x = Tensor.randn([3, 1, 8, 8], generator: RandomGenerator(seed: 2))
        expectClose(try imported.run(x).toArray(), noGrad { model(x) }.toArray(), atol: 1e-5, rtol: 1e-5, "mlp")
    }

    @Test("a layer without an ONNX form is named with its place in the model")
    func unexportableLayer() throws {
        #expect {
            try ONNXModel.exportedData(Unexportable(), sampleShape: [4])
        } throws: { error in
            "\(error)".hasPrefix("unsupported ONNX model: exporting Unexportable (''): conform it to ONNXExportable")
        }
        #expect {
            try ONNXModel.exportedData(Sequential(Linear(4, 4), LSTM(4, 4)), sampleShape: [4])
        } throws: { error in "\(error)".contains("exporting LSTM ('1')") }
    }

    /// The Python with onnxruntime that scripts/setup.sh installs into .build-onnxruntime, if any.
    static let onnxruntimePath = repositoryRoot.appendingPathComponent(".build-onnxruntime")
    static var onnxruntimeAvailable: Bool {
        FileManager.default.fileExists(atPath: onnxruntimePath.appendingPathComponent("onnxruntime").path)
    }

    @Test("onnxruntime runs exported files to Ember's outputs",
          .enabled(if: onnxruntimeAvailable, "onnxruntime is not in .build-onnxruntime (scripts/setup.sh installs it when pip reaches PyPI)"))
    func onnxruntimeAgrees() throws {
        for (name, model, shape) in [("zoo", Self.layerZoo() as Module, [2, 9, 10]), ("mlp", DigitMLP().eval(), [1, 8, 8])] {
            let file = try temporaryFile("\(name).onnx")
            defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
            try ONNXModel.export(model, sampleShape: shape, to: file)
            let x = Tensor.randn([4] + shape, generator: RandomGenerator(seed: 4))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", repositoryRoot.appendingPathComponent("scripts/onnxruntime_run.py").path, file.path]
            process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": Self.onnxruntimePath.path]) { $1 }
            let (input, output) = (Pipe(), Pipe())
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: ["shape": x.shape, "values": x.toArray().map(Double.init)]))
            try input.fileHandleForWriting.close()
            let answer = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let outputs = try #require(try JSONSerialization.jsonObject(with: answer) as? [[String: Any]])
            #expect(outputs.first?["shape"] as? [Int] == noGrad { model(x) }.shape)
            expectClose(floats(outputs.first?["values"]), noGrad { model(x) }.toArray(), atol: 1e-5, rtol: 1e-4, "\(name) in onnxruntime")
        }
    }
}
