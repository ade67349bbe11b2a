import Foundation
import Testing
@testable import Ember

/// linearCrossEntropy and LinearCrossEntropyLoss against PyTorch's values and gradients, on the whole
/// logits and chunk by chunk.
@Suite("Linear cross-entropy")
struct LinearCrossEntropyTests {
    @Test func matchesPyTorchWholeAndChunked() throws {
        let f = try loadFixture("linear_cross_entropy.json")
        let (n, inputs, classes) = (f["n"] as! Int, f["in_features"] as! Int, f["classes"] as! Int)
        let target = Tensor(ints(f["target"]))
        let classWeight = tensor(f["class_weight"], [classes])
        for entry in f["cases"] as! [Any] {
            let c = object(entry)
            let name = "\(c["name"] as! String) \(c["reduction"] as! String)"
            let reduction = Reduction(rawValue: c["reduction"] as! String)!
            for chunk in [nil, 1, 3, 100] as [Int?] {
                let x = tensor(f["x"], [n, inputs], requiresGrad: true)
                let w = tensor(f["w"], [classes, inputs], requiresGrad: true)
                let b = (c["bias"] as! Bool) ? tensor(f["b"], [classes], requiresGrad: true) : nil
                let loss = linearCrossEntropy(x, linearWeight: w, target: target, linearBias: b,
                                              weight: (c["weighted"] as! Bool) ? classWeight : nil, reduction: reduction,
                                              labelSmoothing: floats(c["label_smoothing"])[0], chunkSize: chunk)
                let what = "\(name), chunks of \(chunk.map(String.init) ?? "all")"
                expectClose(loss.toArray(), floats(c["loss"]), "\(what) loss")
                (loss * tensor(c["upstream"], loss.shape)).sum().backward()
                expectClose(x.grad!.toArray(), floats(c["x_grad"]), "\(what) input gradient")
                expectClose(w.grad!.toArray(), floats(c["w_grad"]), "\(what) weight gradient")
                if let b { expectClose(b.grad!.toArray(), floats(c["b_grad"]), "\(what) bias gradient") }
            }
        }
        let module = LinearCrossEntropyLoss(inputs, numClasses: classes, bias: true, labelSmoothing: 0.1)
        #expect(module.description == f["repr"] as! String)
        #expect(module.stateDictKeys == f["keys"] as! [String])
        // The class weight is a buffer, as PyTorch's _WeightedLoss registers it.
        #expect(LinearCrossEntropyLoss(inputs, numClasses: classes, weight: classWeight).stateDictKeys == ["weight", "linear.weight"])
    }

    /// A batch whose every row is ignored: the mean is NaN and its gradient 0 (PyTorch's reference
    /// path), on the whole logits and chunked; an empty batch scores NaN too.
    @Test func allIgnoredRowsGiveNoGradient() {
        for chunk in [nil, 2] as [Int?] {
            for (smoothing, classWeight) in [(0, nil), (0.1, nil), (0, Tensor.ones([5]))] as [(Float, Tensor?)] {
                let x = Tensor.randn([3, 4]).requiringGrad()
                let w = Tensor.randn([5, 4]).requiringGrad()
                let loss = linearCrossEntropy(x, linearWeight: w, target: Tensor([-100, -100, -100]), weight: classWeight,
                                              labelSmoothing: smoothing, chunkSize: chunk)
                #expect(loss.item().isNaN)
                loss.backward()
                #expect(x.grad!.toArray().allSatisfy { $0 == 0 } && w.grad!.toArray().allSatisfy { $0 == 0 },
                        "chunks of \(String(describing: chunk)), smoothing \(smoothing), weighted \(classWeight != nil)")
            }
        }
        #expect(linearCrossEntropy(Tensor.zeros([0, 4]), linearWeight: Tensor.zeros([5, 4]), target: Tensor.zeros([0], dtype: .int64),
                                   chunkSize: 2).item().isNaN)
    }

    /// A vocabulary head of 2,000 classes learnt 16 rows at a time gives, step by step, the same loss
    /// and weights as the whole logits.
    @Test func chunkedHeadTrainsAsTheWholeOne() {
        let generator = RandomGenerator(seed: 17)
        let (rows, features, classes) = (100, 24, 2_000)
        let x = Tensor.randn([rows, features], generator: generator)
        let y = Tensor(generator.ints(below: 50, count: rows).map { $0 * 37 % classes })
        let whole = LinearCrossEntropyLoss(features, numClasses: classes, bias: true, labelSmoothing: 0.05)
        let chunked = LinearCrossEntropyLoss(features, numClasses: classes, bias: true, labelSmoothing: 0.05, chunkSize: 16)
        try! chunked.loadStateDict(whole.stateDict())
        // SGD, so that the last-bit differences of the chunked sums stay last-bit (Adam would magnify them
        // for classes whose gradients are about 0).
        let (a, b) = (SGD(whole.parameters(), lr: 2), SGD(chunked.parameters(), lr: 2))
        var losses: [(Float, Float)] = []
        for _ in 0..<30 {
            a.zeroGrad(); b.zeroGrad()
            let (l1, l2) = (whole(x, y), chunked(x, y))
            l1.backward(); l2.backward()
            a.step(); b.step()
            losses.append((l1.item(), l2.item()))
        }
        for (step, (l1, l2)) in losses.enumerated() { expectClose([l2], [l1], atol: 1e-4, "step \(step)") }
        #expect(losses.last!.0 < losses.first!.0 / 3, "loss \(losses.first!.0) → \(losses.last!.0)")
        expectClose(chunked.linear.weight.toArray(), whole.linear.weight.toArray(), atol: 1e-4, "weights after training")
    }

    @Test func badInputsStopWithAMessage() async {
        let shapes = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linearCrossEntropy(Tensor.zeros([2, 4]), linearWeight: Tensor.zeros([5, 3]), target: Tensor([0, 1]), chunkSize: 1)
        }
        #expect(stderr(shapes).contains("linearCrossEntropy: input of shape [2, 4] does not fit a linear weight of shape [5, 3]"))
        let sequence = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linearCrossEntropy(Tensor.zeros([2, 5, 3]), linearWeight: Tensor.zeros([5, 3]), target: Tensor.zeros([2, 5], dtype: .int64))
        }
        #expect(stderr(sequence).contains("(expected an input [N, in] or [in] against a weight [classes, in])"))
        let range = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linearCrossEntropy(Tensor.zeros([2, 3]), linearWeight: Tensor.zeros([5, 3]), target: Tensor([0, 5]), chunkSize: 1)
        }
        #expect(stderr(range).contains("linearCrossEntropy: target 5 is outside [0, 4] (and is not ignoreIndex -100)"))
        let smoothing = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linearCrossEntropy(Tensor.zeros([2, 3]), linearWeight: Tensor.zeros([5, 3]), target: Tensor([0, 1]), labelSmoothing: 1.5)
        }
        #expect(stderr(smoothing).contains("linearCrossEntropy: labelSmoothing must be between 0.0 and 1.0, got 1.5"))
        let chunk = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linearCrossEntropy(Tensor.zeros([2, 3]), linearWeight: Tensor.zeros([5, 3]), target: Tensor([0, 1]), chunkSize: 0)
        }
        #expect(stderr(chunk).contains("linearCrossEntropy: chunkSize must be positive, got 0"))
        let classWeight = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linearCrossEntropy(Tensor.zeros([2, 3]), linearWeight: Tensor.zeros([5, 3]), target: Tensor([0, 1]),
                                   weight: Tensor.ones([4]), chunkSize: 1)
        }
        #expect(stderr(classWeight).contains("linearCrossEntropy: class weight of shape [4] must have one entry per class: [5]"))
        let moduleWeight = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LinearCrossEntropyLoss(3, numClasses: 5, weight: Tensor.ones([2]))
        }
        #expect(stderr(moduleWeight).contains("LinearCrossEntropyLoss: expected weight shape to be [5], got [2]"))
        let moduleSmoothing = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LinearCrossEntropyLoss(3, numClasses: 5, labelSmoothing: -0.1)
        }
        #expect(stderr(moduleSmoothing).contains("LinearCrossEntropyLoss: expected labelSmoothing to be in [0, 1], got -0.1"))
        let call = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LinearCrossEntropyLoss(3, numClasses: 5)(Tensor.zeros([2, 3]))
        }
        #expect(stderr(call).contains("LinearCrossEntropyLoss takes inputs with their targets: loss(x, y)"))
    }
}
