/// The exponential distribution with rate λ (mean 1/λ), like `torch.distributions.Exponential`:
/// waiting times between events of a Poisson process.
public struct Exponential: ReparameterizedDistribution, CumulativeDistribution {
    public let rate: Tensor

    /// A batch of exponentials with positive rates.
    public init(rate: Tensor) { self.rate = rate }
    public init(rate: Float) { self.init(rate: Tensor(rate)) }

    public var batchShape: [Int] { rate.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { 1 / rate }
    public var variance: Tensor { 1 / rate.square() }

    /// −log(1 − u)/λ with u ~ U[0, 1): differentiable in the rate.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let u = Tensor.rand(sampleShape + batchShape, generator: generator, device: rate.device)
        return -(-u).log1p() / rate
    }

    /// log λ − λx; −∞ below 0.
    public func logProb(_ value: Tensor) -> Tensor { outsideSupport(rate.log() - rate * value, noGrad { value.lt(0) }) }

    public func entropy() -> Tensor { 1 - rate.log() }

    /// P(X ≤ value) = 1 − e^(−λx).
    public func cdf(_ value: Tensor) -> Tensor { -(-rate * value).expm1() }
}
