import Foundation

/// Probability distributions like `torch.distributions`: draw samples, score values with `logProb`, and
/// differentiate through both, as policy gradients, variational autoencoders and mixture models do.
///
/// A distribution holds a batch of independent distributions (`batchShape`), each over values of
/// `eventShape`; `sample([n])` gives [n] + batchShape + eventShape, and `logProb(value)` scores values
/// of batchShape + eventShape (broadcast) with one number per batch entry.
public protocol Distribution {
    /// The shape of the batch of independent distributions.
    var batchShape: [Int] { get }
    /// The shape of one draw from one distribution of the batch ([] for scalars).
    var eventShape: [Int] { get }
    /// The mean of each distribution.
    var mean: Tensor { get }
    /// The variance of each distribution (of each coordinate, for vector-valued ones).
    var variance: Tensor { get }
    /// Draws of shape sampleShape + batchShape + eventShape, outside the graph, like `sample()`.
    func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor
    /// The log density (or log probability) of `value` under each distribution of the batch.
    func logProb(_ value: Tensor) -> Tensor
    /// The entropy of each distribution (in nats).
    func entropy() -> Tensor
}

/// A distribution whose samples are a differentiable function of its parameters and of noise drawn
/// without them (the reparameterization trick), like PyTorch's `has_rsample`: gradients flow through
/// `rsample` into the parameters.
public protocol ReparameterizedDistribution: Distribution {
    /// Draws of shape sampleShape + batchShape + eventShape that carry gradients to the parameters.
    func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor
}

/// A distribution over real numbers with a cumulative distribution function, like PyTorch's `cdf`.
public protocol CumulativeDistribution: Distribution {
    /// P(X ≤ value) for each distribution of the batch (value broadcast against it).
    func cdf(_ value: Tensor) -> Tensor
}

extension Distribution {
    /// Draws from the global generator, outside the graph.
    public func sample(_ sampleShape: [Int] = []) -> Tensor { sample(sampleShape, generator: .global) }
    /// The standard deviation of each distribution.
    public var stddev: Tensor { variance.sqrt() }
    /// The likelihood of `value`: exp(logProb(value)).
    public func prob(_ value: Tensor) -> Tensor { logProb(value).exp() }
}

extension ReparameterizedDistribution {
    public func rsample(_ sampleShape: [Int] = []) -> Tensor { rsample(sampleShape, generator: .global) }
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad { rsample(sampleShape, generator: generator) }.detach()
    }
}

/// Stops for a moment PyTorch has no closed form for either (it raises NotImplementedError), naming
/// the Monte Carlo estimate to use instead.
func noClosedForm(_ distribution: String, _ what: String, estimate: String) -> Never {
    preconditionFailure("Ember: \(distribution) has no closed-form \(what) (PyTorch raises NotImplementedError too); "
        + "estimate it from samples: \(estimate)")
}

/// A distribution with no closed-form mean, variance or entropy (relaxed and transformed ones): asking
/// stops, naming the Monte Carlo estimate to use, where PyTorch raises NotImplementedError.
public protocol MomentsWithoutClosedForm: Distribution {}

extension MomentsWithoutClosedForm {
    public var mean: Tensor { noClosedForm("\(Self.self)", "mean", estimate: "sample([n]).mean(dims: [0])") }
    public var variance: Tensor { noClosedForm("\(Self.self)", "variance", estimate: "sample([n]).variance(dims: [0])") }
    public func entropy() -> Tensor { noClosedForm("\(Self.self)", "entropy", estimate: "-logProb(sample([n])).mean(dims: [0])") }
}

extension Tensor {
    /// The sum over the last `dims` dims (itself for 0), like PyTorch's `_sum_rightmost`: how a batch
    /// of per-coordinate terms becomes one term per event.
    func sumRightmost(_ dims: Int) -> Tensor { dims == 0 ? self : sum(dims: Array((rank - dims)..<rank)) }
}

/// log √(2π), the normal density's constant.
let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))

/// log(p / (1 − p)) with p clamped to [ε, 1 − ε] first, as PyTorch's `probs_to_logits`, so that
/// p = 0 or 1 gives finite logits.
func logitsOfProbabilities(_ probs: Tensor) -> Tensor {
    let p = probs.clamp(min: Float.ulpOfOne, max: 1 - Float.ulpOfOne)
    return p.log() - (-p).log1p()
}

/// `logProb` with −∞ where `outside` is 1: a value the distribution never takes. (PyTorch's validation
/// raises there instead; a score of −∞ keeps a batch going and is what the density says.)
func outsideSupport(_ logProb: Tensor, _ outside: Tensor) -> Tensor {
    logProb.maskedFill(outside, -.infinity)
}

/// Broadcasts distribution parameters to one shape (each expanded, a view), naming the distribution
/// when they do not broadcast.
func broadcastParameters(_ parameters: [Tensor], _ distribution: String) -> [Tensor] {
    var shape: [Int] = []
    for p in parameters {
        guard let common = try? Shape.broadcast(shape, p.shape, op: distribution) else {
            shapeFailure(ShapeError("\(distribution): parameters of shapes \(parameters.map(\.shape)) do not broadcast"))
        }
        shape = common
    }
    return parameters.map { $0.shape == shape ? $0 : $0.expand(shape) }
}
