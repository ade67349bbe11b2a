/// A distribution whose last `reinterpretedBatchDims` batch dims are taken as event dims, like
/// `torch.distributions.Independent`: a diagonal Gaussian over vectors is
/// `Independent(Normal(loc: mu, scale: sigma), 1)`, whose `logProb` sums over the vector.
public struct Independent<Base: Distribution>: Distribution {
    public let base: Base
    public let reinterpretedBatchDims: Int

    public init(_ base: Base, _ reinterpretedBatchDims: Int) {
        precondition(reinterpretedBatchDims >= 0 && reinterpretedBatchDims <= base.batchShape.count,
                     "Ember: Independent: cannot reinterpret \(reinterpretedBatchDims) dims of the batch shape \(base.batchShape)")
        (self.base, self.reinterpretedBatchDims) = (base, reinterpretedBatchDims)
    }

    public var batchShape: [Int] { Array(base.batchShape.dropLast(reinterpretedBatchDims)) }
    public var eventShape: [Int] { Array(base.batchShape.suffix(reinterpretedBatchDims)) + base.eventShape }
    public var mean: Tensor { base.mean }
    public var variance: Tensor { base.variance }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor { base.sample(sampleShape, generator: generator) }
    public func logProb(_ value: Tensor) -> Tensor { base.logProb(value).sumRightmost(reinterpretedBatchDims) }
    public func entropy() -> Tensor { base.entropy().sumRightmost(reinterpretedBatchDims) }
}

extension Independent: ReparameterizedDistribution where Base: ReparameterizedDistribution {
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor { base.rsample(sampleShape, generator: generator) }
}
