/// Running sums and differences along a dim: `cumsum` and `diff`, like PyTorch's.
extension Tensor {
    /// Running sums along `dim`, like `torch.cumsum`: out[i] = x[0] + ... + x[i]. Computed by log₂(n)
    /// shifted additions (a Hillis–Steele scan), each a differentiable op, so it runs on every backend and
    /// has gradients of any order. (The sums are associated differently from a sequential loop: results
    /// can differ from PyTorch's in the last bits.)
    public func cumsum(dim: Int) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: Swift.max(rank, 1), op: "cumsum") }
        if rank == 0 { return clone() }
        let n = shape[d]
        var out = self
        var span = 1
        while span < n {
            var padShape = shape
            padShape[d] = span
            let shifted = Tensor.cat([Tensor.zeros(padShape, dtype: dtype, device: device), out.narrow(d, start: 0, length: n - span)],
                                     dim: d)
            out = out + shifted
            span *= 2
        }
        return n <= 1 ? clone() : out
    }

    /// Differences of neighbours along `dim`, `n` times over, like `torch.diff`: x[i + 1] − x[i].
    public func diff(n: Int = 1, dim: Int = -1) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "diff") }
        guard n >= 0 else { shapeFailure(ShapeError("diff: n must be non-negative, got \(n)")) }
        var out = self
        for _ in 0..<n {
            let size = out.shape[d]
            guard size > 0 else { break }
            out = out.narrow(d, start: 1, length: size - 1) - out.narrow(d, start: 0, length: size - 1)
        }
        return out
    }
}
