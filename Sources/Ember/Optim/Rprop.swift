/// Rprop, resilient backpropagation, following `torch.optim.Rprop`: each weight keeps its own step
/// size, grown while its gradient keeps its sign and shrunk when the sign flips; only the gradient's
/// sign moves the weight. For full-batch training (it ignores the gradient's magnitude).
///
///     s = sign(g·prev)
///     size = clamp(size·(s > 0 ? η+ : s < 0 ? η− : 1), stepSizes)
///     g = s < 0 ? 0 : g   (after a sign flip, skip this step and forget the gradient)
///     p -= sign(g)·size;  prev = g
///
/// State: "step", "prev", "step_size" (starting at `lr`).
public final class Rprop: Optimizer {
    public var etaMinus: Float, etaPlus: Float, stepSizeMin: Float, stepSizeMax: Float

    public init(_ parameters: [Tensor], lr: Float = 1e-2, etas: (minus: Float, plus: Float) = (0.5, 1.2),
                stepSizes: (min: Float, max: Float) = (1e-6, 50)) {
        precondition(0 < etas.minus && etas.minus < 1 && 1 < etas.plus,
                     "Ember: Rprop: etas must satisfy 0 < minus < 1 < plus, got \(etas)")
        (etaMinus, etaPlus) = etas
        (stepSizeMin, stepSizeMax) = stepSizes
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        _ = incrementStep(&state)
        let prev = buffer("prev", like: p, in: &state)
        let stepSize = buffer("step_size", like: p, in: &state, initial: lr)
        let agreement = (grad * prev).sign()
        let flipped = agreement.lt(0)
        // The masks do not overlap, so each factor is exactly η+, η− or 1.
        let factor = agreement.gt(0) * etaPlus + flipped * etaMinus + agreement.eq(0)
        stepSize.copy_((stepSize * factor).clamp(min: stepSizeMin, max: stepSizeMax))
        let g = grad.maskedFill(flipped, 0)
        p.sub_(g.sign() * stepSize)
        prev.copy_(g)
    }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "eta_minus": etaMinus, "eta_plus": etaPlus, "step_size_min": stepSizeMin, "step_size_max": stepSizeMax] }
        set {
            lr = newValue["lr"] ?? lr; etaMinus = newValue["eta_minus"] ?? etaMinus; etaPlus = newValue["eta_plus"] ?? etaPlus
            stepSizeMin = newValue["step_size_min"] ?? stepSizeMin; stepSizeMax = newValue["step_size_max"] ?? stepSizeMax
        }
    }
}
