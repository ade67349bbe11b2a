/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
/// following `torch.optim.SGD`:
///
///     g = grad + weightDecay·p
///     b = g (first step) or momentum·b + (1 - dampening)·g;  g = nesterov ? g + momentum·b : b
///     p -= lr·g
public final class SGD: Optimizer {
    public var momentum: Float, dampening: Float, weightDecay: Float
    public let nesterov: Bool

    public init(_ parameters: [Tensor], lr: Float = 1e-3, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "Ember: SGD: Nesterov momentum requires a momentum and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        var d = grad
        if weightDecay != 0 { d = d + p * weightDecay }
        if momentum != 0 {
            let buffer: Tensor
            if let b = state["momentum_buffer"] {
                buffer = b.scaleAdd_(momentum, d, alpha: 1 - dampening)
            } else {
                buffer = d.clone()
                state["momentum_buffer"] = buffer
            }
            d = nesterov ? d + buffer * momentum : buffer
        }
        p.add_(d, alpha: -lr)
    }

    /// Its update has no step-dependent factors.
    public override var isGraphCapturable: Bool { true }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weightDecay] }
        set {
            lr = newValue["lr"] ?? lr; momentum = newValue["momentum"] ?? momentum
            dampening = newValue["dampening"] ?? dampening; weightDecay = newValue["weight_decay"] ?? weightDecay
        }
    }
}
