import Foundation

/// Adafactor, following `torch.optim.Adafactor`: Adam's second moment kept factored, as a row and a
/// column average for each matrix (memory O(rows + cols) instead of O(rows·cols)), a relative step
/// size scaled by the weights' RMS, and update clipping; no first moment.
///
///     t += 1;  β2ₜ' = t^β2Decay  (the weight of the new gradient);  ρ = min(lr, 1/√t)
///     α = max(eps2, RMS(p))·ρ;  p *= 1 - lr·weightDecay
///     matrices: r = lerp(r, mean of g² along the last dim, β2ₜ'), c = lerp(c, mean along the one before)
///               v = r·c / max(mean(r), eps1)
///     others:   v = lerp(v, g², β2ₜ')
///     u = g / √max(v, eps1²);  p -= α / max(1, RMS(u)/d) · u
///
/// State: "step", and "row_var" and "col_var" (matrices, batched over leading dims) or "variance".
public final class Adafactor: Optimizer {
    public var beta2Decay: Float, eps1: Float?, eps2: Float, d: Float, weightDecay: Float

    public init(_ parameters: [Tensor], lr: Float = 1e-2, beta2Decay: Float = -0.8, eps: (Float?, Float) = (nil, 1e-3),
                d: Float = 1, weightDecay: Float = 0) {
        precondition(beta2Decay <= 0, "Ember: Adafactor: beta2Decay must be ≤ 0, got \(beta2Decay)")
        precondition((eps.0 ?? 0) >= 0 && eps.1 >= 0, "Ember: Adafactor: eps must be non-negative, got \(eps)")
        precondition(d >= 1, "Ember: Adafactor: the clipping threshold d must be ≥ 1, got \(d)")
        precondition(weightDecay >= 0, "Ember: Adafactor: weightDecay must be non-negative, got \(weightDecay)")
        (self.beta2Decay, eps1, eps2, self.d, self.weightDecay) = (beta2Decay, eps.0, eps.1, d, weightDecay)
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let step = Double(incrementStep(&state))
        let eps1 = self.eps1 ?? Float.ulpOfOne
        let newWeight = Float(Foundation.pow(step, Double(beta2Decay)))
        let rho = Swift.min(Double(lr), 1 / step.squareRoot())
        let count = Double(Swift.max(p.count, 1))
        let alpha = Swift.max(Double(eps2), Double(p.norm().item()) / count.squareRoot()) * rho
        if weightDecay != 0 { p.mul_(1 - lr * weightDecay) }
        let variance: Tensor
        if grad.rank > 1 {
            let (rows, cols) = (grad.shape[grad.rank - 2], grad.shape[grad.rank - 1])
            let rowVar = buffer(shape: Array(grad.shape.dropLast()) + [1], "row_var", like: p, in: &state)
            let colVar = buffer(shape: Array(grad.shape.dropLast(2)) + [1, cols], "col_var", like: p, in: &state)
            let squared = grad * grad
            rowVar.lerp_(squared.sum(dim: -1, keepdim: true) / Float(cols), weight: newWeight)
            colVar.lerp_(squared.sum(dim: -2, keepdim: true) / Float(rows), weight: newWeight)
            variance = rowVar.matmul(colVar) / rowVar.mean(dim: -2, keepdim: true).clamp(min: eps1)
        } else {
            let moment = buffer("variance", like: p, in: &state)
            moment.lerp_(grad * grad, weight: newWeight)
            variance = moment
        }
        let update = variance.clamp(min: eps1 * eps1).rsqrt() * grad
        let denominator = Swift.max(1, Double(update.norm().item()) / (count.squareRoot() * Double(d)))
        p.add_(update, alpha: -Float(alpha / denominator))
    }

    /// A zero buffer of `shape` (the factored moments are not shaped like the parameter).
    private func buffer(shape: [Int], _ name: String, like p: Tensor, in state: inout [String: Tensor]) -> Tensor {
        if let existing = state[name] { return existing }
        let created = Tensor.zeros(shape, device: p.device)
        state[name] = created
        return created
    }

    public override func acceptsState(_ name: String, shape: [Int], parameter index: Int) -> Bool {
        let p = parameters[index].shape
        switch name {
        case "row_var": return p.count > 1 && shape == Array(p.dropLast()) + [1]
        case "col_var": return p.count > 1 && shape == Array(p.dropLast(2)) + [1, p[p.count - 1]]
        default: return super.acceptsState(name, shape: shape, parameter: index)
        }
    }

    /// `eps1` is saved as NaN when nil (float32 epsilon), so states load between the two kinds.
    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "beta2_decay": beta2Decay, "eps1": eps1 ?? .nan, "eps2": eps2, "d": d, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; beta2Decay = newValue["beta2_decay"] ?? beta2Decay
            if let value = newValue["eps1"] { eps1 = value.isNaN ? nil : value }
            eps2 = newValue["eps2"] ?? eps2; d = newValue["d"] ?? d; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
