import Foundation

/// The Poisson distribution over counts 0, 1, 2, … with mean `rate`, like
/// `torch.distributions.Poisson`. Samples are drawn on the host (float32 counts, no gradient).
public struct Poisson: Distribution {
    public let rate: Tensor

    /// A batch of Poisson distributions with non-negative rates.
    public init(rate: Tensor) { self.rate = rate }
    public init(rate: Float) { self.init(rate: Tensor(rate)) }

    public var batchShape: [Int] { rate.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { rate }
    public var variance: Tensor { rate }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let rates = noGrad { rate.detach().expand(shape).contiguous().toArray() }
        return Tensor(rates.map { poissonCount($0, generator) }, shape: shape).to(rate.device)
    }

    /// k log λ − λ − log k! (xlogy, so a rate of 0 scores the count 0 as log 1); −∞ for negative counts.
    public func logProb(_ value: Tensor) -> Tensor {
        outsideSupport(value.xlogy(rate) - rate - (value + 1).lgamma(), noGrad { value.lt(0) })
    }

    /// PyTorch defines no closed form either; Ember stops with a message rather than guess.
    public func entropy() -> Tensor {
        fatalError("Ember: Poisson has no closed-form entropy (PyTorch's raises NotImplementedError too)")
    }
}

/// A Poisson count: multiplying uniforms (Knuth) below a rate of 10, and above it Hörmann's
/// transformed rejection with squeeze ("The transformed rejection method for generating Poisson
/// random variables", 1993), whose cost does not grow with the rate.
func poissonCount(_ rate: Float, _ generator: RandomGenerator) -> Float {
    guard rate > 0 else { return rate == 0 ? 0 : .nan }
    let lambda = Double(rate)
    if lambda < 10 {
        let limit = Foundation.exp(-lambda)
        var product = Double(generator.nextFloat()), count = 0
        while product > limit {
            product *= Double(generator.nextFloat())
            count += 1
        }
        return Float(count)
    }
    let logLambda = Foundation.log(lambda)
    let b = 0.931 + 2.53 * lambda.squareRoot(), a = -0.059 + 0.02483 * b
    let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
    while true {
        let u = Double(generator.nextFloat()) - 0.5, v = Double(generator.nextFloat())
        let us = 0.5 - Swift.abs(u)
        let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
        if us >= 0.07 && v <= vr { return Float(k) }
        if k < 0 || (us < 0.013 && v > us) { continue }
        var sign: Int32 = 0
        let logFactorial = lgamma_r(k + 1, &sign)
        if Foundation.log(v * inverseAlpha / (a / (us * us) + b)) <= -lambda + k * logLambda - logFactorial {
            return Float(k)
        }
    }
}
