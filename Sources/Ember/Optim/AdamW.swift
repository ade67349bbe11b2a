/// Adam with decoupled weight decay (p *= 1 - lr·weightDecay before the Adam step), following
/// `torch.optim.AdamW`. Its default weight decay is 0.01.
public final class AdamW: Adam {
    public init(_ parameters: [Tensor], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 1e-2, amsgrad: Bool = false) {
        super.init(parameters, lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                   decoupledWeightDecay: true)
    }
}
