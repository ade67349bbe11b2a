import Foundation

/// The gamma distribution with shape α (`concentration`) and rate β, like
/// `torch.distributions.Gamma`: density βᵅ xᵅ⁻¹ e^(−βx) / Γ(α), mean α/β.
/// Samples are drawn on the host (Marsaglia and Tsang's method); `rsample` carries gradients to both
/// parameters, through the draws' implicit derivative in α (`GammaReparameterization`), as PyTorch's.
public struct Gamma: ReparameterizedDistribution {
    public let concentration: Tensor
    public let rate: Tensor

    /// A batch of gamma distributions with positive `concentration` and `rate`, broadcast together.
    public init(concentration: Tensor, rate: Tensor) {
        let parameters = broadcastParameters([concentration, rate], "Gamma")
        (self.concentration, self.rate) = (parameters[0], parameters[1])
    }

    public init(concentration: Float, rate: Float) { self.init(concentration: Tensor(concentration), rate: Tensor(rate)) }

    public var batchShape: [Int] { concentration.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { concentration / rate }
    public var variance: Tensor { concentration / rate.square() }

    /// Draws x/β of x ~ Gamma(α, 1) that carry gradients to α (implicitly) and to β, at least the
    /// smallest normal float (clamped after the division, as PyTorch).
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let logDraws = GammaReparameterization.logStandardGammaDraws(concentration, shape: sampleShape + batchShape, generator: generator)
        return (logDraws.exp() / rate).clamp(min: Float.leastNormalMagnitude)
    }

    /// The same draws without gradient, and without computing it.
    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let alphas = noGrad { concentration.detach().expand(shape).contiguous().toArray() }
        // At least the smallest normal float, as PyTorch clamps: for α ≪ 1 most draws would otherwise
        // underflow to 0 (a third of them at α = 0.01), where the log density is infinite.
        let draws = alphas.map { standardGamma($0, generator) }
        return noGrad { (Tensor(draws, shape: shape).to(rate.device) / rate.detach()).clamp(min: Float.leastNormalMagnitude) }
    }

    /// α log β + (α − 1) log x − βx − log Γ(α) (xlogy, so x = 0 with α = 1 scores log β); −∞ below 0.
    public func logProb(_ value: Tensor) -> Tensor {
        let density = concentration.xlogy(rate) + (concentration - 1).xlogy(value) - rate * value - concentration.lgamma()
        return outsideSupport(density, noGrad { value.lt(0) })
    }

    public func entropy() -> Tensor {
        concentration - rate.log() + concentration.lgamma() + (1 - concentration) * concentration.digamma()
    }
}

/// A draw from Gamma(α, 1): Marsaglia and Tsang's squeeze for α ≥ 1 ("A simple method for generating
/// gamma variables", 2000), and for α < 1 a draw at α + 1 times u^(1/α).
func standardGamma(_ alpha: Float, _ generator: RandomGenerator) -> Float {
    guard alpha > 0 else { return alpha == 0 ? 0 : .nan }
    if alpha < 1 {
        let u = Double(generator.nextFloat())
        return Float(Double(standardGamma(alpha + 1, generator)) * Foundation.pow(u, 1 / Double(alpha)))
    }
    let d = Double(alpha) - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
        var x: Double, v: Double
        repeat {
            x = Double(generator.nextNormal())
            v = 1 + c * x
        } while v <= 0
        v = v * v * v
        let u = Double(generator.nextFloat())
        if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
            return Float(d * v)
        }
    }
}
