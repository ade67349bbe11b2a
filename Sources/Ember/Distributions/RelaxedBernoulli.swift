/// The logit of a relaxed Bernoulli draw, like `torch.distributions.LogitRelaxedBernoulli`: the
/// Concrete distribution of Maddison et al. (2017) before its sigmoid. `RelaxedBernoulli` is this
/// through a `SigmoidTransform`.
public struct LogitRelaxedBernoulli: ReparameterizedDistribution, MomentsWithoutClosedForm {
    /// How soft draws are: near 0 they approach 0/1 Bernoulli draws (gradients grow noisy).
    public let temperature: Tensor
    public let probs: Tensor
    /// log(p / (1 − p)).
    public let logits: Tensor

    public init(temperature: Tensor, probs: Tensor) {
        let parameters = broadcastParameters([temperature, probs], "LogitRelaxedBernoulli")
        (self.temperature, self.probs) = (parameters[0], parameters[1])
        logits = logitsOfProbabilities(self.probs)
    }

    public init(temperature: Tensor, logits: Tensor) {
        let parameters = broadcastParameters([temperature, logits], "LogitRelaxedBernoulli")
        (self.temperature, self.logits) = (parameters[0], parameters[1])
        probs = self.logits.sigmoid()
    }

    public var batchShape: [Int] { logits.shape }
    public var eventShape: [Int] { [] }

    /// (logit u + logits) / temperature for uniform noise u: differentiable in both parameters.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let u = noGrad {
            Tensor.rand(shape, generator: generator, device: logits.device).clamp(min: Float.ulpOfOne, max: 1 - Float.ulpOfOne)
        }
        let noise = u.log() - (-u).log1p()
        return (noise + logitsOfProbabilities(probs.expand(shape))) / temperature
    }

    /// log τ + d − 2·softplus(d) with d = logits − τ·value (softplus keeps it finite for large d).
    public func logProb(_ value: Tensor) -> Tensor {
        let difference = logits - value * temperature
        return temperature.log() + difference - 2 * difference.softplus()
    }
}

/// The relaxed Bernoulli (binary Concrete) distribution, like `torch.distributions.RelaxedBernoulli`:
/// soft draws in (0, 1) that are a differentiable function of the probabilities, for training
/// discrete gates and masks by backpropagation. It is `LogitRelaxedBernoulli` through a sigmoid.
///
///     let gate = RelaxedBernoulli(temperature: Tensor(0.5), logits: scores)
///     let mask = gate.rsample()            // in (0, 1), gradients reach `scores`
public struct RelaxedBernoulli: TransformedFamily, ReparameterizedDistribution, CumulativeDistribution, MomentsWithoutClosedForm {
    public let transformed: TransformedDistribution<LogitRelaxedBernoulli>

    public init(temperature: Tensor, probs: Tensor) {
        transformed = TransformedDistribution(LogitRelaxedBernoulli(temperature: temperature, probs: probs), SigmoidTransform())
    }

    public init(temperature: Tensor, logits: Tensor) {
        transformed = TransformedDistribution(LogitRelaxedBernoulli(temperature: temperature, logits: logits), SigmoidTransform())
    }

    public var temperature: Tensor { transformed.base.temperature }
    public var probs: Tensor { transformed.base.probs }
    public var logits: Tensor { transformed.base.logits }

    /// P(X ≤ x) = σ(τ·logit x − logits) inside (0, 1), the logistic cdf of the logit; 0 at and below
    /// 0, 1 at and above 1. (PyTorch has none.)
    public func cdf(_ value: Tensor) -> Tensor {
        let (below, above) = noGrad { (value.le(0), value.ge(1)) }
        // Values outside are moved inside before the logit, so that their (unused) branch stays finite.
        let inside = `where`(noGrad { below + above }, Tensor.full([], 0.5, device: value.device), value)
        let interior = ((inside.log() - (-inside).log1p()) * temperature - logits).sigmoid()
        return `where`(above, Tensor.ones([], device: value.device), interior.maskedFill(below, 0))
    }
}
