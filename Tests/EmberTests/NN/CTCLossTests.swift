import Foundation
import Testing
@testable import Ember

/// The CTC loss against torch.nn.functional.ctc_loss (ctc.json, from scripts/make_ctc_fixtures.py):
/// losses and the logits' gradients through logSoftmax for each reduction; the true gradient against
/// finite differences; and the messages for bad targets and lengths.
@Suite("CTC loss")
struct CTCLossTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("ctc.json") }

    /// Each reduction through another entry point: the function with arrays, the module with tensors,
    /// the function with tensors. The concatenated case reads non-contiguous log-probabilities.
    @Test(arguments: ["padded", "concatenated", "impossible", "impossible_zeroed", "last_blank", "unbatched", "long"])
    func matchesPyTorch(_ name: String) {
        let c = object(fixture[name])
        let shape = ints(c["shape"])
        let targets = Tensor(ints(c["targets"]), shape: ints(c["targets_shape"]))
        let (inputLengths, targetLengths) = (ints(c["input_lengths"]), ints(c["target_lengths"]))
        let (blank, zeroInfinity) = (c["blank"] as! Int, c["zero_infinity"] as! Bool)
        for reduction in [Reduction.none, .sum, .mean] {
            let logits = tensor(c["logits"], shape, requiresGrad: true)
            var logProbs = logits.logSoftmax(dim: -1)
            if name == "concatenated" { logProbs = logProbs.transpose(0, 1).contiguous().transpose(0, 1) }
            let loss: Tensor
            switch reduction {
            case .none:
                loss = ctcLoss(logProbs, targets: targets, inputLengths: inputLengths, targetLengths: targetLengths,
                               blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)
            case .sum:
                loss = CTCLoss(blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)(
                    logProbs, targets, inputLengths: Tensor(inputLengths), targetLengths: Tensor(targetLengths))
            case .mean:
                loss = ctcLoss(logProbs, targets: targets, inputLengths: Tensor(inputLengths), targetLengths: Tensor(targetLengths),
                               blank: blank, reduction: reduction, zeroInfinity: zeroInfinity)
            }
            let key = reduction.rawValue
            #expect(loss.shape == (reduction == .none && shape.count == 3 ? [shape[1]] : []), "\(name) \(key) shape")
            expectClose(loss.toArray(), floats(c[key]), atol: 1e-4, rtol: 1e-5, "\(name) \(key) loss")
            let weights = reduction == .none ? tensor(c["w"], loss.shape) : Tensor(1)
            (loss * weights).sum().backward()
            expectClose(logits.grad!.toArray(), floats(c["grad_" + key]), atol: 1e-5, rtol: 1e-4, "\(name) \(key) gradient")
        }
    }

    /// The gradient with respect to the log-probabilities themselves, not only through logSoftmax:
    /// unnormalized inputs, where PyTorch's differs by exp(input).
    @Test func gradientIsTheTrueDerivative() throws {
        let inputs = Tensor.randn([6, 2, 4], generator: RandomGenerator(seed: 11)) * 0.5
        let targets = Tensor([1, 3, 3, 2, 0, 0] as [Int], shape: [2, 3])
        try Autograd.gradcheck({ ctcLoss($0[0], targets: targets, inputLengths: [6, 5], targetLengths: [3, 1], reduction: .none) },
                               inputs: [inputs.requiringGrad(true)], eps: 1e-2, atol: 2e-3, rtol: 1e-2)
        // Frames past an input's length get no gradient.
        let x = inputs.requiringGrad(true)
        ctcLoss(x, targets: targets, inputLengths: [6, 5], targetLengths: [3, 1], reduction: .sum).backward()
        #expect(x.grad!.slice(0, start: 5, end: 6).slice(1, start: 1, end: 2).toArray() == [0, 0, 0, 0])
    }

    @Test func moduleAndTensorLengths() {
        let logProbs = Tensor.randn([5, 2, 3], generator: RandomGenerator(seed: 4)).logSoftmax(dim: -1)
        let targets = Tensor([1, 2, 2, 0] as [Int], shape: [2, 2])
        let loss = CTCLoss(reduction: .sum)
        let fromTensors = loss(logProbs, targets, inputLengths: Tensor([5, 4] as [Int]), targetLengths: Tensor([2, 1] as [Int]))
        let fromArrays = ctcLoss(logProbs, targets: targets, inputLengths: [5, 4], targetLengths: [2, 1], reduction: .sum)
        #expect(fromTensors.item() == fromArrays.item())
        #expect("\(loss)" == "CTCLoss(blank=0, reduction=sum, zeroInfinity=false)")
        // An input of length 0 has likelihood 1 for the empty target, 0 for any other; its gradient is 0.
        let x = logProbs.detach().requiringGrad(true)
        let empty = ctcLoss(x, targets: targets, inputLengths: [0, 4], targetLengths: [0, 1], reduction: .none)
        #expect(empty.toArray()[0] == 0 && empty.toArray()[1].isFinite)
        empty.sum().backward()
        #expect(x.grad!.select(1, 0).toArray() == [Float](repeating: 0, count: 15))
        #expect(x.grad!.select(1, 1).abs().sum().item() > 0)
        #expect(ctcLoss(logProbs, targets: targets, inputLengths: [0, 4], targetLengths: [1, 1], reduction: .none).toArray()[0] == .infinity)
        // An unbatched sequence's target may also be [1, S].
        let single = logProbs.select(1, 0)
        #expect(ctcLoss(single, targets: Tensor([1, 2] as [Int], shape: [1, 2]), inputLengths: [5], targetLengths: [2]).item()
            == ctcLoss(single, targets: Tensor([1, 2] as [Int]), inputLengths: [5], targetLengths: [2]).item())
    }

    /// The first derivative can be recorded (a gradient penalty), as in PyTorch; only differentiating
    /// it again stops.
    @Test func firstDerivativeUnderCreateGraph() {
        let x = Tensor.randn([4, 1, 3], generator: RandomGenerator(seed: 5)).requiringGrad(true)
        let loss = ctcLoss(x, targets: Tensor([1, 2] as [Int], shape: [1, 2]), inputLengths: [4], targetLengths: [2], reduction: .sum)
        let recorded = Autograd.grad(of: loss, wrt: [x], createGraph: true)[0]
        let plain = Autograd.grad(of: ctcLoss(x, targets: Tensor([1, 2] as [Int], shape: [1, 2]), inputLengths: [4],
                                              targetLengths: [2], reduction: .sum), wrt: [x])[0]
        #expect(recorded.toArray() == plain.toArray() && recorded.requiresGrad)
    }

    @Test func badInputsNameTheProblem() async {
        let blankTarget = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1, 0] as [Int], shape: [1, 2]), inputLengths: [4], targetLengths: [2])
        }
        #expect(stderr(blankTarget).contains("ctcLoss: target 0 holds 0, which is the blank; targets are labels other than blank (0)"))
        let outOfRange = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1, 3] as [Int], shape: [1, 2]), inputLengths: [4], targetLengths: [2])
        }
        #expect(stderr(outOfRange).contains("ctcLoss: target 0 holds 3, which is not a class index in 0..<3"))
        let tooLong = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1, 2] as [Int], shape: [1, 2]), inputLengths: [5], targetLengths: [2])
        }
        #expect(stderr(tooLong).contains("ctcLoss: input length 5 of sequence 0 is outside 0...4"))
        let columns = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1, 2] as [Int], shape: [1, 2]), inputLengths: [4], targetLengths: [3])
        }
        #expect(stderr(columns).contains("ctcLoss: target length 3 of sequence 0 is longer than the targets' 2 columns"))
        let concatenated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 2, 3]), targets: Tensor([1, 2, 1] as [Int]), inputLengths: [4, 4], targetLengths: [2, 2])
        }
        #expect(stderr(concatenated).contains("should hold the sum of the target lengths, 4 labels"))
        let floatTargets = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1, 2] as [Float], shape: [1, 2]), inputLengths: [4], targetLengths: [2])
        }
        #expect(stderr(floatTargets).contains("ctcLoss: targets must be int64 class indices, got float32"))
        let secondOrder = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor.zeros([4, 1, 3]).requiringGrad(true)
            let loss = ctcLoss(x, targets: Tensor([1, 2] as [Int], shape: [1, 2]), inputLengths: [4], targetLengths: [2])
            Autograd.grad(of: loss, wrt: [x], createGraph: true)[0].square().sum().backward()
        }
        #expect(stderr(secondOrder).contains("ctcLoss: second derivatives are not supported"))
        let bad0 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1] as [Int], shape: [1, 1]), inputLengths: [4], targetLengths: [-1])
        }
        #expect(stderr(bad0).contains("ctcLoss: target length -1 of sequence 0 is negative"))
        let bad1 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1] as [Int], shape: [1, 1]), inputLengths: [4], targetLengths: [1], blank: 3)
        }
        #expect(stderr(bad1).contains("ctcLoss: blank 3 is not a class index in 0..<3"))
        let bad2 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 2, 3]), targets: Tensor([1, 1] as [Int], shape: [2, 1]), inputLengths: [4], targetLengths: [1, 1])
        }
        #expect(stderr(bad2).contains("ctcLoss: expected 2 input and target lengths (one per sequence of log-probabilities of shape [4, 2, 3]), got 1 and 2"))
        let bad3 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 2, 3]), targets: Tensor([1, 1, 1] as [Int], shape: [3, 1]), inputLengths: [4, 4], targetLengths: [1, 1])
        }
        #expect(stderr(bad3).contains("ctcLoss: expected targets [2, S] or concatenated [sum of target lengths] for log-probabilities of shape [4, 2, 3], got shape [3, 1]"))
        let bad4 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 1, 3]), targets: Tensor([1] as [Int], shape: [1, 1]), inputLengths: Tensor([4] as [Float]), targetLengths: Tensor([1]))
        }
        #expect(stderr(bad4).contains("ctcLoss: input lengths must be an int64 tensor [N] (or a scalar), got float32 of shape [1]"))
        let bad5 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(Tensor.zeros([4, 0, 3]), targets: Tensor.zeros([0, 1], dtype: .int64), inputLengths: [], targetLengths: [])
        }
        #expect(stderr(bad5).contains("ctcLoss: the log-probabilities of shape [4, 0, 3] hold no sequence"))
    }
}
