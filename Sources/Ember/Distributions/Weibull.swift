/// The Weibull distribution, like `torch.distributions.Weibull`: P(X > x) = e^(−(x/scale)^k), the
/// law of lifetimes and failure times (k < 1: early failures, k > 1: wear-out).
public struct Weibull: ReparameterizedDistribution, CumulativeDistribution {
    public let scale: Tensor
    /// The shape k.
    public let concentration: Tensor

    /// A batch of Weibull distributions with positive `scale` and `concentration`, broadcast together.
    public init(scale: Tensor, concentration: Tensor) {
        let parameters = broadcastParameters([scale, concentration], "Weibull")
        (self.scale, self.concentration) = (parameters[0], parameters[1])
    }

    public init(scale: Float, concentration: Float) { self.init(scale: Tensor(scale), concentration: Tensor(concentration)) }

    public var batchShape: [Int] { scale.shape }
    public var eventShape: [Int] { [] }
    /// scale·Γ(1 + 1/k).
    public var mean: Tensor { scale * (1 / concentration + 1).lgamma().exp() }
    /// scale²·(Γ(1 + 2/k) − Γ(1 + 1/k)²).
    public var variance: Tensor {
        scale.square() * ((2 / concentration + 1).lgamma().exp() - ((1 / concentration + 1).lgamma() * 2).exp())
    }

    /// scale·(−log(1 − u))^(1/k) with u ~ U(0, 1): an Exponential(1) draw through the inverse cdf.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let u = Tensor.rand(sampleShape + batchShape, generator: generator, device: scale.device)
        return scale * (-(-u).log1p()).pow(1 / concentration)
    }

    /// log(k/scale) + (k − 1)·log(x/scale) − (x/scale)^k (xlogy, so x = 0 with k = 1 scores −log scale);
    /// −∞ below 0. Values below 0 are replaced before the logs, so their NaN stays out of the gradients.
    public func logProb(_ value: Tensor) -> Tensor {
        let outside = noGrad { value.lt(0) }
        let z = value.maskedFill(outside, 1) / scale
        let density = concentration.log() - scale.log() + (concentration - 1).xlogy(z) - z.pow(concentration)
        return outsideSupport(density, outside)
    }

    /// γ·(1 − 1/k) + log(scale/k) + 1.
    public func entropy() -> Tensor { eulerGamma * (1 - 1 / concentration) + (scale / concentration).log() + 1 }

    /// 1 − e^(−(x/scale)^k) for x ≥ 0.
    public func cdf(_ value: Tensor) -> Tensor { -(-(value.clamp(min: 0) / scale).pow(concentration)).expm1() }
}
