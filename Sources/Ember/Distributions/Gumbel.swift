/// Euler–Mascheroni constant γ (the mean of a standard Gumbel).
let eulerGamma: Float = 0.57721566490153286

/// The Gumbel (type-I extreme value) distribution, like `torch.distributions.Gumbel`: the law of the
/// maximum of many draws, and the noise of the Gumbel-max trick.
public struct Gumbel: ReparameterizedDistribution, CumulativeDistribution {
    public let loc: Tensor
    public let scale: Tensor

    /// A batch of Gumbel distributions with modes `loc` and positive `scale`, broadcast together.
    public init(loc: Tensor, scale: Tensor) {
        let parameters = broadcastParameters([loc, scale], "Gumbel")
        (self.loc, self.scale) = (parameters[0], parameters[1])
    }

    public init(loc: Float, scale: Float) { self.init(loc: Tensor(loc), scale: Tensor(scale)) }

    public var batchShape: [Int] { loc.shape }
    public var eventShape: [Int] { [] }
    /// loc + scale·γ.
    public var mean: Tensor { loc + scale * eulerGamma }
    /// (π·scale)²/6.
    public var variance: Tensor { scale.square() * (Float.pi * Float.pi / 6) }

    /// loc − scale·log(−log u) with u ~ U(0, 1) kept off 0 and 1, as PyTorch clamps it.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let u = Tensor.rand(sampleShape + batchShape, generator: generator, device: loc.device)
            .clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne)
        return loc - scale * (-u.log()).log()
    }

    /// −(z + e^(−z)) − log scale, z = (x − loc)/scale.
    public func logProb(_ value: Tensor) -> Tensor {
        let z = (value - loc) / scale
        return -(z + (-z).exp()) - scale.log()
    }

    public func entropy() -> Tensor { scale.log() + (1 + eulerGamma) }

    /// exp(−e^(−z)).
    public func cdf(_ value: Tensor) -> Tensor { (-(-(value - loc) / scale).exp()).exp() }
}
