import Foundation

/// The multinomial distribution, like `torch.distributions.Multinomial`: how many of `totalCount`
/// independent draws from a categorical over K classes fall in each class, as float32 count vectors
/// [..., K] (word counts of a document, votes per candidate).
public struct Multinomial: Distribution {
    public let totalCount: Int
    /// The categorical of one draw (its probabilities and normalized logits, [..., K]).
    public let categorical: Categorical

    /// From non-negative weights [..., K]; each row is normalized to sum to 1.
    public init(totalCount: Int, probs: Tensor) {
        precondition(totalCount >= 0, "Ember: Multinomial: totalCount must be 0 or more, got \(totalCount)")
        (self.totalCount, categorical) = (totalCount, Categorical(probs: probs))
    }

    /// From unnormalized log-probabilities [..., K].
    public init(totalCount: Int, logits: Tensor) {
        precondition(totalCount >= 0, "Ember: Multinomial: totalCount must be 0 or more, got \(totalCount)")
        (self.totalCount, categorical) = (totalCount, Categorical(logits: logits))
    }

    public var probs: Tensor { categorical.probs }
    public var logits: Tensor { categorical.logits }
    public var batchShape: [Int] { categorical.batchShape }
    public var eventShape: [Int] { [categorical.classes] }
    public var mean: Tensor { probs * Float(totalCount) }
    public var variance: Tensor { probs * (1 - probs) * Float(totalCount) }

    /// Count vectors of shape sampleShape + batchShape + [K], each summing to `totalCount`.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad {
            let classes = categorical.classes
            // totalCount categorical draws per vector, counted class by class.
            let draws = categorical.sample([totalCount] + sampleShape, generator: generator)   // [n, S..., B...]
            let counts = Tensor.zeros(sampleShape + batchShape + [classes], device: probs.device)
            guard totalCount > 0 else { return counts }
            let perVector = draws.reshape([totalCount, -1]).t().contiguous()                      // [vectors, n]
            return Tensor.zeros([perVector.shape[0], classes], device: probs.device)
                .scatterAdd(dim: 1, index: perVector, src: Tensor.ones(perVector.shape, device: probs.device))
                .reshape(counts.shape)
        }
    }

    /// log n! − Σ log xᵢ! + Σ xᵢ·log pᵢ for count vectors `value` [..., K] (n taken as their sum, as
    /// PyTorch does); a class of probability 0 that is not drawn contributes 0.
    public func logProb(_ value: Tensor) -> Tensor {
        guard value.rank >= 1, value.shape[value.rank - 1] == categorical.classes else {
            shapeFailure(ShapeError("Multinomial.logProb: expected count vectors [..., \(categorical.classes)], got shape \(value.shape)"))
        }
        let logFactorialN = (value.sum(dims: [-1]) + 1).lgamma()
        let logFactorialXs = (value + 1).lgamma().sum(dims: [-1])
        let powers = `where`(noGrad { value.eq(0) * logits.eq(-.infinity) }, Tensor.zeros([], device: value.device), logits * value)
        return logFactorialN - logFactorialXs + powers.sum(dims: [-1])
    }

    /// As PyTorch computes it, through each class's binomial marginal:
    /// n·H(categorical) − log n! + Σₖ Σᵢ P(xᵢ = k)·log k!, for k = 1 … n.
    public func entropy() -> Tensor {
        let n = Float(totalCount)
        let first = categorical.entropy() * n - Float(Foundation.lgamma(Double(n + 1)))
        guard totalCount > 0 else { return first }
        let support = Tensor((1...totalCount).map(Float.init), shape: [totalCount] + probs.shape.map { _ in 1 }).to(probs.device)
        let marginals = Binomial(totalCount: totalCount, probs: probs).logProb(support).exp()
        return first + (marginals * (support + 1).lgamma()).sum(dims: [0, -1])
    }
}
