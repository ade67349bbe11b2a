/// The beta distribution on [0, 1], like `torch.distributions.Beta`: density
/// x^(α−1) (1 − x)^(β−1) / B(α, β), the conjugate prior of a Bernoulli probability.
/// Samples are X/(X + Y) of two gamma draws; `rsample` differentiates through them (see `Gamma`).
public struct Beta: ReparameterizedDistribution {
    public let concentration1: Tensor
    public let concentration0: Tensor

    /// A batch of beta distributions with positive α (`concentration1`) and β (`concentration0`).
    public init(concentration1: Tensor, concentration0: Tensor) {
        let parameters = broadcastParameters([concentration1, concentration0], "Beta")
        (self.concentration1, self.concentration0) = (parameters[0], parameters[1])
    }

    public init(concentration1: Float, concentration0: Float) {
        self.init(concentration1: Tensor(concentration1), concentration0: Tensor(concentration0))
    }

    public var batchShape: [Int] { concentration1.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { concentration1 / (concentration1 + concentration0) }
    public var variance: Tensor {
        let total = concentration1 + concentration0
        return concentration1 * concentration0 / (total.square() * (total + 1))
    }

    /// X/(X + Y) = σ(log X − log Y) of gamma draws that carry gradients to both concentrations; in
    /// logs, so that tiny concentrations (whose draws underflow float32) keep their values and gradients.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let logX = GammaReparameterization.logStandardGammaDraws(concentration1, shape: shape, generator: generator)
        let logY = GammaReparameterization.logStandardGammaDraws(concentration0, shape: shape, generator: generator)
        return (logX - logY).sigmoid().clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne)
    }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let ones = Tensor.ones([], device: concentration1.device)
        let x = Gamma(concentration: concentration1.detach(), rate: ones).sample(sampleShape, generator: generator)
        let y = Gamma(concentration: concentration0.detach(), rate: ones).sample(sampleShape, generator: generator)
        // Inside [tiny, 1 − ε] as PyTorch keeps them: two tiny gammas would give 0/0 (NaN), and an
        // exact 0 or 1 an infinite log density.
        return noGrad { (x / (x + y)).clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne) }
    }

    /// (α − 1) log x + (β − 1) log(1 − x) − log B(α, β); −∞ outside [0, 1].
    public func logProb(_ value: Tensor) -> Tensor {
        let density = (concentration1 - 1).xlogy(value) + (concentration0 - 1).xlogy(1 - value) - logBeta()
        return outsideSupport(density, noGrad { value.lt(0) + value.gt(1) })
    }

    public func entropy() -> Tensor {
        let (a, b) = (concentration1, concentration0)
        return logBeta() - (a - 1) * a.digamma() - (b - 1) * b.digamma() + (a + b - 2) * (a + b).digamma()
    }

    /// log B(α, β) = log Γ(α) + log Γ(β) − log Γ(α + β).
    private func logBeta() -> Tensor {
        concentration1.lgamma() + concentration0.lgamma() - (concentration1 + concentration0).lgamma()
    }
}
