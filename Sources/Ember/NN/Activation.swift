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

/// x · sigmoid(x), also called swish.
public final class SiLU: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.silu() }
}

/// x for x > 0, alpha · (exp(x) − 1) otherwise.
public final class ELU: Module {
    public let alpha: Float
    public init(alpha: Float = 1) {
        self.alpha = alpha
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.elu(alpha: alpha) }
    public override var extraDescription: String { "alpha=\(alpha)" }
}

/// scale · ELU(x, alpha) with the self-normalizing constants (alpha ≈ 1.6733, scale ≈ 1.0507).
public final class SELU: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.selu() }
}

/// x · tanh(softplus(x)).
public final class Mish: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.mish() }
}

/// x clamped to [minVal, maxVal].
public final class Hardtanh: Module {
    public let minVal: Float, maxVal: Float
    public init(minVal: Float = -1, maxVal: Float = 1) {
        precondition(maxVal > minVal, "Ember: Hardtanh needs maxVal > minVal, got minVal \(minVal), maxVal \(maxVal)")
        self.minVal = minVal
        self.maxVal = maxVal
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.hardtanh(minVal: minVal, maxVal: maxVal) }
    public override var extraDescription: String { "min_val=\(minVal), max_val=\(maxVal)" }
}

/// min(max(x, 0), 6).
public final class ReLU6: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.relu6() }
}

/// relu6(x + 3) / 6.
public final class Hardsigmoid: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.hardsigmoid() }
}

/// x · relu6(x + 3) / 6.
public final class Hardswish: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.hardswish() }
}

/// x / (1 + |x|).
public final class Softsign: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.softsign() }
}

/// x for x > 0, a · x otherwise, with a learned slope `a`: one for all channels, or one per channel
/// (dim 1 of the input, `numParameters` = channels), like `torch.nn.PReLU`. State-dict entry: `weight`.
public final class PReLU: Module {
    public let numParameters: Int
    /// [numParameters], each starting at `initialSlope`.
    public var weight: Tensor

    public init(numParameters: Int = 1, initialSlope: Float = 0.25) {
        precondition(numParameters >= 1, "Ember: PReLU needs numParameters ≥ 1, got \(numParameters)")
        self.numParameters = numParameters
        weight = Tensor.full([numParameters], initialSlope, requiresGrad: true)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor { prelu(x, weight: weight) }
    public override var extraDescription: String { "num_parameters=\(numParameters)" }
}

/// x where x > 0, else weight · x, with `weight` of one element or one per channel (dim 1 of `x`),
/// like `torch.nn.functional.prelu`.
public func prelu(_ x: Tensor, weight: Tensor) -> Tensor {
    guard weight.rank == 1, weight.count == 1 || (x.rank >= 2 && weight.count == x.shape[1]) else {
        shapeFailure(ShapeError("prelu: weight of shape \(weight.shape) fits neither one slope nor one per channel of input \(x.shape); "
            + "give PReLU(numParameters:) 1 or the input's dim-1 size"))
    }
    let slope = weight.count == 1 ? weight : weight.alongChannels(ofRank: x.rank)
    return `where`(x.gt(0), x, x * slope)
}

/// log(sigmoid(x)).
public final class LogSigmoid: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.logSigmoid() }
}

/// softmax(−x) along `dim` (default the last).
public final class Softmin: Module {
    public let dim: Int
    public init(dim: Int = -1) {
        self.dim = dim
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.softmin(dim: dim) }
    public override var extraDescription: String { "dim=\(dim)" }
}

/// max(0, x) + min(0, alpha · (exp(x / alpha) − 1)).
public final class CELU: Module {
    public let alpha: Float
    public init(alpha: Float = 1) {
        precondition(alpha != 0, "Ember: CELU: alpha must not be 0 (it divides x)")
        self.alpha = alpha
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.celu(alpha: alpha) }
    public override var extraDescription: String { "alpha=\(alpha)" }
}

/// x where x > threshold, else `value`.
public final class Threshold: Module {
    public let threshold: Float, value: Float
    public init(_ threshold: Float, _ value: Float) {
        self.threshold = threshold
        self.value = value
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.threshold(threshold, value: value) }
    public override var extraDescription: String { "threshold=\(threshold), value=\(value)" }
}

/// x where |x| > lambd, else 0.
public final class Hardshrink: Module {
    public let lambd: Float
    public init(lambd: Float = 0.5) {
        self.lambd = lambd
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.hardshrink(lambd: lambd) }
    public override var extraDescription: String { "\(lambd)" }
}

/// x − lambd above lambd, x + lambd below −lambd, else 0.
public final class Softshrink: Module {
    public let lambd: Float
    public init(lambd: Float = 0.5) {
        precondition(lambd >= 0, "Ember: Softshrink: lambd must be ≥ 0, got \(lambd)")
        self.lambd = lambd
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.softshrink(lambd: lambd) }
    public override var extraDescription: String { "\(lambd)" }
}

/// x − tanh(x).
public final class Tanhshrink: Module {
    public override func forward(_ x: Tensor) -> Tensor { x.tanhshrink() }
}

/// The gated linear unit, like `torch.nn.GLU`: the input's `dim` is halved into a and b, and the
/// output is a · sigmoid(b).
public final class GLU: Module {
    public let dim: Int
    public init(dim: Int = -1) {
        self.dim = dim
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { glu(x, dim: dim) }
    public override var extraDescription: String { "dim=\(dim)" }
}

/// a · sigmoid(b) for the two halves a, b of `x` along `dim`, like `F.glu`.
public func glu(_ x: Tensor, dim: Int = -1) -> Tensor {
    guard x.rank > 0 else { shapeFailure(ShapeError("glu: expected an input with at least one dim, got a scalar")) }
    let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: x.rank, op: "glu") }
    guard x.shape[d] % 2 == 0 else {
        shapeFailure(ShapeError("glu: dim \(dim) of input \(x.shape) has odd size \(x.shape[d]); it must split into two halves"))
    }
    let halves = x.chunk(2, dim: d)
    return halves[0] * halves[1].sigmoid()
}

/// The randomized leaky ReLU, like `torch.nn.RReLU`: in training each non-positive element gets its
/// own slope drawn uniformly from [lower, upper); in evaluation the slope is their mean.
public final class RReLU: Module {
    public let lower: Double, upper: Double
    public var generator: RandomGenerator = .global
    public init(lower: Double = 1.0 / 8, upper: Double = 1.0 / 3) {
        precondition(lower <= upper, "Ember: RReLU: lower (\(lower)) must not exceed upper (\(upper))")
        (self.lower, self.upper) = (lower, upper)
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        rrelu(x, lower: lower, upper: upper, training: isTraining, generator: generator)
    }
    public override var extraDescription: String { "lower=\(lower), upper=\(upper)" }
}

/// The randomized leaky ReLU, like `F.rrelu` (see `RReLU`). The gradient is each element's slope.
public func rrelu(_ x: Tensor, lower: Double = 1.0 / 8, upper: Double = 1.0 / 3, training: Bool = false,
                  generator: RandomGenerator = .global) -> Tensor {
    precondition(lower <= upper, "Ember: rrelu: lower (\(lower)) must not exceed upper (\(upper))")
    guard training else { return x.leakyRelu(negativeSlope: Float((lower + upper) / 2)) }
    let slopes = Tensor.rand(x.shape, low: Float(lower), high: Float(upper), generator: generator, device: x.device)
    return x * `where`(x.gt(0), Tensor.ones([], device: x.device), slopes)
}

/// Softmax over the channels of each position of an [N, C, H, W] (or [C, H, W]) input, like
/// `torch.nn.Softmax2d`.
public final class Softmax2d: Module {
    public override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 3 || x.rank == 4 else {
            shapeFailure(ShapeError("Softmax2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape \(x.shape)"))
        }
        return x.softmax(dim: -3)
    }
}
