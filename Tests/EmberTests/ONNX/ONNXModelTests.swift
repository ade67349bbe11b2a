import Foundation
import Testing
@testable import Ember
@testable import EmberONNX

/// The fixtures' ONNX files (exported from PyTorch by scripts/make_onnx_fixtures.py).
let onnxFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("onnx")

@Suite("ONNX models exported by PyTorch")
struct ONNXModelTests {
    static let cases = ["mlp_torchscript", "mlp_dynamo", "cnn_torchscript", "cnn_dynamo", "resnet_torchscript",
                        "resnet_dynamo", "encoder_torchscript", "encoder_dynamo", "ops_torchscript", "ops_dynamo"]

    @Test("runs each exported model to PyTorch's outputs, with a batch size other than the exported one",
          arguments: cases)
    func matchesPyTorch(name: String) throws {
        let fixture = try #require(try loadFixture("onnx.json")[name] as? [String: Any])
        let model = try ONNXModel(contentsOf: onnxFixtures.appendingPathComponent(fixture["file"] as! String))
        let shape = fixture["input_shape"] as! [Int]
        let values = floats(fixture["input"])
        let input = fixture["input_dtype"] as! String == "int64"
            ? Tensor(values.map { Int($0) }, shape: shape) : Tensor(values, shape: shape)
        let output = try model.run(input)
        #expect(output.shape == fixture["output_shape"] as! [Int])
        expectClose(output.toArray(), floats(fixture["output"]), atol: 2e-5, rtol: 1e-4, name)
        #expect(model.operatorTypes == fixture["ops"] as! [String])
    }
}

@Suite("ONNX operators against onnxruntime")
struct ONNXOperatorTests {
    static let cases: [[String: Any]] = {
        let url = onnxFixtures.deletingLastPathComponent().appendingPathComponent("onnx_operators.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [[String: Any]] ?? []
    }()

    @Test("the fixtures hold the single-operator cases")
    func fixturesLoad() {
        #expect(Self.cases.count >= 70)
    }

    @Test("runs one operator with an attribute combination to onnxruntime's values",
          arguments: cases.map { $0["name"] as! String })
    func operatorMatches(name: String) throws {
        let fixture = try #require(Self.cases.first { $0["name"] as? String == name })
        let bytes = try #require(Data(base64Encoded: fixture["model"] as! String))
        let model = try ONNXModel(serializedData: bytes)
        var feeds: [String: Tensor] = [:]
        for input in fixture["inputs"] as! [[String: Any]] {
            let shape = input["shape"] as! [Int], values = floats(input["values"])
            feeds[input["name"] as! String] = input["dtype"] as! String == "int64"
                ? Tensor(values.map { Int($0) }, shape: shape) : Tensor(values, shape: shape)
        }
        let results = try model.run(feeds)
        for (i, expected) in (fixture["outputs"] as! [[String: Any]]).enumerated() {
            let output = try #require(results["y\(i)"])
            #expect(output.shape == expected["shape"] as! [Int], "\(name) output \(i)")
            expectClose(output.toArray(), floats(expected["values"]), atol: 1e-5, rtol: 1e-4, "\(name) output \(i)")
        }
    }
}
