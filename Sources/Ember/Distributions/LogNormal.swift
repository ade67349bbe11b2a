import Foundation

/// The log-normal distribution, like `torch.distributions.LogNormal`: X = e^Y with Y ~ N(loc, scale²),
/// for positive quantities (incomes, reaction times, file sizes).
public struct LogNormal: ReparameterizedDistribution, CumulativeDistribution {
    /// The mean and standard deviation of log X.
    public let loc: Tensor
    public let scale: Tensor

    public init(loc: Tensor, scale: Tensor) {
        let parameters = broadcastParameters([loc, scale], "LogNormal")
        (self.loc, self.scale) = (parameters[0], parameters[1])
    }

    public init(loc: Float, scale: Float) { self.init(loc: Tensor(loc), scale: Tensor(scale)) }

    /// The normal distribution of log X.
    public var base: Normal { Normal(loc: loc, scale: scale) }
    public var batchShape: [Int] { loc.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { (loc + scale.square() / 2).exp() }
    public var variance: Tensor {
        let s2 = scale.square()
        return s2.expm1() * (loc * 2 + s2).exp()
    }

    /// e^(loc + scale·ε): differentiable in both.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        base.rsample(sampleShape, generator: generator).exp()
    }

    /// The normal log density of log x, minus log x (the change of variables); −∞ for x ≤ 0.
    public func logProb(_ value: Tensor) -> Tensor {
        let positive = noGrad { value.gt(0) }
        let logValue = `where`(positive, value, Tensor.ones([], device: value.device)).log()
        return outsideSupport(base.logProb(logValue) - logValue, noGrad { 1 - positive })
    }

    public func entropy() -> Tensor { base.entropy() + loc }

    /// P(X ≤ value): the normal cdf of log x (0 for x ≤ 0).
    public func cdf(_ value: Tensor) -> Tensor {
        let positive = noGrad { value.gt(0) }
        let logValue = `where`(positive, value, Tensor.ones([], device: value.device)).log()
        return base.cdf(logValue) * positive
    }
}
