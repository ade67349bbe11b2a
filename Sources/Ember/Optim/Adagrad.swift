/// Adagrad, following `torch.optim.Adagrad`:
///
///     t += 1;  g = grad + weightDecay·p;  clr = lr / (1 + (t-1)·lrDecay)
///     s += g²;  p -= clr · g / (sqrt(s) + eps)
///
/// State: "step", "sum" (starting at `initialAccumulatorValue`).
public final class Adagrad: Optimizer {
    public var lrDecay: Float, weightDecay: Float, eps: Float
    public let initialAccumulatorValue: Float

    public init(_ parameters: [Tensor], lr: Float = 1e-2, lrDecay: Float = 0, weightDecay: Float = 0,
                initialAccumulatorValue: Float = 0, eps: Float = 1e-10) {
        self.lrDecay = lrDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.eps = eps
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = incrementStep(&state)
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay)
        let clr = lr / (1 + Float(step - 1) * lrDecay)
        let sum = buffer("sum", like: p, in: &state, initial: initialAccumulatorValue)
        sum.add_(g * g)
        let std = sum.sqrt().add_(eps)   // in place: one pass and one buffer fewer
        p.add_(g / std, alpha: -clr)
    }

    /// Its update has the step count only enters through lrDecay.
    public override var isGraphCapturable: Bool { lrDecay == 0 }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "lr_decay": lrDecay, "weight_decay": weightDecay, "eps": eps] }
        set {
            lr = newValue["lr"] ?? lr; lrDecay = newValue["lr_decay"] ?? lrDecay
            weightDecay = newValue["weight_decay"] ?? weightDecay; eps = newValue["eps"] ?? eps
        }
    }
}
