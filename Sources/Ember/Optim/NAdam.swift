import Foundation

/// NAdam, Adam with Nesterov momentum, following `torch.optim.NAdam`:
///
///     t += 1;  g = grad + weightDecay·p  (or p *= 1 - lr·weightDecay when decoupled)
///     μₜ = β1·(1 - ½·0.96^(t·ψ));  Πₜ = Πₜ₋₁·μₜ          (ψ = momentumDecay)
///     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  d = sqrt(v / (1 - β2ᵗ)) + eps
///     p -= lr·(1-μₜ)/(1-Πₜ) · g/d + lr·μₜ₊₁/(1-Πₜ·μₜ₊₁) · m/d
///
/// State: "step", "mu_product" (Πₜ, a scalar), "exp_avg", "exp_avg_sq".
public final class NAdam: Optimizer {
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float, momentumDecay: Float
    public let decoupledWeightDecay: Bool

    public init(_ parameters: [Tensor], lr: Float = 2e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0, momentumDecay: Float = 4e-3, decoupledWeightDecay: Bool = false) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "Ember: NAdam: betas must be in [0, 1), got \(betas)")
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentumDecay = momentumDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = Double(incrementStep(&state))
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay, decoupled: decoupledWeightDecay)
        let (b1, b2, decay) = (Double(beta1), Double(beta2), Double(momentumDecay))
        let mu = b1 * (1 - 0.5 * Foundation.pow(0.96, step * decay))
        let muNext = b1 * (1 - 0.5 * Foundation.pow(0.96, (step + 1) * decay))
        // Kept as a float32 scalar, as PyTorch keeps it.
        let muProduct = Double(Float(Double(state["mu_product"]?.item() ?? 1) * mu))
        state["mu_product"] = Tensor(Float(muProduct))
        let (expAvg, expAvgSq) = updateMoments(g, of: p, in: &state, betas: (beta1, beta2))
        let denom = (expAvgSq / Float(1 - Foundation.pow(b2, step))).sqrt() + eps
        let lr = Double(self.lr)
        p.add_(g / denom, alpha: Float(-lr * (1 - mu) / (1 - muProduct)))
        p.add_(expAvg / denom, alpha: Float(-lr * muNext / (1 - muProduct * muNext)))
    }

    public override var hyperparameters: [String: Float] {
        get {
            ["lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay, "momentum_decay": momentumDecay]
        }
        set {
            lr = newValue["lr"] ?? lr; beta1 = newValue["beta1"] ?? beta1; beta2 = newValue["beta2"] ?? beta2
            eps = newValue["eps"] ?? eps; weightDecay = newValue["weight_decay"] ?? weightDecay
            momentumDecay = newValue["momentum_decay"] ?? momentumDecay
        }
    }
}
