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

    /// Updates every parameter that has a gradient: one fused call per device (two launches on a
    /// GPU, with the step counters kept there, so the step can be captured in a `CUDAGraph`).
    open override func step() {
        noGrad {
            var byDevice: [Device: [AdamTensors]] = [:]
            var devices: [Device] = []
            for (i, p) in parameters.enumerated() {
                guard let grad = p.grad else { continue }
                if byDevice[p.device] == nil { devices.append(p.device) }
                byDevice[p.device, default: []].append(tensors(p, grad: grad, state: &state[i]))
            }
            for device in devices { Tensor.adamStep_(byDevice[device]!, settings) }
        }
    }

    open override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        Tensor.adamStep_([tensors(p, grad: grad, state: &state)], settings)
    }

    /// The hyperparameters of the next step (each parameter's step count comes from its state).
    private var settings: AdamHyperparameters {
        AdamHyperparameters(lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                            decoupledWeightDecay: decoupledWeightDecay, step: 0)
    }

    /// `p`'s state, created on its first step: the moments, and the step counter on p's device.
    private func tensors(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) -> AdamTensors {
        func buffer(_ name: String) -> Tensor {
            let t = state[name] ?? Tensor.zeros(like: p)
            state[name] = t
            return t
        }
        var step = state["step"] ?? Tensor.zeros([], device: p.device)
        if step.device != p.device || step.dtype != .float32 || !step.isContiguous {
            step = step.to(.float32).to(p.device).contiguous().clone()   // a loaded state keeps its count on the host
        }
        state["step"] = step
        return AdamTensors(parameter: p, grad: grad, expAvg: buffer("exp_avg"), expAvgSq: buffer("exp_avg_sq"),
                           maxExpAvgSq: amsgrad ? buffer("max_exp_avg_sq") : nil, step: step)
    }

    /// Its step counts live on the parameters' device and its kernel reads them there.
    open override var isGraphCapturable: Bool { true }

    open override var hyperparameters: [String: Float] {
        get { ["lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; beta1 = newValue["beta1"] ?? beta1; beta2 = newValue["beta2"] ?? beta2
            eps = newValue["eps"] ?? eps; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
