/// Statistics of a tensor's entries beyond sum, mean and variance, like PyTorch's: sums and means
/// that skip NaN (`nansum`, `nanmean`), quantiles (`quantile`, `nanquantile`), the k-th smallest
/// entry (`kthvalue`), the most frequent one (`mode`), both extremes at once (`aminmax`), the
/// variance or deviation with the mean (`varMean`, `stdMean`), `countNonzero`, and the covariance
/// and correlation matrices of variables (`cov`, `corrcoef`).
/// How `quantile` picks a value between the two entries around its rank, like PyTorch's `interpolation`.
public enum QuantileInterpolation: Sendable {
    /// lower + (upper − lower)·fraction of the rank.
    case linear
    case lower, higher
    /// The mean of lower and upper.
    case midpoint
    /// The entry at the rank rounded to the nearest integer (halves to even).
    case nearest
}

extension Tensor {
    /// The sum over `dims` (all of them when empty) counting NaN as 0, like `torch.nansum`; no
    /// gradient flows to the NaN entries.
    public func nansum(dims: [Int] = [], keepdim: Bool = false) -> Tensor {
        if dtype == .int64 { return sum(over: dims, keepdim: keepdim) }   // no NaN to skip
        return `where`(noGrad { isNaN() }, Tensor.zeros([], device: device), self).sum(over: dims, keepdim: keepdim)
    }

    /// The mean over `dims` (all of them when empty) of the entries that are not NaN, like
    /// `torch.nanmean`: NaN where every entry is NaN.
    public func nanmean(dims: [Int] = [], keepdim: Bool = false) -> Tensor {
        let present = noGrad { 1 - isNaN() }
        return nansum(dims: dims, keepdim: keepdim) / present.sum(over: dims, keepdim: keepdim)
    }

    /// The sum over `dims`, all of them when empty (as `amax` and the nan-reductions read dims).
    private func sum(over dims: [Int], keepdim: Bool) -> Tensor {
        dims.isEmpty && !keepdim ? sum() : sum(dims: dims.isEmpty ? Array(0..<rank) : dims, keepdim: keepdim)
    }

    /// The `q`-quantile of the entries along `dim` (of all entries when nil), like `torch.quantile`:
    /// the value at rank q·(n − 1) of the sorted entries, interpolated. A row with a NaN gives NaN.
    public func quantile(_ q: Float, dim: Int? = nil, keepdim: Bool = false,
                         interpolation: QuantileInterpolation = .linear) -> Tensor {
        quantiles([q], dim: dim, keepdim: keepdim, interpolation: interpolation, ignoringNaN: false, op: "quantile")
            .squeeze(0)
    }

    /// Several quantiles at once: the result has a leading dim of `q.count`, like `torch.quantile`
    /// with a 1-D `q`.
    public func quantile(_ q: [Float], dim: Int? = nil, keepdim: Bool = false,
                         interpolation: QuantileInterpolation = .linear) -> Tensor {
        quantiles(q, dim: dim, keepdim: keepdim, interpolation: interpolation, ignoringNaN: false, op: "quantile")
    }

    /// `quantile` over the entries that are not NaN, like `torch.nanquantile`; NaN where all are.
    public func nanquantile(_ q: Float, dim: Int? = nil, keepdim: Bool = false,
                            interpolation: QuantileInterpolation = .linear) -> Tensor {
        quantiles([q], dim: dim, keepdim: keepdim, interpolation: interpolation, ignoringNaN: true, op: "nanquantile")
            .squeeze(0)
    }

    public func nanquantile(_ q: [Float], dim: Int? = nil, keepdim: Bool = false,
                            interpolation: QuantileInterpolation = .linear) -> Tensor {
        quantiles(q, dim: dim, keepdim: keepdim, interpolation: interpolation, ignoringNaN: true, op: "nanquantile")
    }

    /// The quantiles as PyTorch computes them: sort each row (NaN last), ranks q·(count − 1) in double,
    /// gather the entries below and above each rank and interpolate between them. The gradient flows
    /// back through the gathers to the entries used.
    private func quantiles(_ q: [Float], dim: Int?, keepdim: Bool, interpolation: QuantileInterpolation,
                           ignoringNaN: Bool, op: String) -> Tensor {
        if let bad = q.first(where: { !($0 >= 0 && $0 <= 1) }) {
            shapeFailure(ShapeError("\(op): q values must lie in [0, 1], got \(bad)"))
        }
        let d = dim.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: Swift.max(rank, 1), op: op) } }
        // Rows along the last dim: the reduced dim moved there, or everything flattened.
        let rows = d.map { rank == 0 ? reshape([1]) : movedim($0, -1) } ?? reshape([-1])
        let n = rows.shape[rows.rank - 1]
        guard n > 0, count > 0 else { shapeFailure(ShapeError("\(op): expects a non-empty tensor, got shape \(shape)")) }
        let sorted = rows.sort(dim: -1).values
        // Ranks in double, as PyTorch computes them from float32 q: 0.1 · 10 is 1.0000000149, so the
        // `higher` of 0.1 over 11 entries is the third (a float32 rank would round to 1.0).
        let nanCounts = noGrad { rows.isNaN().sum(dim: -1).toArray() }
        var below = [Int](), above = [Int](), weights = [Float]()
        for row in nanCounts.indices {
            let present = n - Int(nanCounts[row])
            for value in q {
                var rank: Double
                if ignoringNaN {
                    rank = present == 0 ? 0 : Double(value) * Double(present - 1)   // all NaN: rank 0 gives NaN
                } else {
                    rank = present < n ? Double(n - 1) : Double(value) * Double(n - 1)   // a NaN row gives NaN
                }
                switch interpolation {
                case .lower: rank.round(.down)
                case .higher: rank.round(.up)
                case .nearest: rank.round(.toNearestOrEven)
                case .linear, .midpoint: break
                }
                let low = rank.rounded(.down)
                below.append(Int(low))
                above.append(Int(rank.rounded(.up)))
                weights.append(interpolation == .midpoint ? 0.5 : Float(rank - low))
            }
        }
        let indexShape = Array(rows.shape.dropLast()) + [q.count]
        var out = sorted.gather(dim: -1, indices: Tensor(below, shape: indexShape, device: device))
        if interpolation == .linear || interpolation == .midpoint {
            let upper = sorted.gather(dim: -1, indices: Tensor(above, shape: indexShape, device: device))
            out = out.lerp(upper, weight: Tensor(weights, shape: indexShape, device: device))
        }
        // [rows..., Q] → [Q, rows...], then the reduced dim back as 1 for keepdim.
        out = out.movedim(-1, 0)
        guard keepdim else { return out }
        if let d { return rank == 0 ? out : out.unsqueeze(d + 1) }
        return out.reshape([q.count] + [Int](repeating: 1, count: rank))
    }

    /// The `k`-th smallest entry along `dim` (k from 1) and its int64 position, like `torch.kthvalue`.
    public func kthvalue(_ k: Int, dim: Int = -1, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: Swift.max(rank, 1), op: "kthvalue") }
        let size = rank == 0 ? 1 : shape[d]
        guard k >= 1 && k <= size else {
            shapeFailure(ShapeError("kthvalue: k (\(k)) must be between 1 and the size of dim \(d) (\(size)) of shape \(shape)"))
        }
        if rank == 0 { return (clone(), Tensor.zeros([], dtype: .int64, device: device)) }
        let index = argsort(dim: d).narrow(d, start: k - 1, length: 1).contiguous()
        let values = gather(dim: d, indices: index)
        return keepdim ? (values, index) : (values.squeeze(d), index.squeeze(d))
    }

    /// The most frequent entry along `dim` (the smallest of equally frequent ones) and the int64
    /// position of its last occurrence, like `torch.mode` (whose position among equal entries is
    /// arbitrary for rows longer than 16). Counted on the host.
    public func mode(dim: Int = -1, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: Swift.max(rank, 1), op: "mode") }
        if rank == 0 { return (clone(), Tensor.zeros([], dtype: .int64, device: device)) }
        let n = shape[d]
        guard n > 0 else { shapeFailure(ShapeError("mode: cannot take the mode of an empty dim (shape \(shape))")) }
        let (sortedValues, order) = noGrad { movedim(d, -1).sort(dim: -1) }
        let positions = order.toIntArray()
        // Runs of equal entries: int64 compared as integers (as floats, 2^24 + 1 would equal 2^24).
        let same: (Int, Int) -> Bool
        if dtype == .int64 {
            let values = sortedValues.toIntArray()
            same = { values[$0] == values[$1] }
        } else {
            let values = sortedValues.toArray()
            same = { values[$0] == values[$1] }
        }
        var found = [Int](repeating: 0, count: positions.count / n)
        for row in found.indices {
            let base = row * n
            var best = (count: 0, last: 0), start = 0
            while start < n {
                var end = start + 1, last = positions[base + start]
                while end < n && same(base + end, base + start) {
                    last = Swift.max(last, positions[base + end])
                    end += 1
                }
                if end - start > best.count { best = (end - start, last) }   // strictly more: ties keep the smaller value
                start = end
            }
            found[row] = best.last
        }
        var keptShape = shape
        keptShape[d] = 1
        let index = Tensor(found, shape: Array(shape.enumerated().filter { $0.offset != d }.map(\.element)) + [1], device: device)
            .movedim(-1, d).contiguous()
        let out = gather(dim: d, indices: index)
        return keepdim ? (out, index) : (out.squeeze(d), index.squeeze(d))
    }

    /// The smallest and largest entries over `dims` (all when empty), like `torch.aminmax`.
    public func aminmax(dims: [Int] = [], keepdim: Bool = false) -> (min: Tensor, max: Tensor) {
        (amin(dims: dims, keepdim: keepdim), amax(dims: dims, keepdim: keepdim))
    }

    /// The variance and the mean over `dims`, like `torch.var_mean`.
    public func varMean(dims: [Int], unbiased: Bool = true, keepdim: Bool = false) -> (variance: Tensor, mean: Tensor) {
        (variance(dims: dims, unbiased: unbiased, keepdim: keepdim), mean(dims: dims, keepdim: keepdim))
    }

    /// The standard deviation and the mean over `dims`, like `torch.std_mean`.
    public func stdMean(dims: [Int], unbiased: Bool = true, keepdim: Bool = false) -> (std: Tensor, mean: Tensor) {
        (std(dims: dims, unbiased: unbiased, keepdim: keepdim), mean(dims: dims, keepdim: keepdim))
    }

    /// The number of nonzero entries over `dims` (all when empty), as int64, like `torch.count_nonzero`.
    public func countNonzero(dims: [Int] = []) -> Tensor {
        noGrad {
            let nonzero = ne(0)
            return (dims.isEmpty ? nonzero.sum() : nonzero.sum(dims: dims)).long()
        }
    }

    /// The covariance matrix of the variables in the rows (observations in the columns), like
    /// `torch.cov`: Σ (x − x̄)(y − ȳ) / (N − correction). One variable (a 1-D tensor) gives a scalar.
    public func cov(correction: Int = 1) -> Tensor {
        guard rank <= 2 else { shapeFailure(ShapeError("cov: expects a tensor with at most 2 dims, got shape \(shape)")) }
        let variables = rank == 2 ? self : reshape([1, count])
        let centered = variables - variables.mean(dim: 1, keepdim: true)
        let products = centered.matmul(centered.t()) / Float(Swift.max(variables.shape[1] - correction, 0))
        return variables.shape[0] == 1 ? products.reshape([]) : products   // one variable: a scalar, as PyTorch's
    }

    /// The Pearson correlation matrix of the variables in the rows, like `torch.corrcoef`: the
    /// covariance over the product of deviations, clipped to [−1, 1].
    public func corrcoef() -> Tensor {
        let c = cov()
        guard c.rank == 2 else { return c / c }
        let deviations = c.diagonal().sqrt()
        return (c / deviations.unsqueeze(1) / deviations.unsqueeze(0)).clamp(min: -1, max: 1)
    }
}
