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
    /// The transforms as one, for the draws, the inverse and the shapes.
    private let chain: ComposeTransform

    public let batchShape: [Int]
    public let eventShape: [Int]

    public init(_ base: Base, _ transform: any DistributionTransform) { self.init(base, [transform]) }

    public init(_ base: Base, _ transforms: [any DistributionTransform]) {
        (self.base, self.transforms, chain) = (base, transforms, ComposeTransform(transforms))
        let shape = chain.forwardShape(base.batchShape + base.eventShape)
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

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad { chain(base.sample(baseSampleShape(sampleShape), generator: generator)) }
    }

    /// The base's log-density at the transforms' inverse of `value`, minus each transform's log
    /// |Jacobian| (summed over the event dims).
    public func logProb(_ value: Tensor) -> Tensor {
        var y = value
        var correction: Tensor? = nil
        for transform in transforms.reversed() {
            let x = transform.inverse(y)
            let term = transform.logAbsDetJacobian(x, y).sumRightmost(eventShape.count)
            correction = correction.map { $0 + term } ?? term
            y = x
        }
        let logProb = base.logProb(y)
        return correction.map { logProb - $0 } ?? logProb
    }
}

extension TransformedDistribution: ReparameterizedDistribution where Base: ReparameterizedDistribution {
    /// The base's reparameterized draws through the transforms: gradients reach the base's parameters
    /// and the transforms' (an `AffineTransform`'s loc and scale, say).
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        chain(base.rsample(baseSampleShape(sampleShape), generator: generator))
    }
}

extension TransformedDistribution: CumulativeDistribution where Base: CumulativeDistribution {
    /// The base's cdf at the inverse of `value`, flipped (1 − F) where the transforms decrease.
    public func cdf(_ value: Tensor) -> Tensor {
        let sign = chain.sign
        let baseCDF = base.cdf(chain.inverse(value))
        if sign.rank == 0 && sign.item() == 1 { return baseCDF }
        return sign * (baseCDF - 0.5) + 0.5
    }
}

/// A named family defined as a transformed distribution (a relaxed Bernoulli is a logit-relaxed one
/// through a sigmoid), like PyTorch's subclasses of `TransformedDistribution`: its shapes, density,
/// draws and cdf are the transformed distribution's unless the family writes its own.
public protocol TransformedFamily: Distribution {
    associatedtype Base: Distribution
    var transformed: TransformedDistribution<Base> { get }
}

extension TransformedFamily {
    public var batchShape: [Int] { transformed.batchShape }
    public var eventShape: [Int] { transformed.eventShape }
    public func logProb(_ value: Tensor) -> Tensor { transformed.logProb(value) }
}

extension TransformedFamily where Base: ReparameterizedDistribution {
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        transformed.rsample(sampleShape, generator: generator)
    }
}

extension TransformedFamily where Base: CumulativeDistribution {
    public func cdf(_ value: Tensor) -> Tensor { transformed.cdf(value) }
}
