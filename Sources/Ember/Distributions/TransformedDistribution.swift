/// A distribution pushed through invertible transforms, like `torch.distributions.TransformedDistribution`:
/// samples are the base's samples through each transform in order, and `logProb` follows the change of
/// variables, log p(y) = log p_base(x) − Σ log |f′(x)|, with x recovered by the inverses.
///
///     // A Gaussian policy squashed into (−1, 1), as soft actor-critic uses it:
///     let policy = TransformedDistribution(Independent(Normal(loc: mu, scale: sigma), 1), [TanhTransform()])
///     let action = policy.rsample()
///     let logPi = policy.logProb(action)                     // one number per batch entry
///
/// The transforms act element-wise: the event shape is the base's, and the batch shape the base's
/// broadcast with the transforms' parameters (an `AffineTransform` with a loc of [3] over a scalar
/// normal makes a batch of 3). PyTorch has no closed form for the
/// mean, variance or entropy of a transformed distribution, and neither has Ember: asking stops, naming
/// the Monte Carlo estimate to use.
public struct TransformedDistribution<Base: Distribution>: MomentsWithoutClosedForm {
    public let base: Base
    public let transforms: [any DistributionTransform]

    public let batchShape: [Int]
    public let eventShape: [Int]

    public init(_ base: Base, _ transforms: [any DistributionTransform]) {
        (self.base, self.transforms) = (base, transforms)
        let shape = transforms.reduce(base.batchShape + base.eventShape) { $1.forwardShape($0) }
        let eventRank = base.eventShape.count
        (batchShape, eventShape) = (Array(shape.dropLast(eventRank)), Array(shape.suffix(eventRank)))
        guard eventShape == base.eventShape, Array(batchShape.suffix(base.batchShape.count)) == base.batchShape else {
            shapeFailure(ShapeError("TransformedDistribution: the transforms' parameters broadcast the base's batch and event "
                + "shapes \(base.batchShape) and \(base.eventShape) to \(shape); they may only add leading batch dims "
                + "(give the base parameters of the full batch shape)"))
        }
    }

    /// The base's draws for `sampleShape`, with the batch dims the transforms add drawn as well.
    private func baseSampleShape(_ sampleShape: [Int]) -> [Int] {
        sampleShape + batchShape.prefix(batchShape.count - base.batchShape.count)
    }

    public init(_ base: Base, _ transform: any DistributionTransform) { self.init(base, [transform]) }


    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad { transforms.reduce(base.sample(baseSampleShape(sampleShape), generator: generator)) { $1($0) } }
    }

    /// The base's log-density at the transforms' inverse of `value`, minus each transform's log
    /// |Jacobian| (summed over the event dims).
    public func logProb(_ value: Tensor) -> Tensor {
        let eventRank = eventShape.count
        var y = value
        var correction: Tensor? = nil
        for transform in transforms.reversed() {
            let x = transform.inverse(y)
            let term = summedOverEvent(transform.logAbsDetJacobian(x, y), eventRank)
            correction = correction.map { $0 + term } ?? term
            y = x
        }
        let logProb = base.logProb(y)
        return correction.map { logProb - $0 } ?? logProb
    }

    private func summedOverEvent(_ t: Tensor, _ eventRank: Int) -> Tensor {
        eventRank == 0 ? t : t.sum(dims: Array((t.rank - eventRank)..<t.rank))
    }
}

extension TransformedDistribution: ReparameterizedDistribution where Base: ReparameterizedDistribution {
    /// The base's reparameterized draws through the transforms: gradients reach the base's parameters
    /// and the transforms' (an `AffineTransform`'s loc and scale, say).
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        transforms.reduce(base.rsample(baseSampleShape(sampleShape), generator: generator)) { $1($0) }
    }
}

extension TransformedDistribution: CumulativeDistribution where Base: CumulativeDistribution {
    /// The base's cdf at the inverse of `value`, flipped (1 − F) where the transforms decrease.
    public func cdf(_ value: Tensor) -> Tensor {
        let x = transforms.reversed().reduce(value) { $1.inverse($0) }
        let sign = transforms.reduce(Tensor(Float(1))) { $0 * $1.sign }
        let baseCDF = base.cdf(x)
        if sign.rank == 0 && sign.item() == 1 { return baseCDF }
        return sign * (baseCDF - 0.5) + 0.5
    }
}
