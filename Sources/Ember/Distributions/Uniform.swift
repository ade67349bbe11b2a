/// The continuous uniform distribution on [low, high), like `torch.distributions.Uniform`.
public struct Uniform: ReparameterizedDistribution, CumulativeDistribution {
    public let low: Tensor
    public let high: Tensor

    /// A batch of uniform distributions on [low, high) (low < high), broadcast together.
    public init(low: Tensor, high: Tensor) {
        let parameters = broadcastParameters([low, high], "Uniform")
        (self.low, self.high) = (parameters[0], parameters[1])
    }

    public init(low: Float, high: Float) { self.init(low: Tensor(low), high: Tensor(high)) }

    public var batchShape: [Int] { low.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { (low + high) * 0.5 }
    public var variance: Tensor { (high - low) * (high - low) / 12 }

    /// low + (high − low)·u with u ~ U[0, 1): differentiable in low and high.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        low + (high - low) * Tensor.rand(sampleShape + batchShape, generator: generator, device: low.device)
    }

    /// −log(high − low) inside [low, high), −∞ outside (and for NaN).
    public func logProb(_ value: Tensor) -> Tensor {
        let inside = noGrad { value.detach().ge(low.detach()) * value.detach().lt(high.detach()) }
        return `where`(inside, -(high - low).log(), Tensor(-Float.infinity).to(low.device))
    }

    public func entropy() -> Tensor { (high - low).log() }

    /// P(X ≤ value), clamped to [0, 1].
    public func cdf(_ value: Tensor) -> Tensor { ((value - low) / (high - low)).clamp(min: 0, max: 1) }
}
