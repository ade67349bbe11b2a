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

    /// k·log1p(−p) + log p (log1p keeps small p exact), with p = 1 scoring k = 0 as log 1 and a
    /// gradient of 1 there, as PyTorch's; −∞ for k < 0.
    public func logProb(_ value: Tensor) -> Tensor {
        let sure = noGrad { probs.eq(1) * value.eq(0) }
        let safe = `where`(sure, Tensor.zeros([], device: probs.device), probs)
        return outsideSupport(value * (-safe).log1p() + probs.log(), noGrad { value.lt(0) })
    }

    /// The Bernoulli entropy of one trial over p.
    public func entropy() -> Tensor {
        (logits.softplus() - probs * logits) / probs
    }
}
