/// The categorical distribution over classes 0..<K, like `torch.distributions.Categorical`: the last
/// dim of `probs` or `logits` indexes the classes, the dims before it are the batch.
public struct Categorical: Distribution {
    /// The probabilities [..., K] (each row sums to 1).
    public let probs: Tensor
    /// Their logs [..., K]; from `probs`, with probabilities clamped to [ε, 1 − ε] first, as PyTorch does,
    /// so that a class of probability 0 has a finite log-probability.
    public let logits: Tensor

    /// From non-negative weights [..., K]; each row is normalized to sum to 1.
    public init(probs: Tensor) {
        Self.checkClasses(probs)
        self.probs = probs / probs.sum(dims: [-1], keepdim: true)
        logits = self.probs.clamp(min: Float.ulpOfOne, max: 1 - Float.ulpOfOne).log()
    }

    /// From unnormalized log-probabilities [..., K], like a classifier's outputs.
    public init(logits: Tensor) {
        Self.checkClasses(logits)
        self.logits = logits - logits.logsumexp(dim: -1, keepdim: true)
        probs = self.logits.exp()
    }

    private static func checkClasses(_ t: Tensor) {
        guard t.rank >= 1, t.shape[t.rank - 1] > 0 else {
            shapeFailure(ShapeError("Categorical: expected probabilities or logits [..., K] with K ≥ 1 classes, got shape \(t.shape)"))
        }
    }

    public var classes: Int { logits.shape[logits.rank - 1] }
    public var batchShape: [Int] { Array(logits.shape.dropLast()) }
    public var eventShape: [Int] { [] }
    /// Undefined for classes, NaN as in PyTorch.
    public var mean: Tensor { Tensor.full(batchShape, .nan, device: logits.device) }
    public var variance: Tensor { Tensor.full(batchShape, .nan, device: logits.device) }

    /// int64 class indices of shape sampleShape + batchShape.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let draws = Shape.count(sampleShape)
        let rows = noGrad { probs.detach().reshape([-1, classes]) }
        // [rows, draws] → draws first, then the batch.
        let drawn = rows.multinomial(numSamples: Swift.max(draws, 1), replacement: true, generator: generator)
        return drawn.t().contiguous().narrow(0, start: 0, length: draws).reshape(sampleShape + batchShape)
    }

    /// The log-probability of each int64 class index in `value` (broadcast against the batch).
    public func logProb(_ value: Tensor) -> Tensor {
        guard value.dtype == .int64 else {
            shapeFailure(ShapeError("Categorical.logProb: expected int64 class indices, got \(value.dtype) of shape \(value.shape)"))
        }
        let shape = checkShape { () throws(ShapeError) in try Shape.broadcast(value.shape, batchShape, op: "Categorical.logProb") }
        let indices = value.expand(shape).unsqueeze(-1).contiguous()
        return logits.expand(shape + [classes]).gather(dim: -1, indices: indices).squeeze(-1)
    }

    /// −Σ p·log p over the classes.
    public func entropy() -> Tensor {
        -(probs * logits.clamp(min: -Float.greatestFiniteMagnitude)).sum(dims: [-1])
    }
}
