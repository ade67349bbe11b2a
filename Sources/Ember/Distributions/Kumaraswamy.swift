import Foundation

/// The Kumaraswamy distribution on (0, 1), like `torch.distributions.Kumaraswamy`: density
/// a·b·x^(a−1)(1 − x^a)^(b−1), close to a Beta(a, b) but with a closed-form cdf, so that its draws
/// are a differentiable function of the parameters (a reparameterizable stand-in for the Beta in
/// VAEs, stick-breaking priors). As in PyTorch it is a uniform through x = (1 − u^(1/b))^(1/a).
public struct Kumaraswamy: TransformedFamily, ReparameterizedDistribution, CumulativeDistribution {
    /// a and b.
    public let concentration1: Tensor
    public let concentration0: Tensor
    public let transformed: TransformedDistribution<Uniform>

    public init(concentration1: Tensor, concentration0: Tensor) {
        let parameters = broadcastParameters([concentration1, concentration0], "Kumaraswamy")
        (self.concentration1, self.concentration0) = (parameters[0], parameters[1])
        let device = concentration1.device
        let uniform = Uniform(low: Tensor.zeros(self.concentration0.shape, device: device),
                              high: Tensor.ones(self.concentration0.shape, device: device))
        transformed = TransformedDistribution(uniform, [PowerTransform(1 / self.concentration0),
                                                        AffineTransform(loc: 1, scale: -1), PowerTransform(1 / self.concentration1)])
    }

    public init(concentration1: Float, concentration0: Float) {
        self.init(concentration1: Tensor(concentration1), concentration0: Tensor(concentration0))
    }

    /// E[Xⁿ] = b·B(1 + n/a, b).
    private func moment(_ n: Float) -> Tensor {
        let (a, b) = (concentration1, concentration0)
        let shifted = n / a + 1
        return b * (shifted.lgamma() + b.lgamma() - (shifted + b).lgamma()).exp()
    }

    public var mean: Tensor { moment(1) }
    public var variance: Tensor { moment(2) - mean.square() }
    /// ((a − 1)/(ab − 1))^(1/a); NaN where a or b is below 1 (no interior mode). PyTorch 2.15's formula
    /// takes the logs of negative numbers and gives NaN for every a, b > 1; this is the density's argmax.
    public var mode: Tensor {
        let (a, b) = (concentration1, concentration0)
        let logMode = ((a - 1).log() - (a * b - 1).log()) / a
        return logMode.maskedFill(noGrad { b.lt(1) + a.lt(1) }, .nan).exp()
    }

    /// Draws inside [tiny, 1 − ε]: an exact 0 or 1 (which float32 rounding gives now and then) has no
    /// finite log-density.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        transformed.rsample(sampleShape, generator: generator).clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne)
    }

    /// log a + log b + (a − 1)·log x + (b − 1)·log(1 − xᵃ) in closed form; −∞ outside (0, 1).
    public func logProb(_ value: Tensor) -> Tensor {
        let (a, b) = (concentration1, concentration0)
        let outside = noGrad { value.le(0) + value.ge(1) }
        let x = `where`(outside, Tensor.full([], 0.5, device: value.device), value)
        let density = a.log() + b.log() + (a - 1) * x.log() + (b - 1) * (-x.pow(a)).log1p()
        return density.maskedFill(outside, -.infinity)
    }

    /// 1 − (1 − xᵃ)ᵇ inside (0, 1), 0 below and 1 above.
    public func cdf(_ value: Tensor) -> Tensor {
        let (below, above) = noGrad { (value.le(0), value.ge(1)) }
        let x = `where`(below + above, Tensor.full([], 0.5, device: value.device), value)
        let inside = 1 - ((-x.pow(concentration1)).log1p() * concentration0).exp()
        return `where`(above, Tensor.ones([], device: value.device), inside.maskedFill(below, 0))
    }

    /// (1 − 1/b) + (1 − 1/a)·H_b − log(ab), with H_b = ψ(b + 1) + γ the harmonic number.
    public func entropy() -> Tensor {
        let (a, b) = (concentration1, concentration0)
        let harmonic = (b + 1).digamma() + eulerGamma
        return (1 - 1 / b) + (1 - 1 / a) * harmonic - a.log() - b.log()
    }
}
