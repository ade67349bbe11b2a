/// Functions of square matrices: `matrixPower` and `matrixRank`, like `torch.linalg`'s.
extension Linalg {
    /// Each square matrix raised to the integer power `exponent` by repeated squaring, like
    /// `torch.linalg.matrix_power`: the identity for 0, powers of the inverse for negative exponents.
    public static func matrixPower(_ a: Tensor, _ exponent: Int) -> Tensor {
        guard a.rank >= 2, a.shape[a.rank - 1] == a.shape[a.rank - 2] else {
            shapeFailure(ShapeError("linalg.matrixPower: expected square matrices [..., n, n], got shape \(a.shape)"))
        }
        if exponent == 0 {   // the identity, whose gradient is zero
            let identity = Tensor.eye(a.shape[a.rank - 1], device: a.device).expand(a.shape).contiguous()
            return identity.recording("linalg.matrixPower", inputs: [a]) { g in [Tensor.zeros(like: g)] }
        }
        var base = exponent < 0 ? inv(a) : a
        var result: Tensor?
        var remaining = exponent.magnitude
        while remaining > 0 {
            if remaining & 1 == 1 { result = result.map { $0.matmul(base) } ?? base }
            remaining >>= 1
            if remaining > 0 { base = base.matmul(base) }
        }
        return result!
    }

    /// The number of singular values of each matrix above `rtol` times the largest (by default
    /// max(m, n)·ε of float32, as in PyTorch), as int64, like `torch.linalg.matrix_rank`.
    public static func matrixRank(_ a: Tensor, rtol: Float? = nil) -> Tensor {
        guard a.rank >= 2 else { shapeFailure(ShapeError("linalg.matrixRank: expected a matrix or batch of matrices, got shape \(a.shape)")) }
        let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let batchShape = Array(a.shape.dropLast(2))
        guard Swift.min(m, n) > 0 else { return Tensor.zeros(batchShape, dtype: .int64, device: a.device) }
        let s = noGrad { svdvals(a.detach()) }
        let cutoff = s.narrow(-1, start: 0, length: 1) * (rtol ?? Float(Swift.max(m, n)) * Float.ulpOfOne)
        let counts = s.gt(cutoff).sum(dims: [-1]).toArray().map { Int($0) }
        return Tensor(counts, shape: batchShape, device: a.device)
    }
}
