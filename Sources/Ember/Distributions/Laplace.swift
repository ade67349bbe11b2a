/// The Laplace (double exponential) distribution, like `torch.distributions.Laplace`: density
/// e^(−|x − loc|/scale) / (2·scale), the noise whose maximum likelihood is the L1 loss.
public struct Laplace: ReparameterizedDistribution, CumulativeDistribution {
    public let loc: Tensor
    public let scale: Tensor

    /// A batch of Laplace distributions with centres `loc` and positive `scale`, broadcast together.
    public init(loc: Tensor, scale: Tensor) {
        let parameters = broadcastParameters([loc, scale], "Laplace")
        (self.loc, self.scale) = (parameters[0], parameters[1])
    }

    public init(loc: Float, scale: Float) { self.init(loc: Tensor(loc), scale: Tensor(scale)) }

    public var batchShape: [Int] { loc.shape }
    public var eventShape: [Int] { [] }
    public var mean: Tensor { loc }
    public var variance: Tensor { scale.square() * 2 }

    /// loc − scale·sign(u)·log(1 − |u|) with u ~ U(−1, 1), as PyTorch draws it: differentiable in both.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        // U[0, 1) moved to [−1 + ε, 1): ε keeps log(1 − |u|) finite.
        let u = Tensor.rand(sampleShape + batchShape, generator: generator, device: loc.device) * (2 - Float.ulpOfOne)
            - (1 - Float.ulpOfOne)
        return loc - scale * u.sign() * (-u.abs()).log1p()
    }

    /// −log(2·scale) − |x − loc|/scale.
    public func logProb(_ value: Tensor) -> Tensor { -(scale * 2).log() - (value - loc).abs() / scale }

    public func entropy() -> Tensor { (scale * 2).log() + 1 }

    /// P(X ≤ value) = ½ − ½·sign(x − loc)·(e^(−|x − loc|/scale) − 1).
    public func cdf(_ value: Tensor) -> Tensor {
        let z = value - loc
        return 0.5 - 0.5 * z.sign() * (-z.abs() / scale).expm1()
    }
}
