/// The Pareto distribution, like `torch.distributions.Pareto`: heavy-tailed values above `scale`
/// (incomes, file sizes, city populations) with tail index `alpha`, P(X > x) = (scale/x)^alpha. As
/// in PyTorch it is an exponential through exp and a scaling: e^E·scale with E ~ Exponential(alpha).
public struct Pareto: TransformedFamily, ReparameterizedDistribution, CumulativeDistribution {
    public let scale: Tensor
    public let alpha: Tensor
    public let transformed: TransformedDistribution<Exponential>

    public init(scale: Tensor, alpha: Tensor) {
        let parameters = broadcastParameters([scale, alpha], "Pareto")
        (self.scale, self.alpha) = (parameters[0], parameters[1])
        transformed = TransformedDistribution(Exponential(rate: self.alpha),
                                              [ExpTransform(), AffineTransform(loc: Tensor.zeros([], device: scale.device), scale: self.scale)])
    }

    public init(scale: Float, alpha: Float) { self.init(scale: Tensor(scale), alpha: Tensor(alpha)) }

    /// α·scale/(α − 1); infinite for α ≤ 1 (PyTorch's).
    public var mean: Tensor {
        let a = alpha.clamp(min: 1)
        return a * scale / (a - 1)
    }
    /// scale²·α/((α − 1)²(α − 2)); infinite for α ≤ 2.
    public var variance: Tensor {
        let a = alpha.clamp(min: 2)
        return scale.square() * a / ((a - 1).square() * (a - 2))
    }
    public var mode: Tensor { scale }

    /// −∞ below `scale`, where the distribution puts nothing (values there are moved to `scale` first, so
    /// that the logs stay finite).
    public func logProb(_ value: Tensor) -> Tensor {
        let below = noGrad { value.lt(scale) }
        return transformed.logProb(`where`(below, scale, value)).maskedFill(below, -.infinity)
    }
    /// 1 − (scale/x)^α above `scale`, 0 below it.
    public func cdf(_ value: Tensor) -> Tensor {
        let below = noGrad { value.lt(scale) }
        return transformed.cdf(`where`(below, scale, value)).maskedFill(below, 0)
    }
    public func entropy() -> Tensor { (scale / alpha).log() + (1 + 1 / alpha) }
}
