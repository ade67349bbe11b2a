/// Running sums, products, extremes and log-sum-exps along a dim (`cumsum`, `cumprod`, `cummax`,
/// `cummin`, `logcumsumexp`), differences (`diff`) and products (`prod`), like PyTorch's.
extension Tensor {
    /// Running sums along `dim`, like `torch.cumsum`: out[i] = x[0] + ... + x[i]. Computed by log₂(n)
    /// shifted additions (a Hillis–Steele scan), each a differentiable op, so it runs on every backend and
    /// has gradients of any order. (The sums are associated differently from a sequential loop: results
    /// can differ from PyTorch's in the last bits.)
    public func cumsum(dim: Int) -> Tensor { scan(dim: dim, identity: 0, op: "cumsum", +) }

    /// Running products along `dim`, like `torch.cumprod`, by the same scan of multiplications: the
    /// gradient is exact with zeros among the entries (it is the chain rule through the products).
    public func cumprod(dim: Int) -> Tensor { scan(dim: dim, identity: 1, op: "cumprod", *) }

    /// Running log(Σ exp) along `dim`, like `torch.logcumsumexp`: the scan of `logaddexp`, so no
    /// partial sum overflows or underflows to −∞ where the entries differ widely.
    public func logcumsumexp(dim: Int) -> Tensor {
        guard dtype == .float32 else { fatalError("Ember: logcumsumexp needs a float32 tensor; convert with .float() first") }
        return scan(dim: dim, identity: -.infinity, op: "logcumsumexp") { a, b in
            // Where both parts are −∞ (log 0), logaddexp's gradient would be 1/(1 + e^(−∞ + ∞)) = NaN:
            // those pairs are combined as 0s and the −∞ put back, so the gradient there is 0 as PyTorch's.
            let empty = noGrad { a.isNegInf() * b.isNegInf() }
            let zero = Tensor.zeros([], device: a.device)
            let sum = `where`(empty, zero, a).logaddexp(`where`(empty, zero, b))
            return `where`(empty, Tensor.full([], -.infinity, device: a.device), sum)
        }
    }

    /// The running maximum along `dim` and the int64 position it came from, like `torch.cummax`:
    /// ties take the later position, and a NaN, once seen, carries on (its latest position).
    public func cummax(dim: Int) -> (values: Tensor, indices: Tensor) { runningExtreme(dim: dim, largest: true) }

    /// The running minimum along `dim` and its position, like `torch.cummin`.
    public func cummin(dim: Int) -> (values: Tensor, indices: Tensor) { runningExtreme(dim: dim, largest: false) }

    /// Positions found by a scan over (value, position) pairs, where the later part of a window wins
    /// if it is NaN, or if neither is NaN and it is at least (at most) the earlier part, as PyTorch's
    /// sequential loop decides; the values are then gathered, so the gradient goes to those positions.
    /// Values compare in their own dtype (int64 exactly); positions are float32, so that `where`
    /// runs on every backend, which bounds the dim at 2^24 entries.
    private func runningExtreme(dim: Int, largest: Bool) -> (values: Tensor, indices: Tensor) {
        let op = largest ? "cummax" : "cummin"
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: Swift.max(rank, 1), op: op) }
        if rank == 0 { return (clone(), Tensor.zeros([], dtype: .int64, device: device)) }
        let n = shape[d]
        guard n <= 1 << 24 else { shapeFailure(ShapeError("\(op): dims of more than 2^24 entries are not supported, got \(n)")) }
        let indices: Tensor = noGrad {
            var sizes = [Int](repeating: 1, count: rank)
            sizes[d] = n
            var values = self
            // Positions as float32 (exact below 2^24), so that `where` runs on every backend.
            var positions = Tensor.arange(0, Float(n), device: device).reshape(sizes).expand(shape).contiguous()
            var span = 1
            while span < n {
                let earlierValues = values.narrow(d, start: 0, length: n - span)
                let earlierPositions = positions.narrow(d, start: 0, length: n - span)
                let later = values.narrow(d, start: span, length: n - span)
                let laterWins = later.isNaN().maximum(
                    (1 - earlierValues.isNaN()) * (largest ? later.ge(earlierValues) : later.le(earlierValues)))
                let head = values.narrow(d, start: 0, length: span), headPositions = positions.narrow(d, start: 0, length: span)
                values = Tensor.cat([head, `where`(laterWins, later, earlierValues)], dim: d)
                positions = Tensor.cat([headPositions, `where`(laterWins, positions.narrow(d, start: span, length: n - span),
                                                               earlierPositions)], dim: d)
                span *= 2
            }
            return positions.long()
        }
        return (gather(dim: d, indices: indices), indices)
    }

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
        var out = pairwiseFold(dim: d, *)
        if shape[d] == 0 {   // an empty product is 1
            var oneShape = shape
            oneShape[d] = 1
            out = Tensor.ones(oneShape, dtype: dtype, device: device)
        }
        return keepdim ? out : out.squeeze(d)
    }

    /// Dim `d` combined pairwise until one entry is left (kept as a dim of size 1; an empty dim
    /// stays empty): halves combined by `combine`, log₂(n) element-wise ops, n − 1 combinations in
    /// all, each differentiable and exact in the operands' own dtype.
    func pairwiseFold(dim d: Int, _ combine: (Tensor, Tensor) -> Tensor) -> Tensor {
        var out = self
        while out.shape[d] > 1 {
            let n = out.shape[d], half = n / 2
            let paired = combine(out.narrow(d, start: 0, length: half), out.narrow(d, start: half, length: half))
            out = n % 2 == 0 ? paired : Tensor.cat([paired, out.narrow(d, start: n - 1, length: 1)], dim: d)
        }
        return out
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
