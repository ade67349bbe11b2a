/// Sums, means, extrema, variance: over all elements or chosen dims, with `keepdim` like PyTorch.
extension Tensor {
    /// [outer, size, inner] around dim d of a contiguous tensor.
    func splitAround(_ d: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<d].reduce(1, *), shape[d], shape[(d + 1)...].reduce(1, *))
    }

    /// No dims means all dims, as in `torch.sum(x, dim=[])`.
    private func normalizedDims(_ dims: [Int], _ op: String) -> [Int] {
        if dims.isEmpty { return Array(0..<rank) }
        let out = dims.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: op) } }
        guard Set(out).count == out.count else {
            shapeFailure(ShapeError("\(op): dim \(dims) appears more than once"))
        }
        return out.sorted()
    }

    /// Raw reduction of one dim (keepdim shape), without graph recording.
    private func reduceDim(_ op: ReduceOp, _ d: Int) -> Tensor {
        let source = isContiguous ? self : noGrad { contiguous() }
        let (outer, size, inner) = source.splitAround(d)
        var outShape = shape
        outShape[d] = 1
        return Tensor.result(backend.reduce(op, source.view, outer: outer, size: size, inner: inner), shape: outShape)
    }

    /// Sum of all elements (a scalar).
    public func sum() -> Tensor {
        if dtype == .int64 { return reshape([-1]).int64Sum(dim: 0).reshape([]) }
        let source = isContiguous ? self : noGrad { contiguous() }
        let out = Tensor.result(backend.reduce(.sum, source.view, outer: 1, size: count, inner: 1), shape: [])
        let inputShape = shape
        return out.recording("sum", inputs: [self]) { g in [g.expand(inputShape)] }
    }

    /// Sum over `dims`.
    public func sum(dims: [Int], keepdim: Bool = false) -> Tensor {
        let dims = normalizedDims(dims, "sum")
        if dtype == .int64 {
            var out = self
            for d in dims { out = out.int64Sum(dim: d) }
            return keepdim ? out : out.squeezing(dims)
        }
        var out = self.detach()   // a tensor of its own even when no dim is reduced (a scalar): the node goes on it
        noGrad { for d in dims { out = out.reduceDim(.sum, d) } }
        let kept = out.shape
        if !keepdim { out = out.detach().squeezing(dims) }
        let inputShape = shape
        return out.recording("sum", inputs: [self]) { g in [g.reshape(kept).expand(inputShape)] }
    }

    public func sum(dim: Int, keepdim: Bool = false) -> Tensor { sum(dims: [dim], keepdim: keepdim) }

    /// An int64 sum along `d` (kept as size 1), exact: the backends' reduction kernels read float32,
    /// which holds integers exactly only up to 2^24, so int64 adds pairwise in its own dtype instead.
    private func int64Sum(dim d: Int) -> Tensor {
        guard shape[d] > 0 else {
            var zeroShape = shape
            zeroShape[d] = 1
            return Tensor.zeros(zeroShape, dtype: .int64, device: device)
        }
        return pairwiseFold(dim: d, +)
    }

    /// Mean of all elements.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    public func mean(dims: [Int], keepdim: Bool = false) -> Tensor {
        let n = normalizedDims(dims, "mean").reduce(1) { $0 * shape[$1] }
        return sum(dims: dims, keepdim: keepdim) * (1 / Float(Swift.max(n, 1)))
    }

    public func mean(dim: Int, keepdim: Bool = false) -> Tensor { mean(dims: [dim], keepdim: keepdim) }

    /// Variance over `dims` (unbiased by default, like `torch.var`).
    public func variance(dims: [Int], unbiased: Bool = true, keepdim: Bool = false) -> Tensor {
        let n = normalizedDims(dims, "var").reduce(1) { $0 * shape[$1] }
        let centered = self - mean(dims: dims, keepdim: true)
        let denominator = Float(Swift.max(unbiased ? n - 1 : n, 0))
        return (centered * centered).sum(dims: dims, keepdim: keepdim) / denominator
    }

    public func variance(dim: Int, unbiased: Bool = true, keepdim: Bool = false) -> Tensor {
        variance(dims: [dim], unbiased: unbiased, keepdim: keepdim)
    }

    /// Variance of all elements.
    public func variance(unbiased: Bool = true) -> Tensor {
        reshape([-1]).variance(dims: [0], unbiased: unbiased)
    }

    public func std(dims: [Int], unbiased: Bool = true, keepdim: Bool = false) -> Tensor {
        variance(dims: dims, unbiased: unbiased, keepdim: keepdim).sqrt()
    }

    public func std(dim: Int, unbiased: Bool = true, keepdim: Bool = false) -> Tensor {
        std(dims: [dim], unbiased: unbiased, keepdim: keepdim)
    }

    public func std(unbiased: Bool = true) -> Tensor { variance(unbiased: unbiased).sqrt() }

    /// Largest element; the gradient goes to the (first) maximal element.
    public func max() -> Tensor { reshape([-1]).max(dim: 0).values }
    /// Smallest element.
    public func min() -> Tensor { reshape([-1]).min(dim: 0).values }

    /// Largest values along `dim` and their int64 indices, like `torch.max(x, dim)`.
    public func max(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(.max, dim: dim, keepdim: keepdim)
    }

    /// Smallest values along `dim` and their int64 indices.
    public func min(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        extremum(.min, dim: dim, keepdim: keepdim)
    }

    /// Index of the largest value along `dim` (int64), or of all elements when `dim` is nil.
    public func argmax(dim: Int? = nil, keepdim: Bool = false) -> Tensor {
        noGrad { dim == nil ? reshape([-1]).max(dim: 0).indices : max(dim: dim!, keepdim: keepdim).indices }
    }

    public func argmin(dim: Int? = nil, keepdim: Bool = false) -> Tensor {
        noGrad { dim == nil ? reshape([-1]).min(dim: 0).indices : min(dim: dim!, keepdim: keepdim).indices }
    }

    private func extremum(_ op: ReduceOp, dim: Int, keepdim: Bool) -> (values: Tensor, indices: Tensor) {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: op == .max ? "max" : "min") }
        if rank == 0 { return (self, Tensor.zeros([], dtype: .int64, device: device)) }
        guard shape[d] > 0 else {
            shapeFailure(ShapeError("\(op): cannot reduce dim \(d) of size 0 (shape \(shape))"))
        }
        if dtype == .int64 {
            // Exact in int64 (the kernels read float32): the extreme by pairwise maximum or minimum, and
            // its first position as the first 1 of the float32 mask of entries equal to it.
            let kept = pairwiseFold(dim: d, op == .max ? { $0.maximum($1) } : { $0.minimum($1) })
            let indices = eq(kept).argmax(dim: d, keepdim: keepdim)
            return (keepdim ? kept : kept.squeeze(d), indices)
        }
        let source = isContiguous ? self : noGrad { contiguous() }
        let (outer, size, inner) = source.splitAround(d)
        let (v, i) = backend.reduceWithIndices(op, source.view, outer: outer, size: size, inner: inner)
        var keptShape = shape
        keptShape[d] = 1
        let outShape = keepdim ? keptShape : shape.enumerated().filter { $0.offset != d }.map(\.element)
        let values = Tensor.result(v, shape: outShape)
        let indices = Tensor.result(i, shape: outShape, dtype: .int64)
        let inputShape = shape
        values.recording(op == .max ? "max" : "min", inputs: [self]) { g in
            [g.reshape(keptShape).scatterAdd(dim: d, indices: indices.reshape(keptShape), size: inputShape[d])]
        }
        return (values, indices)
    }

    /// The largest entry over `dims` (all of them when empty), like `torch.amax`; tied maxima share
    /// the gradient equally, as in PyTorch.
    public func amax(dims: [Int] = [], keepdim: Bool = false) -> Tensor { extremum(dims, keepdim, largest: true) }

    /// The smallest entry over `dims` (all of them when empty), like `torch.amin`.
    public func amin(dims: [Int] = [], keepdim: Bool = false) -> Tensor { extremum(dims, keepdim, largest: false) }

    /// 1 where every entry over `dims` (all when empty) is nonzero, else 0, like `torch.all` (as float32:
    /// Ember's masks are 0/1 tensors).
    public func all(dims: [Int] = [], keepdim: Bool = false) -> Tensor {
        noGrad { ne(0).amin(dims: dims, keepdim: keepdim) }
    }

    /// 1 where any entry over `dims` (all when empty) is nonzero, else 0, like `torch.any`.
    public func any(dims: [Int] = [], keepdim: Bool = false) -> Tensor {
        noGrad { ne(0).amax(dims: dims, keepdim: keepdim) }
    }

    private func extremum(_ dims: [Int], _ keepdim: Bool, largest: Bool) -> Tensor {
        let op = largest ? "amax" : "amin"
        let reduced = dims.isEmpty ? Array(0..<rank)
            : dims.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: op) } }
        guard Set(reduced).count == reduced.count else {
            shapeFailure(ShapeError("\(op): dims \(dims) name a dim more than once (shape \(shape))"))
        }
        if rank == 0 { return clone() }
        // The reduced dims moved last and merged into one, then one max/min over it.
        let kept = (0..<rank).filter { !reduced.contains($0) }
        var keptShape = shape
        for d in reduced { keptShape[d] = 1 }
        let values = noGrad {
            let flat = permute(kept + reduced).reshape(kept.map { shape[$0] } + [-1])
            let v = largest ? flat.max(dim: -1).values : flat.min(dim: -1).values
            return v.reshape(keptShape)
        }
        let out = keepdim ? values : values.reshape(kept.map { shape[$0] })
        let source = self
        return out.recording(op, inputs: [self], saving: [self]) { g in
            // The gradient goes to the entries equal to the extremum, split among ties.
            let winners = source.eq(values)
            let share = winners / winners.sum(dims: reduced, keepdim: true)
            return [share * g.reshape(keptShape)]
        }
    }

    /// Removes the given (size-1) dims.
    fileprivate func squeezing(_ dims: [Int]) -> Tensor {
        let keep = (0..<rank).filter { !dims.contains($0) }
        return makeView(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }
}

extension Tensor {
    /// log(Σ exp(x)) along `dim`, computed stably (the row's maximum taken out first), like
    /// `torch.logsumexp`. Rows of −∞ give −∞; the gradient is the softmax.
    public func logsumexp(dim: Int, keepdim: Bool = false) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "logsumexp") }
        if rank == 0 { return clone() }
        if shape[d] == 0 {   // an empty sum: log 0
            var reduced = shape
            if keepdim { reduced[d] = 1 } else { reduced.remove(at: d) }
            return Tensor.full(reduced, -.infinity, device: device)
        }
        // The shift is a constant for the gradient; clamped so that infinite rows do not give ∞ − ∞.
        let shift = noGrad { max(dim: d, keepdim: true).values.clamp(min: -.greatestFiniteMagnitude, max: .greatestFiniteMagnitude) }
        let out = (self - shift).exp().sum(dim: d, keepdim: true).log() + shift
        return keepdim ? out : out.squeeze(d)
    }

    /// The p-norm of all elements (`dim` nil) or along `dim`, like `torch.linalg.vector_norm`:
    /// (Σ|x|ᵖ)^(1/p), with p = .infinity the largest |x|. Where the 2-norm is 0 its gradient is 0,
    /// as in PyTorch.
    public func norm(p: Float = 2, dim: Int? = nil, keepdim: Bool = false) -> Tensor {
        guard p > 0 else { shapeFailure(ShapeError("norm: p must be positive, got \(p)")) }
        let normalized = dim.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: "norm") } }
        let dim = rank == 0 ? nil : normalized   // a scalar's norm along its one "dim" is its magnitude
        let magnitude = abs()
        func reduceSum(_ t: Tensor) -> Tensor { dim.map { t.sum(dim: $0, keepdim: keepdim) } ?? t.sum() }
        switch p {
        case .infinity:
            // Tied largest magnitudes share the gradient, as in PyTorch.
            return dim.map { magnitude.amax(dims: [$0], keepdim: keepdim) } ?? magnitude.amax()
        case 1:
            return reduceSum(magnitude)
        default:
            let norm = noGrad { p == 2 ? reduceSum(square()).sqrt() : reduceSum(magnitude.pow(p)).pow(1 / p) }
            func alongDim(_ t: Tensor) -> Tensor { dim == nil || keepdim ? t : t.unsqueeze(dim!) }
            // d‖x‖/dx = sign(x)·(|x|/‖x‖)^(p−1) (x/‖x‖ for p = 2), taken as 0 where x is 0 (or the whole
            // norm is). Under createGraph the norm is recomputed from x, as 1 where it is 0, so that no
            // 0/0 enters the recorded graph.
            return norm.recording("norm", inputs: [self], saving: [self]) { g in
                let denominator = Tensor.isRecordingBackward
                    ? `where`(noGrad { norm.eq(0) }, Tensor.ones([], device: g.device),
                              p == 2 ? reduceSum(self.square()) : reduceSum(self.abs().pow(p))).pow(1 / p)
                    : noGrad { norm.clamp(min: .leastNormalMagnitude) }
                if p == 2 { return [self * alongDim(g / denominator)] }
                let direction = (self.abs() / alongDim(denominator)).pow(p - 1) * self.sign()
                return [(direction * alongDim(g)).maskedFill(self.eq(0), 0)]
            }
        }
    }
}
