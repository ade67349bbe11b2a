/// The geometric distribution over the failures 0, 1, 2, … before the first success, like
/// `torch.distributions.Geometric`: P(k) = (1 − p)ᵏ p. Samples are float32 counts, without gradient.
public struct Geometric: Distribution {
    /// The success probability of each trial, in (0, 1].
    public let probs: Tensor
    /// log(p / (1 − p)).
    public let logits: Tensor

    public init(probs: Tensor) {
        self.probs = probs
        logits = logitsOfProbabilities(probs)
    }

    public init(logits: Tensor) {
        self.logits = logits
        probs = logits.sigmoid()
    }

    public init(probs: Float) { self.init(probs: Tensor(probs)) }

    public var batchShape: [Int] { probs.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { 1 / probs - 1 }
    public var variance: Tensor { (1 / probs - 1) / probs }

    /// ⌊log u / log(1 − p)⌋ for u uniform in (0, 1), as PyTorch draws it.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad {
            let p = probs.detach()
            let u = Tensor.rand(sampleShape + batchShape, generator: generator, device: p.device)
                .clamp(min: Float.leastNormalMagnitude)
            return (u.log() / (-p).log1p()).floor()
        }
    }

    /// k·log(1 − p) + log p, with 0·log 0 taken as 0 (so p = 1 scores k = 0 as log 1); −∞ for k < 0.
    public func logProb(_ value: Tensor) -> Tensor {
        let failures = value.xlogy(1 - probs)
        return outsideSupport(failures + probs.log(), noGrad { value.lt(0) })
    }

    /// The Bernoulli entropy of one trial over p.
    public func entropy() -> Tensor {
        (logits.softplus() - probs * logits) / probs
    }
}
