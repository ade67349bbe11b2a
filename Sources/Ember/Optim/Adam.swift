import Foundation

/// Adam, following `torch.optim.Adam` (with `decoupledWeightDecay` it is AdamW):
///
///     t += 1;  g = grad + weightDecay·p   (AdamW instead: p *= 1 - lr·weightDecay)
///     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;  (amsgrad: vmax = max(vmax, v), used for v)
///     p -= lr/(1-β1ᵗ) · m / (sqrt(v)/sqrt(1-β2ᵗ) + eps)
///
/// State: "step", "exp_avg", "exp_avg_sq" and "max_exp_avg_sq" (amsgrad).
open class Adam: Optimizer {
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    public let amsgrad: Bool
    /// Decay the weights directly instead of adding weightDecay·p to the gradient (AdamW).
    public let decoupledWeightDecay: Bool

    public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0, amsgrad: Bool = false, decoupledWeightDecay: Bool = false) {
        precondition(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1,
                     "Ember: Adam: invalid betas \(betas); each must be in [0, 1)")
        beta1 = betas.0
        beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(parameters, lr: lr)
    }

    open override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = incrementStep(&state)
        let expAvg = state["exp_avg"] ?? Tensor.zeros(like: p)
        let expAvgSq = state["exp_avg_sq"] ?? Tensor.zeros(like: p)
        state["exp_avg"] = expAvg
        state["exp_avg_sq"] = expAvgSq
        var maxSq: Tensor? = nil
        if amsgrad {
            maxSq = state["max_exp_avg_sq"] ?? Tensor.zeros(like: p)
            state["max_exp_avg_sq"] = maxSq
        }
        p.adamStep_(grad: grad, expAvg: expAvg, expAvgSq: expAvgSq, maxExpAvgSq: maxSq,
                    AdamHyperparameters(lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                                        decoupledWeightDecay: decoupledWeightDecay, step: step))
    }

    open override var hyperparameters: [String: Float] {
        get { ["lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; beta1 = newValue["beta1"] ?? beta1; beta2 = newValue["beta2"] ?? beta2
            eps = newValue["eps"] ?? eps; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
