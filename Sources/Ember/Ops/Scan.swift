/// Running sums, products and differences along a dim (`cumsum`, `cumprod`, `diff`) and products
/// (`prod`), like PyTorch's.
extension Tensor {
    /// Running sums along `dim`, like `torch.cumsum`: out[i] = x[0] + ... + x[i]. Computed by log₂(n)
    /// shifted additions (a Hillis–Steele scan), each a differentiable op, so it runs on every backend and
    /// has gradients of any order. (The sums are associated differently from a sequential loop: results
    /// can differ from PyTorch's in the last bits.)
    public func cumsum(dim: Int) -> Tensor { scan(dim: dim, identity: 0, op: "cumsum", +) }

    /// Running products along `dim`, like `torch.cumprod`, by the same scan of multiplications: the
    /// gradient is exact with zeros among the entries (it is the chain rule through the products).
    public func cumprod(dim: Int) -> Tensor { scan(dim: dim, identity: 1, op: "cumprod", *) }

    /// An inclusive scan: log₂(n) rounds of combining each entry with the one `span` before it.
    private func scan(dim: Int, identity: Float, op: String, _ combine: (Tensor, Tensor) -> Tensor) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: Swift.max(rank, 1), op: op) }
        if rank == 0 { return clone() }
        let n = shape[d]
        var out = self
        var span = 1
        while span < n {
            var padShape = shape
            padShape[d] = span
            let shifted = Tensor.cat([Tensor.full(padShape, identity, dtype: dtype, device: device),
                                      out.narrow(d, start: 0, length: n - span)], dim: d)
            out = combine(out, shifted)
            span *= 2
        }
        return n <= 1 ? clone() : out
    }

    /// The product of the entries along `dim`, like `torch.prod`: halves multiplied pairwise, log₂(n)
    /// rounds, so the gradient (the product of the others) is exact with zeros too.
    public func prod(dim: Int, keepdim: Bool = false) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: Swift.max(rank, 1), op: "prod") }
        if rank == 0 { return clone() }
        var out = self
        while out.shape[d] > 1 {
            let n = out.shape[d], half = n / 2
            let paired = out.narrow(d, start: 0, length: half) * out.narrow(d, start: half, length: half)
            out = n % 2 == 0 ? paired : Tensor.cat([paired, out.narrow(d, start: n - 1, length: 1)], dim: d)
        }
        if shape[d] == 0 {   // an empty product is 1
            var oneShape = shape
            oneShape[d] = 1
            out = Tensor.ones(oneShape, dtype: dtype, device: device)
        }
        return keepdim ? out : out.squeeze(d)
    }

    /// The product of all entries.
    public func prod() -> Tensor { reshape([-1]).prod(dim: 0) }

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
