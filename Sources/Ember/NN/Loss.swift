/// The base class of losses, like PyTorch's `_Loss`: call it with a prediction and a target.
///
/// Writing your own loss: subclass `Loss`, override `forward(_:_:)` with tensor ops (autograd
/// differentiates it) and reduce with `reduction.reduce(_:)`:
///
///     final class LogCoshLoss: Loss {
///         override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
///             let d = input - target
///             return reduction.reduce((d.exp() + (-d).exp()).log() - 0.6931472)   // log(cosh d)
///         }
///     }
///     let loss = LogCoshLoss(reduction: .sum)(prediction, target)
open class Loss: CustomStringConvertible {
    public var reduction: Reduction

    public init(reduction: Reduction = .mean) { self.reduction = reduction }

    open func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        fatalError("Ember: \(type(of: self)) does not override forward(_:_:)")
    }

    public func callAsFunction(_ input: Tensor, _ target: Tensor) -> Tensor { forward(input, target) }

    open var description: String { "\(type(of: self))()" }
}

extension Reduction {
    /// Reduces per-element losses: mean, sum or unchanged.
    public func reduce(_ loss: Tensor) -> Tensor { apply(loss) }
}

/// Mean squared error, like `torch.nn.MSELoss`.
public final class MSELoss: Loss {
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        mseLoss(input, target, reduction: reduction)
    }
}

/// Mean absolute error, like `torch.nn.L1Loss`.
public final class L1Loss: Loss {
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        l1Loss(input, target, reduction: reduction)
    }
}

/// Huber loss (quadratic below `delta`, linear above), like `torch.nn.HuberLoss`.
public final class HuberLoss: Loss {
    public let delta: Float
    public init(delta: Float = 1, reduction: Reduction = .mean) {
        self.delta = delta
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        huberLoss(input, target, delta: delta, reduction: reduction)
    }
}

/// `smoothL1Loss` as a module, like `torch.nn.SmoothL1Loss`.
public final class SmoothL1Loss: Loss {
    public let beta: Float
    public init(beta: Float = 1, reduction: Reduction = .mean) {
        self.beta = beta
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        smoothL1Loss(input, target, beta: beta, reduction: reduction)
    }
}

/// `klDiv` as a module, like `torch.nn.KLDivLoss`: the input holds log-probabilities
/// (`logSoftmax`), the target probabilities (or log-probabilities with `logTarget`).
/// `KLDivLoss(reduction: .batchMean)` sets `batchMean`, which takes precedence over `reduction`.
public final class KLDivLoss: Loss {
    public var batchMean: Bool
    public let logTarget: Bool
    public init(reduction: KLDivReduction = .mean, logTarget: Bool = false) {
        batchMean = reduction == .batchMean
        self.logTarget = logTarget
        super.init(reduction: reduction == .sum ? .sum : reduction == .none ? .none : .mean)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        let kl: KLDivReduction = batchMean ? .batchMean : reduction == .sum ? .sum : reduction == .none ? .none : .mean
        return klDiv(input, target, reduction: kl, logTarget: logTarget)
    }
}

/// Cross-entropy of logits against int64 class indices (or class probabilities), like
/// `torch.nn.CrossEntropyLoss`; see `crossEntropy` for the formulas.
public final class CrossEntropyLoss: Loss {
    /// Per-class weights [C], or nil.
    public let weight: Tensor?
    public let ignoreIndex: Int
    public let labelSmoothing: Float
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, labelSmoothing: Float = 0, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        crossEntropy(input, target, weight: weight, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                     reduction: reduction)
    }
}

/// Negative log-likelihood of log-probabilities at int64 class indices, like `torch.nn.NLLLoss`.
public final class NLLLoss: Loss {
    public let weight: Tensor?
    public let ignoreIndex: Int
    public init(weight: Tensor? = nil, ignoreIndex: Int = -100, reduction: Reduction = .mean) {
        self.weight = weight
        self.ignoreIndex = ignoreIndex
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        nllLoss(input, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    }
}

/// Binary cross-entropy of probabilities in (0, 1), like `torch.nn.BCELoss`.
public final class BCELoss: Loss {
    public let weight: Tensor?
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        binaryCrossEntropy(input, target, weight: weight, reduction: reduction)
    }
}

/// Binary cross-entropy on logits in the numerically stable form, like `torch.nn.BCEWithLogitsLoss`.
public final class BCEWithLogitsLoss: Loss {
    public let weight: Tensor?
    public let posWeight: Tensor?
    public init(weight: Tensor? = nil, posWeight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        self.posWeight = posWeight
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
    }
}
