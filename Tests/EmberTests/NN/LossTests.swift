import Foundation
import Testing
@testable import Ember

/// A user-written loss, as in Loss's documentation.
final class LogCoshLoss: Loss {
    override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        let d = input - target
        return reduction.reduce((d.exp() + (-d).exp()).log() - 0.6931472)   // log(cosh d)
    }
}

@Suite("Losses")
struct LossTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("nn_losses.json") }

    /// Builds the loss for a fixture case and reduction; the second value is the functional form.
    func make(_ name: String, _ reduction: Reduction, _ f: [String: Any]) -> (Loss, (Tensor, Tensor) -> Tensor, Tensor) {
        let shape = ints(f["input_shape"])
        let weight4 = f["weight"].map { _ in Tensor(floats(f["weight"]), shape: name.hasPrefix("bce") ? shape : [4]) }
        let smoothing = (f["label_smoothing"] as? Double).map(Float.init) ?? 0
        var floatTarget: Tensor { Tensor(floats(f["target"]), shape: shape) }
        var classTarget: Tensor { Tensor(ints(f["target"]), shape: f["target_shape"].map { _ in ints(f["target_shape"]) } ?? [shape[0]]) }
        switch name {
        case "mse": return (MSELoss(reduction: reduction), { mseLoss($0, $1, reduction: reduction) }, floatTarget)
        case "l1": return (L1Loss(reduction: reduction), { l1Loss($0, $1, reduction: reduction) }, floatTarget)
        case "huber_1": return (HuberLoss(reduction: reduction), { huberLoss($0, $1, reduction: reduction) }, floatTarget)
        case "huber_05":
            return (HuberLoss(delta: 0.5, reduction: reduction), { huberLoss($0, $1, delta: 0.5, reduction: reduction) }, floatTarget)
        case "bce", "bce_weight":
            return (BCELoss(weight: weight4, reduction: reduction),
                    { binaryCrossEntropy($0, $1, weight: weight4, reduction: reduction) }, floatTarget)
        case "bce_logits", "bce_logits_weights":
            let pw = f["pos_weight"].map { _ in Tensor(floats(f["pos_weight"])) }
            return (BCEWithLogitsLoss(weight: weight4, posWeight: pw, reduction: reduction),
                    { binaryCrossEntropyWithLogits($0, $1, weight: weight4, posWeight: pw, reduction: reduction) }, floatTarget)
        case "nll", "nll_weight":
            return (NLLLoss(weight: weight4, reduction: reduction),
                    { nllLoss($0, $1, weight: weight4, reduction: reduction) }, classTarget)
        case "ce_probs_smooth_weight":
            return (CrossEntropyLoss(weight: weight4, labelSmoothing: smoothing, reduction: reduction),
                    { crossEntropy($0, $1, weight: weight4, labelSmoothing: smoothing, reduction: reduction) }, floatTarget)
        default:
            return (CrossEntropyLoss(weight: weight4, labelSmoothing: smoothing, reduction: reduction),
                    { crossEntropy($0, $1, weight: weight4, labelSmoothing: smoothing, reduction: reduction) }, classTarget)
        }
    }

    @Test(arguments: ["mse", "l1", "huber_1", "huber_05", "bce", "bce_weight", "bce_logits", "bce_logits_weights",
                      "nll", "nll_weight", "ce", "ce_ignore", "ce_weight", "ce_smooth", "ce_weight_smooth", "ce_ignore_weight_smooth",
                      "ce_3d_weight", "ce_probs_smooth_weight"])
    func lossMatchesTorch(name: String) {
        let f = object(fixture[name])
        let shape = ints(f["input_shape"])
        for reduction in [Reduction.mean, .sum, .none] {
            let expected = object(f[reduction.rawValue])
            let (loss, functional, target) = make(name, reduction, f)
            let x = Tensor(floats(f["input"]), shape: shape, requiresGrad: true)
            let value = loss(x, target)
            if reduction != .none { #expect(value.shape == [], "\(name) \(reduction) is a scalar") }
            expectClose(value.toArray(), floats(expected["value"]), atol: 1e-5, "\(name) \(reduction) value")
            value.sum().backward()
            expectClose(x.grad!.toArray(), floats(expected["grad"]), atol: 1e-5, "\(name) \(reduction) grad")
            let x2 = Tensor(floats(f["input"]), shape: shape)
            expectClose(functional(x2, target).toArray(), floats(expected["value"]), atol: 1e-5, "\(name) functional")
        }
    }

    @Test func noneReductionKeepsTargetShape() {
        let logits = Tensor.randn([2, 4, 3])
        let target = Tensor([[0, 3, 2], [1, 1, 0]])
        #expect(crossEntropy(logits, target, reduction: .none).shape == [2, 3])
        #expect(mseLoss(Tensor.zeros([2, 3]), Tensor.ones([2, 3]), reduction: .none).shape == [2, 3])
    }

    @Test func bceWithLogitsIsStableForLargeLogits() {
        let x = Tensor([100, -100, 80, -80] as [Float])
        let y = Tensor([1, 0, 0, 1] as [Float])
        let values = binaryCrossEntropyWithLogits(x, y, reduction: .none).toArray()
        expectClose(values, [0, 0, 80, 80], atol: 1e-4)
        #expect(values.allSatisfy { $0.isFinite })
        // BCE on saturated probabilities clamps the logs at -100 like PyTorch.
        #expect(binaryCrossEntropy(Tensor([0, 1] as [Float]), Tensor([1, 0] as [Float]), reduction: .none).toArray() == [100, 100])
    }

    @Test func customLossTrainsThroughAutograd() {
        let x = Tensor([0.5, -1, 2], requiresGrad: true)
        let y = Tensor([0, 0, 0] as [Float])
        let loss = LogCoshLoss(reduction: .sum)(x, y)
        let expected = [0.5, -1, 2].map { Float(Foundation.log(Foundation.cosh($0))) }.reduce(0, +)
        #expect(abs(loss.item() - expected) < 1e-5)
        loss.backward()
        expectClose(x.grad!.toArray(), [0.5, -1, 2].map { Float(Foundation.tanh($0)) })
        #expect(LogCoshLoss().reduction == .mean)
    }
}
