import Foundation

/// RAdam, Adam with a rectified adaptive rate, following `torch.optim.RAdam`:
///
///     t += 1;  g = grad + weightDecay·p  (or p *= 1 - lr·weightDecay when decoupled)
///     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  m̂ = m / (1 - β1ᵗ)
///     ρ∞ = 2/(1-β2) - 1;  ρₜ = ρ∞ - 2t·β2ᵗ/(1 - β2ᵗ)
///     ρₜ > 5: r = sqrt((ρₜ-4)(ρₜ-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρₜ)), p -= lr·m̂·r·sqrt(1 - β2ᵗ)/(sqrt(v) + eps)
///     else:   p -= lr·m̂   (plain momentum while the variance estimate is unreliable)
///
/// State: "step", "exp_avg", "exp_avg_sq".
public final class RAdam: Optimizer {
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public let decoupledWeightDecay: Bool

    public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "Ember: RAdam: betas must be in [0, 1), got \(betas)")
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = Double(incrementStep(&state))
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay, decoupled: decoupledWeightDecay)
        let (expAvg, expAvgSq) = updateMoments(g, of: p, in: &state, betas: (beta1, beta2))
        let (b1, b2) = (Double(beta1), Double(beta2))
        let correction1 = 1 - Foundation.pow(b1, step), correction2 = 1 - Foundation.pow(b2, step)
        let rhoInf = 2 / (1 - b2) - 1
        let rho = rhoInf - 2 * step * Foundation.pow(b2, step) / correction2
        let corrected = expAvg / Float(correction1)
        if rho > 5 {
            let rect = ((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho)).squareRoot()
            p.add_(corrected / (expAvgSq.sqrt() + eps), alpha: -Float(Double(lr) * rect * correction2.squareRoot()))
        } else {
            p.add_(corrected, alpha: -lr)
        }
    }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; beta1 = newValue["beta1"] ?? beta1; beta2 = newValue["beta2"] ?? beta2
            eps = newValue["eps"] ?? eps; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
