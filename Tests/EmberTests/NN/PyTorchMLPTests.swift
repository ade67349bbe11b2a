import Foundation
import Testing
@testable import Ember

/// A real PyTorch-trained checkpoint of the seed MLP (Tests/EmberTests/Fixtures/torch/mlp_mnist.*,
/// from ../shared/fixtures/torch): loaded into the same network written in Swift, it must classify
/// exactly as many test images correctly as PyTorch did, with the same logits.
@Suite("PyTorch MLP checkpoint") struct PyTorchMLPTests {
    final class MLP: Module {
        let fc1 = Linear(784, 256)
        let relu = ReLU()
        let fc2 = Linear(256, 10)
        override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x.view(x.shape[0], -1)))) }
    }

    static let folder = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch")

    /// Test accuracy (correct count) and the first five images' logits of a loaded model.
    static func evaluate(_ model: MLP) throws -> (correct: Int, logits: [Float]) {
        let test = try MNIST(train: false, transform: Normalize(mean: 0.1307, std: 0.3081), progress: false)
        model.eval()
        var correct = 0
        var first: [Float] = []
        noGrad {
            for (images, labels) in DataLoader(test, batchSize: 1000) {
                let logits = model(images)
                if first.isEmpty { first = Array(logits.toArray().prefix(50)) }
                correct += Int(logits.argmax(dim: 1).eq(labels).sum().item())
            }
        }
        return (correct, first)
    }

    @Test func safetensorsCheckpointReproducesPyTorchResults() throws {
        let expected = try loadFixture("torch/mlp_mnist.json")
        let model = MLP()
        try model.load(from: Self.folder.appendingPathComponent("mlp_mnist.safetensors"))
        #expect(model.stateDictKeys == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let (correct, logits) = try Self.evaluate(model)
        #expect(correct == expected["test_correct"] as? Int)
        expectClose(logits, floats(expected["first_test_logits"]), atol: 1e-4, rtol: 1e-5, "first test logits")
    }

    @Test func pthCheckpointReproducesPyTorchResults() throws {
        let expected = try loadFixture("torch/mlp_mnist.json")
        let entries = try TorchCheckpoint.read(contentsOf: Self.folder.appendingPathComponent("mlp_mnist.pth"))
        #expect(entries.map(\.key) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        let model = MLP()
        try model.loadStateDict(Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.tensor) }))
        let (correct, logits) = try Self.evaluate(model)
        #expect(correct == expected["test_correct"] as? Int)
        expectClose(logits, floats(expected["first_test_logits"]), atol: 1e-4, rtol: 1e-5, "first test logits")
    }
}
