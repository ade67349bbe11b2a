/// The chi-squared distribution with `df` degrees of freedom, like `torch.distributions.Chi2`: the sum
/// of df squared standard normals, Gamma(df/2, rate ½).
public struct Chi2: ReparameterizedDistribution {
    public let df: Tensor
    /// The same distribution as a Gamma, which computes everything.
    public let gamma: Gamma

    public init(df: Tensor) {
        self.df = df
        gamma = Gamma(concentration: df * 0.5, rate: Tensor.full(df.shape, 0.5, device: df.device))
    }

    public init(df: Float) { self.init(df: Tensor(df)) }

    public var batchShape: [Int] { gamma.batchShape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { gamma.mean }
    public var variance: Tensor { gamma.variance }
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor { gamma.sample(sampleShape, generator: generator) }
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor { gamma.rsample(sampleShape, generator: generator) }
    public func logProb(_ value: Tensor) -> Tensor { gamma.logProb(value) }
    public func entropy() -> Tensor { gamma.entropy() }
}
