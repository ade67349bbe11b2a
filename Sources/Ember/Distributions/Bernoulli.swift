/// The Bernoulli distribution over {0, 1}, like `torch.distributions.Bernoulli`, from probabilities
/// or (more stable) logits.
public struct Bernoulli: Distribution {
    /// The probability of a 1 in each distribution.
    public let probs: Tensor
    /// log(p / (1 − p)) of each; from `probs`, with p clamped to [ε, 1 − ε] first as PyTorch does, so
    /// that p = 0 or 1 gives finite logits (`probs` keeps the exact values).
    public let logits: Tensor

    /// From the probability `probs` of a 1, in [0, 1].
    public init(probs: Tensor) {
        self.probs = probs
        logits = logitsOfProbabilities(probs)
    }

    /// From log-odds.
    public init(logits: Tensor) {
        self.logits = logits
        probs = logits.sigmoid()
    }

    public var batchShape: [Int] { logits.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { probs }
    public var variance: Tensor { probs * (1 - probs) }

    /// 0/1 float draws.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad {
            let p = probs.detach().expand(sampleShape + batchShape)
            return Tensor.rand(p.shape, generator: generator, device: logits.device).lt(p)
        }
    }

    /// value·log p + (1 − value)·log(1 − p) = value·logits − softplus(logits); `value` may be soft.
    public func logProb(_ value: Tensor) -> Tensor { value * logits - logits.softplus() }

    public func entropy() -> Tensor { logits.softplus() - probs * logits }
}
