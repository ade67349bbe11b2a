/// Adadelta, following `torch.optim.Adadelta` (the optimizer of PyTorch's MNIST example, lr 1.0):
///
///     g = grad + weightDecay·p
///     s = ρ·s + (1-ρ)·g²;  Δ = sqrt(u + eps) / sqrt(s + eps) · g;  u = ρ·u + (1-ρ)·Δ²;  p -= lr·Δ
///
/// The step adapts to the ratio of recent update sizes to recent gradient sizes, so lr 1.0 is the
/// usual rate. State: "step", "square_avg", "acc_delta".
public final class Adadelta: Optimizer {
    public var rho: Float, eps: Float, weightDecay: Float

    public init(_ parameters: [Tensor], lr: Float = 1.0, rho: Float = 0.9, eps: Float = 1e-6, weightDecay: Float = 0) {
        precondition(rho >= 0 && rho <= 1, "Ember: Adadelta: rho must be in [0, 1], got \(rho)")
        self.rho = rho
        self.eps = eps
        self.weightDecay = weightDecay
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        _ = incrementStep(&state)
        let g = decayedGradient(grad, of: p, weightDecay: weightDecay)
        let squareAvg = buffer("square_avg", like: p, in: &state)
        let accDelta = buffer("acc_delta", like: p, in: &state)
        squareAvg.scaleAdd_(rho, g * g, alpha: 1 - rho)
        let delta = (accDelta + eps).sqrt() / (squareAvg + eps).sqrt() * g
        accDelta.scaleAdd_(rho, delta * delta, alpha: 1 - rho)
        p.add_(delta, alpha: -lr)
    }

    /// Its update has no step-dependent factors.
    public override var isGraphCapturable: Bool { true }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "rho": rho, "eps": eps, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; rho = newValue["rho"] ?? rho; eps = newValue["eps"] ?? eps
            weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
