/// The categorical distribution over one-hot vectors, like `torch.distributions.OneHotCategorical`:
/// draws are float32 vectors [..., K] with a single 1 (what a policy over K actions feeds back as
/// input), scored by the class they mark.
public struct OneHotCategorical: Distribution {
    public let categorical: Categorical

    /// From non-negative weights [..., K]; each row is normalized to sum to 1.
    public init(probs: Tensor) { categorical = Categorical(probs: probs) }
    /// From unnormalized log-probabilities [..., K].
    public init(logits: Tensor) { categorical = Categorical(logits: logits) }

    public var probs: Tensor { categorical.probs }
    public var logits: Tensor { categorical.logits }
    public var batchShape: [Int] { categorical.batchShape }
    public var eventShape: [Int] { [categorical.classes] }
    public var mean: Tensor { probs }
    public var variance: Tensor { probs * (1 - probs) }

    /// One-hot float32 draws of shape sampleShape + batchShape + [K].
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        categorical.sample(sampleShape, generator: generator).oneHot(classes: categorical.classes)
    }

    /// The log-probability of the class each one-hot vector [..., K] marks (its largest entry).
    public func logProb(_ value: Tensor) -> Tensor {
        guard value.rank >= 1, value.shape[value.rank - 1] == categorical.classes else {
            shapeFailure(ShapeError("OneHotCategorical.logProb: expected one-hot vectors [..., \(categorical.classes)], got shape \(value.shape)"))
        }
        return categorical.logProb(noGrad { value.argmax(dim: -1) })
    }

    public func entropy() -> Tensor { categorical.entropy() }
}
