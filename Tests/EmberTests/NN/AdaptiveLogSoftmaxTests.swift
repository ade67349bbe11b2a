import Foundation
import Testing
@testable import Ember

/// The adaptive softmax: PyTorch's values for the target log-probabilities, loss, gradients, every
/// class's log-probabilities and predictions, and a Zipf-distributed vocabulary learnt with it.
@Suite("Adaptive softmax")
struct AdaptiveLogSoftmaxTests {
    static func model(_ fixture: [String: Any]) throws -> AdaptiveLogSoftmaxWithLoss {
        let config = object(fixture["config"])
        let asm = AdaptiveLogSoftmaxWithLoss(config["in_features"] as! Int, nClasses: config["n_classes"] as! Int,
                                             cutoffs: ints(config["cutoffs"]), divValue: Double(floats(config["div_value"])[0]),
                                             headBias: config["head_bias"] as! Bool)
        #expect(asm.stateDictKeys == fixture["keys"] as! [String])
        #expect(asm.description == fixture["description"] as! String)
        var state: [String: Tensor] = [:]
        for (key, entry) in object(fixture["state"]) {
            state[key] = tensor(object(entry)["values"], ints(object(entry)["shape"]))
        }
        try asm.loadStateDict(state)
        return asm
    }

    @Test(arguments: ["biased", "default"])
    func matchesPyTorch(name: String) throws {
        let fixture = object(try loadFixture("adaptive_softmax.json")[name])
        let asm = try Self.model(fixture)
        let inputs = ints(object(fixture["config"])["in_features"])[0]
        let x = tensor(fixture["x"], [10, inputs], requiresGrad: true)
        let target = Tensor(ints(fixture["target"]))
        let (output, loss) = { let r = asm(x, target); return (r.output, r.loss) }()
        expectClose(output.toArray(), floats(fixture["output"]), "\(name) output")
        expectClose([loss.item()], floats(fixture["loss"]), "\(name) loss")
        loss.backward()
        let parameters = Dictionary(uniqueKeysWithValues: asm.namedParameters())
        for (key, grad) in object(fixture["grads"]) {
            expectClose(parameters[key]?.grad?.toArray() ?? [], floats(grad), "\(name) grad \(key)")
        }
        expectClose(x.grad!.toArray(), floats(fixture["x_grad"]), "\(name) input grad")

        let plain = x.detach()
        let partial = asm(plain, Tensor(ints(fixture["partial_target"])))
        expectClose(partial.output.toArray(), floats(fixture["partial_output"]), "\(name) shortlist and first cluster only")
        expectClose([partial.loss.item()], floats(fixture["partial_loss"]), "\(name) partial loss")
        let single = asm(plain[3], target[3])
        #expect(single.output.shape == [])
        expectClose([single.output.item(), single.loss.item()], floats(fixture["single_output"]) + floats(fixture["single_loss"]),
                    "\(name) one unbatched sample")

        let full = asm.logProb(plain)
        let classes = asm.nClasses
        #expect(full.shape == [10, classes])
        expectClose(full.toArray(), floats(fixture["log_prob"]), "\(name) logProb")
        expectClose(full.exp().sum(dim: 1).toArray(), [Float](repeating: 1, count: 10), "\(name) probabilities sum to 1")
        expectClose(asm.logProb(plain[3]).toArray(), Array(full.toArray()[(3 * classes)..<(4 * classes)]), "\(name) unbatched logProb")
        #expect(asm.predict(plain).toIntArray() == ints(fixture["predict"]))
        #expect(asm.predict(plain).toIntArray() == full.argmax(dim: 1).toIntArray())
    }

    @Test func itsLayersAreSizedAsPyTorch() {
        let asm = AdaptiveLogSoftmaxWithLoss(64, nClasses: 1000, cutoffs: [10, 100, 500])
        #expect(asm.cutoffs == [10, 100, 500, 1000] && asm.shortlistSize == 10 && asm.nClusters == 3 && asm.headSize == 13)
        #expect(asm.head.weight.shape == [13, 64] && asm.head.bias == nil)
        #expect(asm.tail.map { ($0[0] as! Linear).weight.shape } == [[16, 64], [4, 64], [1, 64]])
        #expect(asm.tail.map { ($0[1] as! Linear).weight.shape } == [[90, 16], [400, 4], [500, 1]])
        // Sized by Python's floor division of doubles, as PyTorch (checked there: 640 and 533; 66 and 44).
        #expect(AdaptiveLogSoftmaxWithLoss(768, nClasses: 1000, cutoffs: [100, 400], divValue: 1.2).tail.map { ($0[0] as! Linear).outFeatures } == [640, 533])
        #expect(AdaptiveLogSoftmaxWithLoss(100, nClasses: 1000, cutoffs: [100, 400], divValue: 1.5).tail.map { ($0[0] as! Linear).outFeatures } == [66, 44])
        #expect(pythonFloorDivide(1, 0.1) == 9 && pythonFloorDivide(7, 2) == 3 && pythonFloorDivide(-7, 2) == -4)
        #expect(asm.stateDictKeys == ["head.weight", "tail.0.0.weight", "tail.0.1.weight", "tail.1.0.weight", "tail.1.1.weight",
                                      "tail.2.0.weight", "tail.2.1.weight"])
    }

    /// Words drawn from a Zipf law over 300 classes, each class a noisy point in 32 dimensions: the
    /// adaptive softmax learns them, and its loss and predictions agree with its full distribution.
    @Test func learnsAZipfVocabulary() {
        let generator = RandomGenerator(seed: 12)
        let (classes, features, count) = (300, 32, 4096)
        let centers = Tensor.randn([classes, features], generator: generator) * 2
        let labels = generator.weightedIndices((1...classes).map { 1 / Double($0) }, count: count, replacement: true)
        let targets = Tensor(labels)
        let inputs = centers.indexSelect(dim: 0, indices: targets) + Tensor.randn([count, features], generator: generator) * 0.5
        let asm = AdaptiveLogSoftmaxWithLoss(features, nClasses: classes, cutoffs: [20, 100], divValue: 2, headBias: true)
        let optimizer = Adam(asm.parameters(), lr: 0.02)
        let first = asm(inputs, targets).loss.item()
        for _ in 0..<150 {
            optimizer.zeroGrad()
            asm(inputs, targets).loss.backward()
            optimizer.step()
        }
        let result = noGrad { asm(inputs, targets) }
        // PyTorch, the same setup with its own draws: 6.15 → 0.40, 89.7 % predicted right.
        #expect(first > 4 && result.loss.item() < 0.5, "loss \(first) → \(result.loss.item())")
        let predicted = asm.predict(inputs).toIntArray()
        let accuracy = Float(zip(predicted, labels).filter { $0 == $1 }.count) / Float(count)
        #expect(accuracy > 0.85, "accuracy \(accuracy)")
        // The targets' scores are the full distribution's entries.
        let full = asm.logProb(inputs)
        expectClose(result.output.toArray(), full.gather(dim: 1, indices: targets.unsqueeze(1)).squeeze(1).toArray(),
                    atol: 1e-4, "target log-probabilities against logProb")
    }

    @Test func badInputsStopWithAMessage() async {
        let cutoffs = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4, 4])
        }
        #expect(stderr(cutoffs).contains("cutoffs [4, 4] must be unique, increasing, and lie in 1...9"))
        let tooFew = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [2, 5, 8])
        }
        #expect(stderr(tooFew).contains("cluster 1 would project 8 features to 8 / 4.0^2 < 1; use a smaller divValue"))
        let range = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4])(Tensor.zeros([2, 8]), Tensor([3, 10]))
        }
        #expect(stderr(range).contains("target 10 is outside [0, 9] (nClasses 10)"))
        let shapes = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4])(Tensor.zeros([3, 8]), Tensor([3, 1]))
        }
        #expect(stderr(shapes).contains("1-D targets of shape [2] need inputs [2, 8], got [3, 8]"))
        let oneArgument = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4])(Tensor.zeros([3, 8]))
        }
        #expect(stderr(oneArgument).contains("takes inputs with their targets: asm(x, y).loss"))
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [])
        }
        #expect(stderr(empty).contains("AdaptiveLogSoftmaxWithLoss: cutoffs must hold at least one value"))
        let floatTargets = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4])(Tensor.zeros([2, 8]), Tensor([1, 2] as [Float]))
        }
        #expect(stderr(floatTargets).contains("targets must be int64 class indices, got float32"))
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4])(Tensor.zeros([2, 8]), Tensor([3], shape: []))
        }
        #expect(stderr(scalar).contains("a scalar target needs a 1-D input [8], got [2, 8]"))
        let matrix = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4])(Tensor.zeros([2, 8]), Tensor.zeros([2, 1], dtype: .int64))
        }
        #expect(stderr(matrix).contains("targets must be 1-D [N] or a scalar (one class per sample), got [2, 1]"))
        let logProb = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4]).logProb(Tensor.zeros([2, 3, 8]))
        }
        #expect(stderr(logProb).contains("AdaptiveLogSoftmaxWithLoss.logProb: input must be [N, 8] or [8], got [2, 3, 8]"))
        let predict = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveLogSoftmaxWithLoss(8, nClasses: 10, cutoffs: [4]).predict(Tensor.zeros([8]))
        }
        #expect(stderr(predict).contains("AdaptiveLogSoftmaxWithLoss.predict: input must be [N, 8], got [8]"))
    }
}
