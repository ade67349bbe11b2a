/// RMSprop, following `torch.optim.RMSprop`:
///
///     g = grad + weightDecay·p;  s = α·s + (1-α)·g²
///     centered: a = α·a + (1-α)·g, avg = sqrt(s - a²) + eps;  otherwise avg = sqrt(s) + eps
///     momentum > 0: b = momentum·b + g/avg, p -= lr·b;  otherwise p -= lr·g/avg
///
/// State: "step", "square_avg", "momentum_buffer" (momentum), "grad_avg" (centered).
public final class RMSprop: Optimizer {
    public var alpha: Float, eps: Float, weightDecay: Float, momentum: Float
    public let centered: Bool

    public init(_ parameters: [Tensor], lr: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8,
                weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false) {
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        _ = incrementStep(&state)
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay)
        let squareAvg = buffer("square_avg", like: p, in: &state)
        squareAvg.scaleAdd_(alpha, g * g, alpha: 1 - alpha)
        var avg: Tensor
        if centered {
            let gradAvg = buffer("grad_avg", like: p, in: &state)
            gradAvg.lerp_(g, weight: 1 - alpha)
            avg = (squareAvg - gradAvg * gradAvg).sqrt()
        } else {
            avg = squareAvg.sqrt()
        }
        avg = avg + eps
        if momentum > 0 {
            let momentumBuffer = buffer("momentum_buffer", like: p, in: &state)
            momentumBuffer.scaleAdd_(momentum, g / avg, alpha: 1)
            p.add_(momentumBuffer, alpha: -lr)
        } else {
            p.add_(g / avg, alpha: -lr)
        }
    }

    /// Its update has no step-dependent factors.
    public override var isGraphCapturable: Bool { true }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weightDecay, "momentum": momentum] }
        set {
            lr = newValue["lr"] ?? lr; alpha = newValue["alpha"] ?? alpha; eps = newValue["eps"] ?? eps
            weightDecay = newValue["weight_decay"] ?? weightDecay; momentum = newValue["momentum"] ?? momentum
        }
    }
}
