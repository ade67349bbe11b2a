/// A mixture of K distributions of one family, like `torch.distributions.MixtureSameFamily`: the
/// last batch dim of `component` indexes the K components, which `mixture` weighs. A Gaussian
/// mixture, or the output of a mixture density network:
///
///     let gmm = MixtureSameFamily(mixture: Categorical(logits: weights),                  // [B, K]
///                                 component: Independent(Normal(loc: mu, scale: sigma), 1)) // [B, K, D]
///     let loss = -gmm.logProb(targets).mean()                                             // targets [B, D]
public struct MixtureSameFamily<Component: Distribution>: Distribution {
    public let mixture: Categorical
    public let component: Component

    public init(mixture: Categorical, component: Component) {
        let batch = component.batchShape
        guard let k = batch.last, Array(batch.dropLast()) == mixture.batchShape, k == mixture.classes else {
            shapeFailure(ShapeError("MixtureSameFamily: the components' batch shape \(batch) must be the mixture's "
                + "\(mixture.batchShape) followed by its \(mixture.classes) classes"))
        }
        (self.mixture, self.component) = (mixture, component)
    }

    public var batchShape: [Int] { mixture.batchShape }
    public var eventShape: [Int] { component.eventShape }
    private var eventRank: Int { component.eventShape.count }

    /// The weights [..., K], with a trailing 1 per event dim so they broadcast against the components'.
    private var weights: Tensor { eventRank == 0 ? mixture.probs : mixture.probs.reshape(mixture.probs.shape + Array(repeating: 1, count: eventRank)) }
    private var componentDim: Int { -1 - eventRank }

    /// Σ_k w_k·μ_k.
    public var mean: Tensor { (weights * component.mean).sum(dims: [componentDim]) }

    /// Σ_k w_k·σ²_k + Σ_k w_k·(μ_k − μ)²: within plus between the components.
    public var variance: Tensor {
        let within = (weights * component.variance).sum(dims: [componentDim])
        let between = (weights * (component.mean - mean.unsqueeze(componentDim)).square()).sum(dims: [componentDim])
        return within + between
    }

    /// log Σ_k w_k·p_k(x), through logsumexp.
    public func logProb(_ value: Tensor) -> Tensor {
        let perComponent = component.logProb(value.unsqueeze(value.rank - eventRank))
        return (perComponent + mixture.logits).logsumexp(dim: -1)
    }

    /// A component drawn from the mixture, then a draw from it.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad {
            let chosen = mixture.sample(sampleShape, generator: generator)   // sampleShape + batchShape
            let draws = component.sample(sampleShape, generator: generator)  // sampleShape + batchShape + [K] + eventShape
            let index = chosen.reshape(chosen.shape + [1] + Array(repeating: 1, count: eventRank))
                .expand(chosen.shape + [1] + component.eventShape).contiguous()
            return draws.gather(dim: chosen.rank, indices: index).squeeze(chosen.rank)
        }
    }

    /// No closed form (PyTorch has none either): estimate it as `-logProb(sample([n])).mean(dims: [0])`.
    public func entropy() -> Tensor {
        noClosedForm("MixtureSameFamily", "entropy", estimate: "-logProb(sample([n])).mean(dims: [0])")
    }
}

extension MixtureSameFamily: CumulativeDistribution where Component: CumulativeDistribution {
    /// Σ_k w_k·F_k(x), as PyTorch's. (Every cumulative family is over numbers, so the components are too.)
    public func cdf(_ value: Tensor) -> Tensor {
        (component.cdf(value.unsqueeze(value.rank)) * mixture.probs).sum(dims: [-1])
    }
}
