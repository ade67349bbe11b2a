import Foundation

/// The log of a relaxed one-hot draw, like `torch.distributions.ExpRelaxedCategorical`: the
/// Concrete distribution of Maddison et al. (2017) in log space, over vectors [..., K] whose
/// exponentials sum to 1. `RelaxedOneHotCategorical` is this through an `ExpTransform`.
public struct ExpRelaxedCategorical: ReparameterizedDistribution, MomentsWithoutClosedForm {
    /// How soft draws are: near 0 they approach one-hot vectors.
    public let temperature: Tensor
    /// The class probabilities of the categorical it relaxes, and their normalized logs.
    public let categorical: Categorical

    /// `temperature` is one per distribution of the batch (broadcast to it), or a scalar.
    public init(temperature: Tensor, probs: Tensor) { self.init(temperature, Categorical(probs: probs)) }
    public init(temperature: Tensor, logits: Tensor) { self.init(temperature, Categorical(logits: logits)) }

    private init(_ temperature: Tensor, _ categorical: Categorical) {
        let batch = categorical.batchShape
        guard (try? Shape.broadcast(temperature.shape, batch, op: "ExpRelaxedCategorical")) == batch else {
            shapeFailure(ShapeError("ExpRelaxedCategorical: temperature of shape \(temperature.shape) must broadcast to the batch "
                + "shape \(batch) (one per distribution, or a scalar); the class dim \(categorical.classes) takes none"))
        }
        (self.temperature, self.categorical) = (temperature, categorical)
    }

    public var probs: Tensor { categorical.probs }
    public var logits: Tensor { categorical.logits }
    public var batchShape: [Int] { categorical.batchShape }
    public var eventShape: [Int] { [categorical.classes] }

    /// log-softmax((logits + Gumbel noise) / temperature): the Gumbel-softmax trick, in log space.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape + eventShape
        let u = noGrad {
            Tensor.rand(shape, generator: generator, device: logits.device).clamp(min: Float.ulpOfOne, max: 1 - Float.ulpOfOne)
        }
        let scores = (logits.expand(shape) - (-u.log()).log()) / temperature.unsqueeze(-1)
        return scores - scores.logsumexp(dim: -1, keepdim: true)
    }

    /// The Concrete log-density of log-space vectors `value` [..., K]:
    /// log Γ(K) + (K − 1)·log τ + Σ s − K·logsumexp(s), with s = logits − τ·value.
    public func logProb(_ value: Tensor) -> Tensor {
        let classes = Float(categorical.classes)
        let logScale = Float(Foundation.lgamma(Double(classes))) + temperature.log() * (classes - 1)
        let score = logits - value * temperature.unsqueeze(-1)
        return (score - score.logsumexp(dim: -1, keepdim: true)).sum(dims: [-1]) + logScale
    }
}

/// The relaxed one-hot categorical (Concrete, or Gumbel-softmax) distribution, like
/// `torch.distributions.RelaxedOneHotCategorical`: soft one-hot vectors [..., K] on the simplex that are
/// a differentiable function of the class probabilities, for training discrete choices (a VAE's
/// categorical latents, a hard attention) by backpropagation. It is `ExpRelaxedCategorical` through
/// an exponential. `temperature` has the batch shape (or is a scalar).
///
///     let choice = RelaxedOneHotCategorical(temperature: Tensor(0.5), logits: scores)   // scores [B, K]
///     let soft = choice.rsample()          // [B, K], each row sums to 1; gradients reach `scores`
public struct RelaxedOneHotCategorical: TransformedFamily, ReparameterizedDistribution, MomentsWithoutClosedForm {
    public let transformed: TransformedDistribution<ExpRelaxedCategorical>

    public init(temperature: Tensor, probs: Tensor) {
        transformed = TransformedDistribution(ExpRelaxedCategorical(temperature: temperature, probs: probs), ExpTransform())
    }

    public init(temperature: Tensor, logits: Tensor) {
        transformed = TransformedDistribution(ExpRelaxedCategorical(temperature: temperature, logits: logits), ExpTransform())
    }

    public var temperature: Tensor { transformed.base.temperature }
    public var probs: Tensor { transformed.base.probs }
    public var logits: Tensor { transformed.base.logits }
}
