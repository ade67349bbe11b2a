import Foundation

/// The binomial distribution: successes in `totalCount` independent trials of probability p, like
/// `torch.distributions.Binomial`. Samples are float32 counts drawn on the host, without gradient
/// (exact up to 2^24). Like PyTorch's float32, `logProb` loses digits past about 10⁵ trials: log C(n, k)
/// is a difference of large log-gammas.
public struct Binomial: Distribution {
    /// The number of trials n of each distribution (a float32 tensor of whole numbers).
    public let totalCount: Tensor
    public let probs: Tensor
    /// log(p / (1 − p)).
    public let logits: Tensor

    public init(totalCount: Tensor, probs: Tensor) {
        let parameters = broadcastParameters([totalCount, probs], "Binomial")
        (self.totalCount, self.probs) = (parameters[0], parameters[1])
        logits = logitsOfProbabilities(self.probs)
    }

    public init(totalCount: Tensor, logits: Tensor) {
        let parameters = broadcastParameters([totalCount, logits], "Binomial")
        (self.totalCount, self.logits) = (parameters[0], parameters[1])
        probs = self.logits.sigmoid()
    }

    public init(totalCount: Int, probs: Tensor) {
        self.init(totalCount: Tensor.full([], Float(totalCount), device: probs.device), probs: probs)
    }

    public init(totalCount: Int, logits: Tensor) {
        self.init(totalCount: Tensor.full([], Float(totalCount), device: logits.device), logits: logits)
    }

    public var batchShape: [Int] { probs.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { totalCount * probs }
    public var variance: Tensor { totalCount * probs * (1 - probs) }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let (counts, ps) = noGrad {
            (totalCount.detach().expand(shape).contiguous().toArray(), probs.detach().expand(shape).contiguous().toArray())
        }
        let draws = zip(counts, ps).map { $0.0.isFinite ? binomialCount(Int($0.0), Double($0.1), generator) : Float.nan }
        return Tensor(draws, shape: shape).to(probs.device)
    }

    /// log C(n, k) + k·logits − n·softplus(logits), stable for any logits; −∞ outside 0 ≤ k ≤ n.
    public func logProb(_ value: Tensor) -> Tensor {
        let logChoose = (totalCount + 1).lgamma() - (value + 1).lgamma() - (totalCount - value + 1).lgamma()
        let density = logChoose + value * logits - totalCount * logits.softplus()
        return outsideSupport(density, noGrad { value.lt(0) + value.gt(totalCount) })
    }

    /// −Σₖ P(k) log P(k) over k = 0 … n, as PyTorch's sum over the support (which it allows only for
    /// one n across the batch; here each distribution sums over its own). It holds (largest n + 1) ×
    /// batch terms.
    public func entropy() -> Tensor {
        let largestCount = noGrad { totalCount.detach().max().item() }
        precondition(largestCount.isFinite, "Ember: Binomial.entropy: trial counts must be finite, got \(largestCount)")
        let largest = Int(largestCount)
        let ks = Tensor((0...Swift.max(largest, 0)).map(Float.init), shape: [largest + 1] + batchShape.map { _ in 1 })
            .to(probs.device)
        // Past a distribution's n the terms are 0: k is held at n there (so that nothing infinite
        // enters the gradient) and the term dropped.
        let n = totalCount.detach()
        let logP = logProb(ks.minimum(n))
        let terms = `where`(noGrad { ks.le(n) }, logP.exp() * logP, Tensor.zeros([], device: probs.device))
        return -terms.sum(dims: [0])
    }
}

/// A binomial count by Knuth's recursion (TAOCP vol. 2, 3.4.1): above 40 trials, the median order
/// statistic of uniform draws is a beta draw that splits the trials in two, and the count goes on in
/// the half p falls in, so the cost grows as log n; at most 40 trials are counted one by one.
func binomialCount(_ n: Int, _ p: Double, _ generator: RandomGenerator) -> Float {
    guard n >= 0, p >= 0, p <= 1 else { return .nan }
    var (trials, probability, successes) = (n, p, 0)
    while trials > 40 {
        let a = 1 + trials / 2, b = trials + 1 - a
        let x = Double(standardGamma(Float(a), generator)), y = Double(standardGamma(Float(b), generator))
        let median = x / (x + y)   // the a-th smallest of `trials` uniforms: Beta(a, b)
        if median >= probability {
            (trials, probability) = (a - 1, probability / median)
        } else {
            (trials, probability, successes) = (b - 1, (probability - median) / (1 - median), successes + a)
        }
    }
    // 53-bit uniforms: a float's 24 bits would round a tiny p up to 2^−24 (60 times too many successes at 10⁻⁹).
    for _ in 0..<trials where Double(generator.nextUInt64() >> 11) * 0x1p-53 < probability { successes += 1 }
    return Float(successes)
}
