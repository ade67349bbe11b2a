import Foundation

/// The half-normal distribution, like `torch.distributions.HalfNormal`: |X| for X ~ Normal(0, scale),
/// a prior for scales and standard deviations.
public struct HalfNormal: ReparameterizedDistribution, CumulativeDistribution {
    public let scale: Tensor

    public init(scale: Tensor) { self.scale = scale }
    public init(scale: Float) { self.init(scale: Tensor(scale)) }

    public var batchShape: [Int] { scale.shape }
    public var eventShape: [Int] { [] }
    /// scale·√(2/π).
    public var mean: Tensor { scale * Float((2 / Double.pi).squareRoot()) }
    /// scale²·(1 − 2/π).
    public var variance: Tensor { scale.square() * Float(1 - 2 / Double.pi) }

    /// |scale·ε| with ε ~ N(0, 1).
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        (scale * Tensor.randn(sampleShape + batchShape, generator: generator, device: scale.device)).abs()
    }

    /// The normal log density plus log 2; −∞ below 0.
    public func logProb(_ value: Tensor) -> Tensor {
        let density = -(value / scale).square() * 0.5 - scale.log() - halfLogTwoPi + Float(Foundation.log(2.0))
        return outsideSupport(density, noGrad { value.lt(0) })
    }

    /// ½·log(π·e·scale²/2).
    public func entropy() -> Tensor { scale.log() + Float(0.5 * Foundation.log(Double.pi / 2) + 0.5) }

    /// erf(x / (scale·√2)) for x ≥ 0 (0 below).
    public func cdf(_ value: Tensor) -> Tensor { (value / (scale * Float(2).squareRoot())).erf().clamp(min: 0) }
}
