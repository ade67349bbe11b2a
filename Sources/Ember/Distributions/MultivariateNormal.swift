/// The multivariate normal distribution N(loc, Σ) over vectors, like
/// `torch.distributions.MultivariateNormal`, kept as the Cholesky factor L of Σ = L·Lᵀ.
public struct MultivariateNormal: ReparameterizedDistribution {
    public let loc: Tensor
    /// The lower-triangular L with covariance L·Lᵀ, [..., d, d].
    public let scaleTril: Tensor

    /// From means [..., d] and a symmetric positive-definite covariance [..., d, d] (factored with
    /// `Linalg.cholesky`, so gradients reach it).
    public init(loc: Tensor, covarianceMatrix: Tensor) {
        self.init(loc: loc, scaleTril: Linalg.cholesky(covarianceMatrix))
    }

    /// From means [..., d] and a lower-triangular factor [..., d, d] with a positive diagonal.
    public init(loc: Tensor, scaleTril: Tensor) {
        guard loc.rank >= 1, scaleTril.rank >= 2, scaleTril.shape[scaleTril.rank - 1] == loc.shape[loc.rank - 1],
              scaleTril.shape[scaleTril.rank - 2] == loc.shape[loc.rank - 1] else {
            shapeFailure(ShapeError("MultivariateNormal: expected loc [..., d] and a covariance or scale [..., d, d], "
                + "got shapes \(loc.shape) and \(scaleTril.shape)"))
        }
        let d = loc.shape[loc.rank - 1]
        let batch = checkShape { () throws(ShapeError) in
            try Shape.broadcast(Array(loc.shape.dropLast()), Array(scaleTril.shape.dropLast(2)), op: "MultivariateNormal")
        }
        self.loc = loc.shape == batch + [d] ? loc : loc.expand(batch + [d])
        self.scaleTril = scaleTril.shape == batch + [d, d] ? scaleTril : scaleTril.expand(batch + [d, d])
    }

    public var dimension: Int { loc.shape[loc.rank - 1] }
    public var batchShape: [Int] { Array(loc.shape.dropLast()) }
    public var eventShape: [Int] { [dimension] }
    public var mean: Tensor { loc }
    public var covarianceMatrix: Tensor { scaleTril.matmul(scaleTril.mT) }
    /// The variance of each coordinate: the covariance's diagonal.
    public var variance: Tensor { (scaleTril * scaleTril).sum(dims: [-1]) }

    /// loc + L·ε with ε ~ N(0, I): differentiable in loc and L.
    public func rsample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let noise = Tensor.randn(sampleShape + batchShape + [dimension], generator: generator, device: loc.device)
        return loc + scaleTril.matmul(noise.unsqueeze(-1)).squeeze(-1)
    }

    /// −½‖L⁻¹(x − μ)‖² − Σ log Lᵢᵢ − (d/2)·log 2π, one value per vector.
    public func logProb(_ value: Tensor) -> Tensor {
        guard value.rank >= 1, value.shape[value.rank - 1] == dimension else {
            shapeFailure(ShapeError("MultivariateNormal.logProb: expected vectors [..., \(dimension)], got shape \(value.shape)"))
        }
        let difference = value - loc
        return mahalanobis(difference) * -0.5 - halfLogDeterminant - Float(dimension) * halfLogTwoPi
    }

    /// ‖L⁻¹·x‖² for vectors x of shape [...] + batchShape + [d]. Sample dims in front of the batch become
    /// columns of one triangular solve per distribution, so L is not copied for every sample.
    private func mahalanobis(_ x: Tensor) -> Tensor {
        let (d, batchRank) = (dimension, batchShape.count)
        let leading = x.rank - 1 - batchRank
        guard leading >= 0, Array(x.shape[leading..<(x.rank - 1)]) == batchShape else {
            let batch = Array(x.shape.dropLast())
            let whitened = Linalg.solveTriangular(scaleTril.expand(batch + [d, d]), x.unsqueeze(-1), upper: false).squeeze(-1)
            return (whitened * whitened).sum(dims: [-1])
        }
        let samples = Shape.count(Array(x.shape.prefix(leading)))
        // [samples, batch..., d] → [batch..., d, samples]
        let columns = x.reshape([samples] + batchShape + [d]).permute(Array(1...(batchRank + 1)) + [0])
        let whitened = Linalg.solveTriangular(scaleTril, columns, upper: false)
        let squared = (whitened * whitened).sum(dims: [-2])   // [batch..., samples]
        return squared.permute([batchRank] + Array(0..<batchRank)).reshape(Array(x.shape.dropLast()))
    }

    /// d/2·(1 + log 2π) + Σ log Lᵢᵢ.
    public func entropy() -> Tensor { halfLogDeterminant + Float(dimension) * (0.5 + halfLogTwoPi) }

    /// ½ log det Σ = Σ log Lᵢᵢ.
    var halfLogDeterminant: Tensor { scaleTril.diagonal(offset: 0, dim1: -2, dim2: -1).log().sum(dims: [-1]) }
}
