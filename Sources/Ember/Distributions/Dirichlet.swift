/// The Dirichlet distribution over probability vectors, like `torch.distributions.Dirichlet`:
/// density Π xᵢ^(αᵢ−1) / B(α) on the simplex, the conjugate prior of a categorical (topic models,
/// mixture weights). The last dim of `concentration` is the event; samples are normalized gamma
/// draws, and `rsample` differentiates through them (see `Gamma`).
public struct Dirichlet: ReparameterizedDistribution {
    /// α [..., K], positive.
    public let concentration: Tensor

    public init(concentration: Tensor) {
        guard concentration.rank >= 1, concentration.shape[concentration.rank - 1] >= 1 else {
            shapeFailure(ShapeError("Dirichlet: expected concentrations [..., K] with K ≥ 1, got shape \(concentration.shape)"))
        }
        self.concentration = concentration
    }

    public var batchShape: [Int] { Array(concentration.shape.dropLast()) }
    public var eventShape: [Int] { [concentration.shape[concentration.rank - 1]] }
    private var total: Tensor { concentration.sum(dims: [-1], keepdim: true) }
    public var mean: Tensor { concentration / total }
    public var variance: Tensor {
        let total = self.total
        return concentration * (total - concentration) / (total.square() * (total + 1))
    }

    /// Normalized gamma draws (a softmax of their logs, so that tiny concentrations keep their values
    /// and gradients) that carry gradients to the concentrations.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let logGammas = GammaReparameterization.logStandardGammaDraws(concentration, shape: sampleShape + concentration.shape,
                                                                      generator: generator)
        return logGammas.softmax(dim: -1).clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne)
    }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let gammas = Gamma(concentration: concentration.detach(), rate: Tensor.ones([], device: concentration.device))
            .sample(sampleShape, generator: generator)
        // Inside [tiny, 1 − ε], as PyTorch keeps them: an exact 0 would have an infinite log density.
        return noGrad { (gammas / gammas.sum(dims: [-1], keepdim: true)).clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne) }
    }

    /// Σ (αᵢ − 1) log xᵢ + log Γ(Σα) − Σ log Γ(αᵢ) (xlogy, so xᵢ = 0 with αᵢ = 1 counts 0); −∞ where an
    /// entry is negative.
    public func logProb(_ value: Tensor) -> Tensor {
        guard value.rank >= 1, value.shape[value.rank - 1] == eventShape[0] else {
            shapeFailure(ShapeError("Dirichlet.logProb: expected vectors [..., \(eventShape[0])], got shape \(value.shape)"))
        }
        let density = (concentration - 1).xlogy(value).sum(dims: [-1]) + concentration.sum(dims: [-1]).lgamma()
            - concentration.lgamma().sum(dims: [-1])
        return outsideSupport(density, noGrad { value.lt(0).amax(dims: [-1]) })
    }

    public func entropy() -> Tensor {
        let k = Float(concentration.shape[concentration.rank - 1])
        let total = concentration.sum(dims: [-1])
        return concentration.lgamma().sum(dims: [-1]) - total.lgamma() - (k - total) * total.digamma()
            - ((concentration - 1) * concentration.digamma()).sum(dims: [-1])
    }
}
