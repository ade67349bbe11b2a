import Foundation

/// Adamax, Adam with the infinity norm, following `torch.optim.Adamax`:
///
///     t += 1;  g = grad + weightDecay·p
///     m = β1·m + (1-β1)·g;  u = max(β2·u, |g| + eps);  p -= lr / (1 - β1ᵗ) · m / u
///
/// State: "step", "exp_avg", "exp_inf".
public final class Adamax: Optimizer {
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float

    public init(_ parameters: [Tensor], lr: Float = 2e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "Ember: Adamax: betas must be in [0, 1), got \(betas)")
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = incrementStep(&state)
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay)
        let expAvg = buffer("exp_avg", like: p, in: &state)
        let expInf = buffer("exp_inf", like: p, in: &state)
        expAvg.scaleAdd_(beta1, g, alpha: 1 - beta1)
        let bound = g.abs().add_(eps)
        expInf.mul_(beta2).copy_(expInf.maximum(bound))
        let stepSize = Double(lr) / (1 - Foundation.pow(Double(beta1), Double(step)))
        p.add_(expAvg / expInf, alpha: -Float(stepSize))
    }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; beta1 = newValue["beta1"] ?? beta1; beta2 = newValue["beta2"] ?? beta2
            eps = newValue["eps"] ?? eps; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
