import Foundation

/// Student's t distribution with `df` degrees of freedom, centred at `loc` and scaled by `scale`, like
/// `torch.distributions.StudentT`: heavier tails than the normal (robust regression, small samples).
/// Samples are drawn as N(0, 1)/√(χ²/df) with the χ² from the host's gamma sampler, without gradient.
public struct StudentT: Distribution {
    public let df: Tensor
    public let loc: Tensor
    public let scale: Tensor

    /// A batch of t distributions with positive `df` and `scale`, broadcast together.
    public init(df: Tensor, loc: Tensor, scale: Tensor) {
        let parameters = broadcastParameters([df, loc, scale], "StudentT")
        (self.df, self.loc, self.scale) = (parameters[0], parameters[1], parameters[2])
    }

    public init(df: Float, loc: Float = 0, scale: Float = 1) {
        self.init(df: Tensor(df), loc: Tensor(loc), scale: Tensor(scale))
    }

    public var batchShape: [Int] { df.shape }
    public var eventShape: [Int] { [] }

    /// loc where df > 1; NaN (undefined) otherwise, as in PyTorch.
    public var mean: Tensor {
        `where`(noGrad { df.gt(1) }, loc, Tensor.full([], .nan, device: loc.device))
    }

    /// scale²·df/(df − 2) where df > 2, ∞ where 1 < df ≤ 2, NaN where df ≤ 1.
    public var variance: Tensor {
        let (above2, above1) = noGrad { (df.gt(2), df.gt(1)) }
        // df held at 3 where the variance is not finite, so that no ∞ (at df = 2) reaches the gradient.
        let safeDf = `where`(above2, df, Tensor.full([], 3, device: df.device))
        let finite = scale.square() * safeDf / (safeDf - 2)
        let infinite = `where`(above1, Tensor.full([], .infinity, device: df.device), Tensor.full([], .nan, device: df.device))
        return `where`(above2, finite, infinite)
    }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        return noGrad {
            let halfDf = (df.detach() / 2).expand(shape)
            let chi2 = Gamma(concentration: halfDf.contiguous(), rate: Tensor.full([], 0.5, device: df.device))
                .sample([], generator: generator)
            let z = Tensor.randn(shape, generator: generator, device: loc.device)
            return loc.detach() + scale.detach() * z * (df.detach() / chi2).sqrt()
        }
    }

    /// −½(df + 1)·log(1 + y²/df) − log(scale) − ½ log(df·π) − log B(½df, ½), y = (x − loc)/scale.
    public func logProb(_ value: Tensor) -> Tensor {
        let y = (value - loc) / scale
        let normalizer = scale.log() + df.log() * 0.5 + Float(0.5 * Foundation.log(Double.pi))
            + (df * 0.5).lgamma() - ((df + 1) * 0.5).lgamma()
        return (y.square() / df).log1p() * ((df + 1) * -0.5) - normalizer
    }

    public func entropy() -> Tensor {
        let halfDf = df * 0.5, halfDfPlusHalf = (df + 1) * 0.5
        let logBeta = halfDf.lgamma() + Float(0.5 * Foundation.log(Double.pi)) - halfDfPlusHalf.lgamma()
        return scale.log() + halfDfPlusHalf * (halfDfPlusHalf.digamma() - halfDf.digamma()) + df.log() * 0.5 + logBeta
    }
}
