import Foundation

/// Averaged SGD, following `torch.optim.ASGD`: SGD with a decaying rate η and a running average `ax`
/// of the weights from step t0 on (Polyak averaging; the average is what a caller evaluates).
///
///     t += 1;  g = grad + weightDecay·p
///     p *= 1 - λ·η;  p -= η·g
///     ax += μ·(p - ax)   (ax = p while μ = 1)
///     η = lr / (1 + λ·lr·t)^α;  μ = 1 / max(1, t - t0)
///
/// State: "step", "eta", "mu" (host scalars) and "ax".
public final class ASGD: Optimizer {
    public var lambd: Float, alpha: Float, t0: Float, weightDecay: Float

    public init(_ parameters: [Tensor], lr: Float = 1e-2, lambd: Float = 1e-4, alpha: Float = 0.75, t0: Float = 1e6,
                weightDecay: Float = 0) {
        precondition(lambd >= 0 && alpha >= 0 && weightDecay >= 0,
                     "Ember: ASGD: lambd, alpha and weightDecay must be non-negative, got \(lambd), \(alpha), \(weightDecay)")
        (self.lambd, self.alpha, self.t0, self.weightDecay) = (lambd, alpha, t0, weightDecay)
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = Double(incrementStep(&state))
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay)
        let eta = state["eta"]?.item() ?? lr, mu = state["mu"]?.item() ?? 1
        let average = buffer("ax", like: p, in: &state)
        p.mul_(Float(1 - Double(lambd) * Double(eta)))
        p.add_(g, alpha: -eta)
        if mu != 1 { average.add_((p - average) * mu) } else { average.copy_(p) }
        let (lr, lambd) = (Double(self.lr), Double(self.lambd))
        state["eta"] = Tensor(Float(lr / Foundation.pow(1 + lambd * lr * step, Double(alpha))))
        state["mu"] = Tensor(Float(1 / Swift.max(1, step - Double(t0))))
    }

    public override func keepsStateOnHost(_ name: String, shape: [Int]) -> Bool { ["step", "eta", "mu"].contains(name) }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; lambd = newValue["lambd"] ?? lambd; alpha = newValue["alpha"] ?? alpha
            t0 = newValue["t0"] ?? t0; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
