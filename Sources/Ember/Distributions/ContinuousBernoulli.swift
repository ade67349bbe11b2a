import Foundation

/// The continuous Bernoulli distribution on [0, 1], like `torch.distributions.ContinuousBernoulli`
/// (Loaiza-Ganem and Cunningham, 2019): the Bernoulli likelihood λˣ(1 − λ)¹⁻ˣ made a proper density
/// for x anywhere in [0, 1] by its normalizing constant C(λ). A VAE that scores grey pixels with
/// binary cross-entropy uses an unnormalized density; this is the normalized one.
///
/// Near λ = ½ the closed forms divide 0 by 0, so (as PyTorch) λ in [0.499, 0.501] uses their Taylor
/// expansions, and the closed forms are evaluated at a λ moved out of that band.
public struct ContinuousBernoulli: ReparameterizedDistribution, CumulativeDistribution {
    /// λ of each distribution, kept within [ε, 1 − ε].
    public let probs: Tensor
    /// log(λ / (1 − λ)).
    public let logits: Tensor
    /// The band around ½ that uses Taylor expansions.
    public let limits: (Float, Float)

    public init(probs: Tensor, limits: (Float, Float) = (0.499, 0.501)) {
        self.probs = probs.clamp(min: Float.ulpOfOne, max: 1 - Float.ulpOfOne)
        logits = self.probs.log() - (-self.probs).log1p()
        self.limits = limits
    }

    public init(logits: Tensor, limits: (Float, Float) = (0.499, 0.501)) {
        self.logits = logits
        probs = logits.sigmoid().clamp(min: Float.ulpOfOne, max: 1 - Float.ulpOfOne)
        self.limits = limits
    }

    public var batchShape: [Int] { probs.shape }
    public var eventShape: [Int] { [] }

    /// 1 where λ is outside the Taylor band.
    private var stable: Tensor { noGrad { probs.le(limits.0) + probs.gt(limits.1) }.gt(0) }

    /// λ, or the band's lower edge inside the band (so that the closed forms stay finite there).
    private var cutProbs: Tensor { `where`(stable, probs, Tensor.full([], limits.0, device: probs.device)) }

    /// log C(λ) = log(|log(1 − λ) − log λ| / |1 − 2λ|), or log 2 + (4/3 + 104/45·(λ − ½)²)·(λ − ½)² near ½.
    var logNormalizer: Tensor {
        let cut = cutProbs
        let zeros = Tensor.zeros([], device: probs.device), ones = Tensor.ones([], device: probs.device)
        let belowHalf = noGrad { cut.le(0.5) }
        let below = `where`(belowHalf, cut, zeros), above = `where`(noGrad { cut.ge(0.5) }, cut, ones)
        let exact = ((-cut).log1p() - cut.log()).abs().log() - `where`(belowHalf, (below * -2).log1p(), (above * 2 - 1).log())
        let x = (probs - 0.5).square()
        let taylor = (x * (104.0 / 45.0) + 4.0 / 3.0) * x + Float(Foundation.log(2.0))
        return `where`(stable, exact, taylor)
    }

    public var mean: Tensor {
        let cut = cutProbs
        let exact = cut / (cut * 2 - 1) + 1 / ((-cut).log1p() - cut.log())
        let x = probs - 0.5
        return `where`(stable, exact, (x.square() * (16.0 / 45.0) + 1.0 / 3.0) * x + 0.5)
    }

    public var variance: Tensor {
        let cut = cutProbs
        let exact = cut * (cut - 1) / (1 - cut * 2).square() + 1 / ((-cut).log1p() - cut.log()).square()
        let x = (probs - 0.5).square()
        return `where`(stable, exact, 1.0 / 12.0 - (1.0 / 15.0 - x * (128.0 / 945.0)) * x)
    }

    /// The inverse cdf at uniform draws: differentiable in λ, except inside the Taylor band, where the
    /// inverse cdf is the draw u itself and its gradient 0 (as PyTorch's; the true slope there is 2u(1 − u)).
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        icdf(noGrad { Tensor.rand(sampleShape + batchShape, generator: generator, device: probs.device) })
    }

    /// x·logits − softplus(logits) + log C(λ): the Bernoulli log-likelihood, normalized.
    public func logProb(_ value: Tensor) -> Tensor { value * logits - logits.softplus() + logNormalizer }

    /// (λˣ(1 − λ)¹⁻ˣ + λ − 1) / (2λ − 1), x itself in the Taylor band; 0 below 0 and 1 above 1.
    public func cdf(_ value: Tensor) -> Tensor {
        let cut = cutProbs
        let exact = (cut.pow(value) * (1 - cut).pow(1 - value) + cut - 1) / (cut * 2 - 1)
        let inside = `where`(stable, exact, value)
        let zeros = Tensor.zeros([], device: probs.device), ones = Tensor.ones([], device: probs.device)
        return `where`(noGrad { value.le(0) }, zeros, `where`(noGrad { value.ge(1) }, ones, inside))
    }

    /// The x with cdf(x) = u: log(1 + u(2λ − 1) − λ) − log(1 − λ) over log λ − log(1 − λ), u itself in the band.
    public func icdf(_ value: Tensor) -> Tensor {
        let cut = cutProbs
        let exact = ((value * (cut * 2 - 1) - cut).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return `where`(stable, exact, value)
    }

    public func entropy() -> Tensor {
        let (log0, log1) = ((-probs).log1p(), probs.log())
        return mean * (log0 - log1) - logNormalizer - log0
    }
}
