/// Vector and matrix norms and the cross product, like `torch.linalg.vector_norm`, `matrix_norm` and
/// `cross`; all composed of differentiable ops.
extension Linalg {
    /// The norms `matrixNorm` computes, PyTorch's `ord`: "fro", "nuc", 1, −1, 2, −2, inf and −inf.
    public enum MatrixNormOrder: Sendable {
        /// √(Σ x²) over the matrix.
        case frobenius
        /// The sum of the singular values.
        case nuclear
        /// The largest (`.one`) or smallest (`.minusOne`) column sum of |x|.
        case one, minusOne
        /// The largest (`.two`, the spectral norm) or smallest singular value.
        case two, minusTwo
        /// The largest (`.infinity`) or smallest (`.minusInfinity`) row sum of |x|.
        case infinity, minusInfinity
    }

    /// The `ord`-norm of `x` over `dims` (all of them when nil or empty), like `torch.linalg.vector_norm`:
    /// (Σ|x|ᵖ)^(1/p) for p ≠ 0 (negative p too: 0 when an entry is 0), the largest |x| for ∞, the
    /// smallest for −∞, and the number of non-zero entries for 0 (which has no gradient).
    public static func vectorNorm(_ x: Tensor, ord: Float = 2, dims: [Int]? = nil, keepdim: Bool = false) -> Tensor {
        guard !ord.isNaN else { shapeFailure(ShapeError("linalg.vectorNorm: ord must be a number, got nan")) }
        // A scalar has one dim to name (0 or −1), as in PyTorch.
        let named: [Int] = (dims ?? []).map { d in
            checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: Swift.max(x.rank, 1), op: "linalg.vectorNorm") }
        }
        let reduced = x.rank == 0 ? [] : named.isEmpty ? Array(0..<x.rank) : named
        guard Set(reduced).count == reduced.count else {
            shapeFailure(ShapeError("linalg.vectorNorm: dims \(dims ?? []) repeat a dim of the shape \(x.shape)"))
        }
        // The reduced dims moved last and flattened into one, so that `norm` reduces them at once.
        let kept = (0..<x.rank).filter { !reduced.contains($0) }
        let flat = x.permute(kept + reduced).reshape(kept.map { x.shape[$0] } + [-1])
        let out: Tensor
        switch ord {
        case 0: out = noGrad { flat.ne(0).to(.float32).sum(dim: -1) }
        case -.infinity: out = flat.abs().amin(dims: [-1])
        case ..<0:
            // A zero entry makes the norm 0 (and the gradient 0, as PyTorch's); ones stand in for the zeros so
            // that no ∞ enters the graph.
            let magnitude = flat.abs(), zeros = noGrad { flat.eq(0) }
            let safe = `where`(zeros, Tensor.ones([], device: x.device), magnitude)
            let anyZero = noGrad { zeros.sum(dim: -1).gt(0) }
            out = `where`(anyZero, Tensor.zeros([], device: x.device), safe.pow(ord).sum(dim: -1).pow(1 / ord))
        default: out = flat.norm(p: ord, dim: -1)
        }
        guard keepdim else { return out }
        return out.reshape((0..<x.rank).map { reduced.contains($0) ? 1 : x.shape[$0] })
    }

    /// The `ord`-norm of each matrix of `x` [..., m, n], like `torch.linalg.matrix_norm`.
    public static func matrixNorm(_ x: Tensor, ord: MatrixNormOrder = .frobenius, keepdim: Bool = false) -> Tensor {
        guard x.rank >= 2 else {
            shapeFailure(ShapeError("linalg.matrixNorm: expected a matrix or a batch of matrices [..., m, n], got shape \(x.shape)"))
        }
        let out: Tensor
        switch ord {
        case .frobenius: out = vectorNorm(x, dims: [-2, -1])
        case .nuclear: out = svdvals(x).sum(dim: -1)
        case .two: out = svdvals(x).amax(dims: [-1])
        case .minusTwo: out = svdvals(x).amin(dims: [-1])
        case .one: out = x.abs().sum(dim: -2).amax(dims: [-1])
        case .minusOne: out = x.abs().sum(dim: -2).amin(dims: [-1])
        case .infinity: out = x.abs().sum(dim: -1).amax(dims: [-1])
        case .minusInfinity: out = x.abs().sum(dim: -1).amin(dims: [-1])
        }
        return keepdim ? out.unsqueeze(-1).unsqueeze(-1) : out
    }

    /// The cross product of 3-vectors along `dim` (size 3 in both), like `torch.linalg.cross`; the other
    /// dims broadcast.
    public static func cross(_ a: Tensor, _ b: Tensor, dim: Int = -1) -> Tensor {
        let shape = checkShape { () throws(ShapeError) in try Shape.broadcast(a.shape, b.shape, op: "linalg.cross") }
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: shape.count, op: "linalg.cross") }
        guard a.rank == b.rank, a.shape[d] == 3, b.shape[d] == 3 else {
            shapeFailure(ShapeError("linalg.cross: expects two tensors of one rank with size 3 along dim \(dim), got shapes "
                + "\(a.shape) and \(b.shape)"))
        }
        func component(_ t: Tensor, _ i: Int) -> Tensor { t.narrow(d, start: i, length: 1) }
        let (a0, a1, a2) = (component(a, 0), component(a, 1), component(a, 2))
        let (b0, b1, b2) = (component(b, 0), component(b, 1), component(b, 2))
        return Tensor.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim: d)
    }
}

extension Tensor {
    /// The sum of the main diagonal of a matrix, like `torch.trace`.
    public func trace() -> Tensor {
        guard rank == 2 else { shapeFailure(ShapeError("trace: expects a matrix, got shape \(shape)")) }
        return diagonal().sum()
    }
}
