import Foundation
import Testing
@testable import Ember
@testable import EmberONNX

/// The seed MLP's shape as the fixtures export it (64 → 32 → 10), in Ember.
private final class SmallMLP: Module {
    let fc1 = Linear(64, 32)
    let relu = ReLU()
    let fc2 = Linear(32, 10)
    override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x.view(x.shape[0], -1)))) }
}

@Suite("ONNX models as modules, files and errors")
struct ONNXModelFeatureTests {
    let mlpURL = onnxFixtures.appendingPathComponent("mlp_torchscript.onnx")

    private func fixtureInput() throws -> (Tensor, [Float]) {
        let fixture = try #require(try loadFixture("onnx.json")["mlp_torchscript"] as? [String: Any])
        return (Tensor(floats(fixture["input"]), shape: fixture["input_shape"] as! [Int]), floats(fixture["output"]))
    }

    @Test("describes its inputs, outputs, producer and operator set")
    func describesItself() throws {
        let model = try ONNXModel(contentsOf: mlpURL)
        #expect(model.inputs.map(\.description) == ["input: FLOAT [batch, 1, 8, 8]"])
        #expect(model.inputs[0].shape == [nil, 1, 8, 8])
        #expect(model.outputs.map(\.name) == ["output"])
        #expect(model.opsetVersion == 17)
        #expect(model.producer.hasPrefix("pytorch"))
        #expect(!model.isTraining)
        #expect(ONNXModel.supportedOperators.count == 107)   // as README says
        #expect(ONNXModel.supportedOperators.contains("Conv") && ONNXModel.supportedOperators.contains("LayerNormalization"))
    }

    @Test("exposes PyTorch's parameter names and values as its state dict, and loads one")
    func stateDict() throws {
        let model = try ONNXModel(contentsOf: onnxFixtures.appendingPathComponent("mlp_dynamo.onnx"))
        let expected = try #require(try loadFixture("onnx.json")["mlp_state_dict"] as? [String: Any])
        #expect(model.namedParameters().map(\.0) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let state = model.stateDict()
        for (key, values) in expected {
            expectClose(try #require(state[key]).toArray(), floats(values), atol: 1e-7, rtol: 0, key)
        }
        // A state dict from an Ember module with the same names loads into the ONNX graph.
        let native = SmallMLP()
        _ = try model.loadStateDict(native.stateDict(), strict: false)
        let x = Tensor.randn([2, 1, 8, 8], generator: RandomGenerator(seed: 3))
        expectClose(try model.run(x).toArray(), native(x).toArray(), atol: 1e-5, rtol: 1e-5, "after loading")
    }

    @Test("reads weights stored beside the model as external data")
    func externalData() throws {
        let (x, expected) = try fixtureInput()
        let model = try ONNXModel(contentsOf: onnxFixtures.appendingPathComponent("mlp_external.onnx"))
        expectClose(try model.run(x).toArray(), expected, atol: 2e-5, rtol: 1e-4, "external")
        // From bytes alone the model cannot find its weights, and says how to load it.
        let bytes = try Data(contentsOf: onnxFixtures.appendingPathComponent("mlp_external.onnx"))
        #expect(throws: ONNXError.self) { try ONNXModel(serializedData: bytes) }
        do {
            _ = try ONNXModel(serializedData: bytes)
        } catch {
            #expect("\(error)".contains("mlp_external.weights") && "\(error)".contains("ONNXModel(contentsOf:)"))
        }
    }

    @Test("trains like any module: gradients equal the native model's, and save(to:) keeps the new weights")
    func fineTunesAndSaves() throws {
        let model = try ONNXModel(contentsOf: mlpURL)
        let native = SmallMLP()
        _ = try native.loadStateDict(model.stateDict())
        let x = Tensor.randn([4, 1, 8, 8], generator: RandomGenerator(seed: 5))
        let labels = Tensor([1, 7, 3, 0], shape: [4])
        crossEntropy(try model.run(x), labels).backward()
        crossEntropy(native(x), labels).backward()
        for ((name, imported), (_, reference)) in zip(model.namedParameters(), native.namedParameters()) {
            expectClose(try #require(imported.grad).toArray(), try #require(reference.grad).toArray(),
                        atol: 1e-6, rtol: 1e-4, "gradient of \(name)")
        }
        let optimizer = SGD(model.parameters(), lr: 0.5)
        optimizer.step()
        let tuned = try model.run(x).toArray()

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let saved = folder.appendingPathComponent("tuned.onnx")
        try model.save(to: saved)
        let reloaded = try ONNXModel(contentsOf: saved)
        expectClose(try reloaded.run(x).toArray(), tuned, atol: 1e-6, rtol: 1e-6, "reloaded")
        #expect(try ONNXModel(contentsOf: mlpURL).run(x).toArray() != tuned)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["tuned.onnx"])
    }

    @Test("calls a one-input model like a module")
    func callsAsModule() throws {
        let (x, expected) = try fixtureInput()
        let model = try ONNXModel(contentsOf: mlpURL)
        expectClose(model(x).toArray(), expected, atol: 2e-5, rtol: 1e-4, "model(x)")
        let byName = try model.run(["input": x])
        #expect(Array(byName.keys) == ["output"])
    }

    @Test("refuses inputs that do not fit, naming both shapes or the inputs it has")
    func badInputs() throws {
        let model = try ONNXModel(contentsOf: mlpURL)
        #expect {
            try model.run(Tensor.zeros([2, 1, 28, 28]))
        } throws: { error in
            "\(error)" == "bad input for the ONNX model: input 'input' has shape [2, 1, 28, 28], the model expects input: FLOAT [batch, 1, 8, 8]"
        }
        #expect {
            try model.run(["image": Tensor.zeros([2, 1, 8, 8])])
        } throws: { error in
            "\(error)".contains("no input named 'image'") && "\(error)".contains("input: FLOAT [batch, 1, 8, 8]")
        }
        #expect {
            try model.run([:])
        } throws: { error in "\(error)".contains("input 'input' is missing") }
    }

    @Test("reports files that are missing or not ONNX")
    func unreadableFiles() throws {
        let missing = onnxFixtures.appendingPathComponent("no-such-model.onnx")
        #expect {
            try ONNXModel(contentsOf: missing)
        } throws: { error in
            guard case ONNXError.unreadable(let file, _) = error else { return false }
            return file == missing.path
        }
        let notONNX = Data("this is not a protobuf model at all".utf8)
        #expect {
            try ONNXModel(serializedData: notONNX, fileName: "notes.txt")
        } throws: { error in "\(error)".hasPrefix("cannot read ONNX model notes.txt: not an ONNX model") }
    }

    @Test("refuses, when it loads, operators and domains Ember does not run, and graphs that read undefined values")
    func unsupportedGraphs() throws {
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "NonMaxSuppression"))
        } throws: { error in
            "\(error)".hasPrefix("unsupported ONNX model: operator NonMaxSuppression (node NonMaxSuppression 'node0'); Ember runs")
                && "\(error)".contains("Conv, ConvTranspose")
        }
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "FusedMatMul", domain: "com.microsoft"))
        } throws: { error in "\(error)".contains("domain 'com.microsoft'") }
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "Add", inputs: ["x", "bias"]))
        } throws: { error in
            "\(error)" == "invalid ONNX model: Add 'node0': reads 'bias', which no graph input, initializer or earlier node produces"
        }
        var autoPad = Onnx_AttributeProto()
        autoPad.name = "auto_pad"
        autoPad.type = .string
        autoPad.s = Data("SOMETIMES".utf8)
        var kernel = Onnx_AttributeProto()
        kernel.name = "kernel_shape"
        kernel.type = .ints
        kernel.ints = [2, 2]
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "MaxPool", attributes: [autoPad, kernel]))
        } throws: { error in
            "\(error)" == "invalid ONNX model: MaxPool 'node0': auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got 'SOMETIMES'"
        }
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "MaxPool"))
        } throws: { error in "\(error)".contains("MaxPool 'node0': kernel_shape missing") }
    }

    /// An initializer's header: name, dims and element type.
    private func tensorProto(_ name: String, dims: [Int64], type: Onnx_TensorProto.DataType) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = dims
        tensor.dataType = Int32(type.rawValue)
        return tensor
    }

    @Test("refuses external data outside the model's folder")
    func externalDataOutsideFolder() throws {
        var weight = tensorProto("w", dims: [2], type: .float)
        weight.dataLocation = .external
        var location = Onnx_StringStringEntryProto()
        location.key = "location"
        location.value = "../../etc/passwd"
        weight.externalData = [location]
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "Add", inputs: ["x", "w"], initializers: [weight]),
                          baseDirectory: onnxFixtures)
        } throws: { error in "\(error)".contains("outside the model's folder") }
    }

    /// An int64 initializer with its values.
    private func ints(_ name: String, _ values: [Int64], dims: [Int64]? = nil) -> Onnx_TensorProto {
        var tensor = tensorProto(name, dims: dims ?? [Int64(values.count)], type: .int64)
        tensor.int64Data = values
        return tensor
    }

    @Test("hostile shapes are refused with an error, before anything is allocated")
    func hostileShapes() throws {
        let fill = try ONNXModel(serializedData: try oneNodeModel(op: "ConstantOfShape", inputs: ["s"], initializers: [ints("s", [-2])]))
        #expect { try fill.run(["x": Tensor.zeros([1])]) } throws: { "\($0)".contains("has a negative dim") }
        let huge = try ONNXModel(serializedData: try oneNodeModel(op: "ConstantOfShape", inputs: ["s"], initializers: [ints("s", [1 << 40, 1 << 40])]))
        #expect { try huge.run(["x": Tensor.zeros([1])]) } throws: { "\($0)".contains("more than 68719476736 elements") }
        let range = try ONNXModel(serializedData: try oneNodeModel(op: "Range", inputs: ["a", "b", "c"], initializers: [
            ints("a", [0], dims: []), ints("b", [1 << 62], dims: []), ints("c", [1], dims: []),
        ]))
        #expect { try range.run(["x": Tensor.zeros([1])]) } throws: { "\($0)".contains("the range holds") }
        let reshape = try ONNXModel(serializedData: try oneNodeModel(op: "Reshape", inputs: ["x", "s"], initializers: [ints("s", [1 << 40, 1 << 40, -1])]))
        #expect { try reshape.run(Tensor.zeros([4])) } throws: { "\($0)".contains("more than") }
        var overflowing = tensorProto("w", dims: [1 << 62, 4], type: .float)
        overflowing.rawData = Data(count: 16)
        #expect {
            try ONNXModel(serializedData: try oneNodeModel(op: "Add", inputs: ["x", "w"], initializers: [overflowing]))
        } throws: { "\($0)".contains("initializer 'w' has dims [4611686018427387904, 4]") }
    }

    /// A float initializer of the given shape filled with ones.
    private func ones(_ name: String, _ dims: [Int64]) -> Onnx_TensorProto {
        var tensor = tensorProto(name, dims: dims, type: .float)
        tensor.floatData = Array(repeating: 1, count: Int(dims.reduce(1, *)))
        return tensor
    }

    @Test("shapes that do not fit inside a node are errors that name it, not stops in Ember's ops")
    func mismatchedShapes() throws {
        func failure(_ op: String, _ x: [Int], _ initializers: [Onnx_TensorProto], attributes: [Onnx_AttributeProto] = []) throws -> String {
            let m = try ONNXModel(serializedData: try oneNodeModel(op: op, inputs: ["x"] + initializers.map(\.name),
                                                            attributes: attributes, initializers: initializers))
            do {
                _ = try m.run(Tensor.zeros(x))
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(try failure("Add", [2, 3], [ones("w", [4])]).contains("shapes [2, 3] and [4] do not broadcast"))
        #expect(try failure("MatMul", [2, 3], [ones("w", [4, 5])]).contains("the inner dims 3 and 4 differ"))
        #expect(try failure("Conv", [1, 3, 5, 5], [ones("w", [4, 2, 3, 3])]).contains("do not fit together"))
        #expect(try failure("BatchNormalization", [2, 3, 4], ["s", "b", "m", "v"].map { ones($0, [4]) })
            .contains("do not give one value per channel"))
        var kernel = Onnx_AttributeProto()
        kernel.name = "kernel_shape"
        kernel.type = .ints
        kernel.ints = [7, 7]
        #expect(try failure("MaxPool", [1, 1, 5, 5], [], attributes: [kernel]).contains("larger than the padded input"))
    }

    @Test("casts NaN and infinities to integers without stopping, and keeps int64 constants exact")
    func castsAndIntegers() throws {
        var to = Onnx_AttributeProto()
        to.name = "to"
        to.type = .int
        to.i = Int64(Onnx_TensorProto.DataType.int64.rawValue)
        let cast = try ONNXModel(serializedData: try oneNodeModel(op: "Cast", attributes: [to]))
        let y = try cast.run(Tensor([Float.nan, 1.5, -2.5, .infinity, -.infinity], shape: [5]))
        #expect(y.dtype == .int64 && Array(y.toIntArray().prefix(3)) == [0, 1, -2])
        #expect(y.toIntArray()[3] > 1 << 62 && y.toIntArray()[4] < -(1 << 62))
        var value = Onnx_AttributeProto()
        value.name = "value_int"
        value.type = .int
        value.i = 16_777_217   // 2^24 + 1: not a float32
        let constant = try ONNXModel(serializedData: try oneNodeModel(op: "Constant", inputs: [], attributes: [value]))
        #expect(try constant.run(["x": Tensor.zeros([1])])["y"]!.toIntArray() == [16_777_217])
    }

    @Test("reads a Constant's value from external data beside the model file")
    func externalConstant() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try [Float(1.5), -2].withUnsafeBufferPointer { Data(buffer: $0) }.write(to: folder.appendingPathComponent("c.bin"))
        var value = tensorProto("c", dims: [2], type: .float)
        value.dataLocation = .external
        var location = Onnx_StringStringEntryProto()
        location.key = "location"
        location.value = "c.bin"
        value.externalData = [location]
        var attribute = Onnx_AttributeProto()
        attribute.name = "value"
        attribute.type = .tensor
        attribute.t = value
        let file = folder.appendingPathComponent("constant.onnx")
        try oneNodeModel(op: "Constant", inputs: [], attributes: [attribute]).write(to: file)
        let constant = try ONNXModel(contentsOf: file)
        #expect(try constant.run(["x": Tensor.zeros([1])])["y"]!.toArray() == [1.5, -2])
    }

    @Test("reports a node that fails at run time with the node's name")
    func runtimeFailure() throws {
        var shape = tensorProto("shape", dims: [1], type: .int64)
        shape.int64Data = [5]
        let reshape = try ONNXModel(serializedData: try oneNodeModel(op: "Reshape", inputs: ["x", "shape"], initializers: [shape]))
        #expect {
            try reshape.run(Tensor.zeros([2, 3]))
        } throws: { error in
            "\(error)" == "ONNX node Reshape 'node0' failed: cannot reshape a tensor of shape [2, 3] (6 elements) to [5]"
        }
    }
}
