import Foundation

/// The Cauchy (Lorentz) distribution, like `torch.distributions.Cauchy`: density
/// 1 / (π·scale·(1 + ((x − loc)/scale)²)), heavy-tailed, with no mean or variance (NaN and ∞, as in PyTorch).
public struct Cauchy: ReparameterizedDistribution, CumulativeDistribution {
    public let loc: Tensor
    public let scale: Tensor

    /// A batch of Cauchy distributions with medians `loc` and positive half-widths `scale`, broadcast together.
    public init(loc: Tensor, scale: Tensor) {
        let parameters = broadcastParameters([loc, scale], "Cauchy")
        (self.loc, self.scale) = (parameters[0], parameters[1])
    }

    public init(loc: Float, scale: Float) { self.init(loc: Tensor(loc), scale: Tensor(scale)) }

    public var batchShape: [Int] { loc.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { Tensor.full(batchShape, .nan, device: loc.device) }
    public var variance: Tensor { Tensor.full(batchShape, .infinity, device: loc.device) }

    /// loc + scale·tan(π(u − ½)) with u ~ U(0, 1).
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let u = Tensor.rand(sampleShape + batchShape, generator: generator, device: loc.device)
        return loc + scale * ((u - 0.5) * Float.pi).tan()
    }

    /// −log π − log scale − log(1 + z²), z = (x − loc)/scale.
    public func logProb(_ value: Tensor) -> Tensor {
        -Float(Foundation.log(Double.pi)) - scale.log() - ((value - loc) / scale).square().log1p()
    }

    public func entropy() -> Tensor { scale.log() + Float(Foundation.log(4 * Double.pi)) }

    /// atan(z)/π + ½.
    public func cdf(_ value: Tensor) -> Tensor { ((value - loc) / scale).atan() / Float.pi + 0.5 }
}
