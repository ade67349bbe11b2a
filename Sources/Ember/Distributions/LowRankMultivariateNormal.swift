/// The multivariate normal with a low-rank plus diagonal covariance Σ = W·Wᵀ + diag(D), like
/// `torch.distributions.LowRankMultivariateNormal`: for high-dimensional vectors whose correlations
/// come from a few factors (factor analysis, a VAE's structured posterior, Gaussian-process
/// approximations). Densities cost O(d·r²) through the r×r capacitance I + Wᵀ·D⁻¹·W (Woodbury's
/// identity and the matrix determinant lemma), never a d×d factorization.
public struct LowRankMultivariateNormal: ReparameterizedDistribution {
    public let loc: Tensor
    /// W, [..., d, r].
    public let covFactor: Tensor
    /// D, [..., d], positive.
    public let covDiag: Tensor
    /// The Cholesky factor of the capacitance I + Wᵀ·D⁻¹·W, [..., r, r].
    let capacitanceTril: Tensor

    public init(loc: Tensor, covFactor: Tensor, covDiag: Tensor) {
        guard loc.rank >= 1, covFactor.rank >= 2, covDiag.rank >= 1, covFactor.shape[covFactor.rank - 2] == loc.shape[loc.rank - 1],
              covDiag.shape[covDiag.rank - 1] == loc.shape[loc.rank - 1] else {
            shapeFailure(ShapeError("LowRankMultivariateNormal: expected loc [..., d], covFactor [..., d, r] and covDiag [..., d], "
                + "got shapes \(loc.shape), \(covFactor.shape) and \(covDiag.shape)"))
        }
        let (d, r) = (loc.shape[loc.rank - 1], covFactor.shape[covFactor.rank - 1])
        let batch = checkShape { () throws(ShapeError) in
            try Shape.broadcast(Shape.broadcast(Array(loc.shape.dropLast()), Array(covFactor.shape.dropLast(2)), op: "LowRankMultivariateNormal"),
                                Array(covDiag.shape.dropLast()), op: "LowRankMultivariateNormal")
        }
        self.loc = loc.expand(batch + [d])
        self.covFactor = covFactor.expand(batch + [d, r])
        self.covDiag = covDiag.expand(batch + [d])
        let scaled = (self.covFactor / self.covDiag.unsqueeze(-1)).mT            // Wᵀ·D⁻¹, [..., r, d]
        capacitanceTril = Linalg.cholesky(scaled.matmul(self.covFactor) + Tensor.eye(r, device: loc.device))
    }

    public var dimension: Int { loc.shape[loc.rank - 1] }
    public var rank: Int { covFactor.shape[covFactor.rank - 1] }
    public var batchShape: [Int] { Array(loc.shape.dropLast()) }
    public var eventShape: [Int] { [dimension] }
    public var mean: Tensor { loc }
    /// The diagonal of W·Wᵀ + diag(D).
    public var variance: Tensor { covFactor.square().sum(dims: [-1]) + covDiag }
    /// W·Wᵀ + diag(D), [..., d, d].
    public var covarianceMatrix: Tensor {
        covFactor.matmul(covFactor.mT) + covDiag.unsqueeze(-1) * Tensor.eye(dimension, device: loc.device)
    }

    /// loc + W·ε₁ + √D·ε₂ with ε₁ ~ N(0, I_r), ε₂ ~ N(0, I_d): differentiable in all three.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let factorNoise = Tensor.randn(shape + [rank], generator: generator, device: loc.device)
        let diagonalNoise = Tensor.randn(shape + [dimension], generator: generator, device: loc.device)
        return loc + covFactor.matmul(factorNoise.unsqueeze(-1)).squeeze(-1) + covDiag.sqrt() * diagonalNoise
    }

    /// log det Σ = 2·Σ log diag(capacitance factor) + Σ log D (the matrix determinant lemma).
    var logDeterminant: Tensor {
        capacitanceTril.diagonal(offset: 0, dim1: -2, dim2: -1).log().sum(dims: [-1]) * 2 + covDiag.log().sum(dims: [-1])
    }

    /// −½(d·log 2π + (x − μ)ᵀΣ⁻¹(x − μ) + log det Σ), with Σ⁻¹ by Woodbury:
    /// xᵀD⁻¹x − ‖C⁻¹·Wᵀ·D⁻¹·x‖² for the capacitance factor C.
    public func logProb(_ value: Tensor) -> Tensor {
        guard value.rank >= 1, value.shape[value.rank - 1] == dimension else {
            shapeFailure(ShapeError("LowRankMultivariateNormal.logProb: expected vectors [..., \(dimension)], got shape \(value.shape)"))
        }
        let difference = value - loc
        let batch = Array(difference.shape.dropLast())
        let projected = (covFactor / covDiag.unsqueeze(-1)).mT.matmul(difference.unsqueeze(-1))          // [..., r, 1]
        let solved = Linalg.solveTriangular(capacitanceTril.expand(batch + [rank, rank]), projected.expand(batch + [rank, 1]),
                                            upper: false)
        let mahalanobis = (difference.square() / covDiag).sum(dims: [-1]) - solved.square().sum(dims: [-2, -1])
        return (mahalanobis + logDeterminant) * -0.5 - Float(dimension) * halfLogTwoPi
    }

    /// ½(d·(1 + log 2π) + log det Σ).
    public func entropy() -> Tensor { logDeterminant * 0.5 + Float(dimension) * (0.5 + halfLogTwoPi) }
}
