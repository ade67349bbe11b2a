/// The normal (Gaussian) distribution N(loc, scale²), like `torch.distributions.Normal`.
public struct Normal: ReparameterizedDistribution, CumulativeDistribution {
    public let loc: Tensor
    public let scale: Tensor

    /// A batch of normals with means `loc` and standard deviations `scale` (positive), broadcast together.
    public init(loc: Tensor, scale: Tensor) {
        let parameters = broadcastParameters([loc, scale], "Normal")
        (self.loc, self.scale) = (parameters[0], parameters[1])
    }

    public init(loc: Float, scale: Float) { self.init(loc: Tensor(loc), scale: Tensor(scale)) }

    public var batchShape: [Int] { loc.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { loc }
    public var variance: Tensor { scale * scale }

    /// loc + scale·ε with ε ~ N(0, 1): differentiable in loc and scale.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        loc + scale * Tensor.randn(sampleShape + batchShape, generator: generator, device: loc.device)
    }

    public func logProb(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        return z * z * -0.5 - scale.log() - halfLogTwoPi
    }

    public func entropy() -> Tensor { scale.log() + (0.5 + halfLogTwoPi) }

    /// P(X ≤ value).
    public func cdf(_ value: Tensor) -> Tensor { ((value - loc) / (scale * Float(2).squareRoot())).erf() * 0.5 + 0.5 }
}
