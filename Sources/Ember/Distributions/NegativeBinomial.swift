/// The negative binomial distribution, like `torch.distributions.NegativeBinomial`: the number of
/// successes (probability p each) before `totalCount` failures, for overdispersed counts (reads per
/// gene, claims per policy) whose variance exceeds their mean. `totalCount` need not be whole.
/// Samples are drawn as PyTorch draws them, Poisson(Gamma(totalCount, (1 − p) / p)), on the host.
public struct NegativeBinomial: Distribution {
    /// The number of failures r of each distribution (positive).
    public let totalCount: Tensor
    /// The success probability p of each trial.
    public let probs: Tensor
    /// log(p / (1 − p)).
    public let logits: Tensor

    public init(totalCount: Tensor, probs: Tensor) {
        let parameters = broadcastParameters([totalCount, probs], "NegativeBinomial")
        (self.totalCount, self.probs) = (parameters[0], parameters[1])
        logits = logitsOfProbabilities(self.probs)
    }

    public init(totalCount: Tensor, logits: Tensor) {
        let parameters = broadcastParameters([totalCount, logits], "NegativeBinomial")
        (self.totalCount, self.logits) = (parameters[0], parameters[1])
        probs = self.logits.sigmoid()
    }

    public var batchShape: [Int] { probs.shape }
    public var eventShape: [Int] { [] }
    /// r·p / (1 − p).
    public var mean: Tensor { totalCount * logits.exp() }
    /// r·p / (1 − p)².
    public var variance: Tensor { mean / (-logits).sigmoid() }
    /// The most likely count, ⌊(r − 1)·p / (1 − p)⌋ (0 for r ≤ 1).
    public var mode: Tensor { ((totalCount - 1) * logits.exp()).floor().clamp(min: 0) }

    /// Float32 counts: Poisson draws whose rates are Gamma(r, (1 − p) / p) draws.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        noGrad {
            let rates = Gamma(concentration: totalCount.detach(), rate: (-logits.detach()).exp()).sample(sampleShape, generator: generator)
            return Poisson(rate: rates).sample([], generator: generator)
        }
    }

    /// r·log(1 − p) + k·log p + log Γ(r + k) − log Γ(k + 1) − log Γ(r), with log-sigmoids of the
    /// logits for the first two (stable for any logits); −∞ for negative counts.
    public func logProb(_ value: Tensor) -> Tensor {
        let unnormalized = totalCount * -logits.softplus() + value * -(-logits).softplus()
        // r + k = 0 happens only at r = k = 0, where PyTorch takes the normalization as 0.
        let normalization = `where`(noGrad { (totalCount + value).eq(0) }, Tensor.zeros([], device: value.device),
                                    (value + 1).lgamma() + totalCount.lgamma() - (totalCount + value).lgamma())
        return outsideSupport(unnormalized - normalization, noGrad { value.lt(0) })
    }

    public func entropy() -> Tensor {
        noClosedForm("NegativeBinomial", "entropy", estimate: "-logProb(sample([n])).mean(dims: [0])")
    }
}
