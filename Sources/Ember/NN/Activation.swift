/// max(0, x)
public final class ReLU: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.relu() }
}

/// x for x > 0, negativeSlope·x otherwise.
public final class LeakyReLU: Module {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.leakyRelu(negativeSlope: negativeSlope) }
    public override var extraDescription: String { "negative_slope=\(negativeSlope)" }
}

/// 1 / (1 + exp(-x))
public final class Sigmoid: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.sigmoid() }
}

public final class Tanh: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.tanh() }
}

/// x·Φ(x) with the exact erf form (PyTorch's default, approximate='none').
public final class GELU: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.gelu() }
    public override var extraDescription: String { "approximate='none'" }
}

/// log(1 + exp(beta·x)) / beta, linear above `threshold`.
public final class Softplus: Module {
    public let beta: Float, threshold: Float
    public init(beta: Float = 1, threshold: Float = 20) {
        self.beta = beta
        self.threshold = threshold
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.softplus(beta: beta, threshold: threshold) }
    public override var extraDescription: String { "beta=\(beta), threshold=\(threshold)" }
}

/// Softmax along `dim` (default the last).
public final class Softmax: Module {
    public let dim: Int
    public init(dim: Int = -1) {
        self.dim = dim
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.softmax(dim: dim) }
    public override var extraDescription: String { "dim=\(dim)" }
}

/// Log-softmax along `dim` (default the last); pair it with `NLLLoss`.
public final class LogSoftmax: Module {
    public let dim: Int
    public init(dim: Int = -1) {
        self.dim = dim
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.logSoftmax(dim: dim) }
    public override var extraDescription: String { "dim=\(dim)" }
}
