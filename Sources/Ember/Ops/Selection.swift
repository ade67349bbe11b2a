/// Ops whose output size depends on the values: `nonzero`, `maskedSelect`, `unique`, `bincount`, and
/// `median`, like PyTorch's. As in `sort`, positions are found on the host (the values are read once);
/// values are then gathered through them on the tensor's device, so gradients flow where PyTorch's do.
extension Tensor {
    /// The int64 positions [count, rank] of the non-zero elements, in row-major order, like
    /// `torch.nonzero`: `mask.nonzero()` lists the coordinates where a mask holds.
    public func nonzero() -> Tensor {
        let flags = nonzeroFlags()
        let strides = Shape.contiguousStrides(shape)
        var positions: [Int] = [], found = 0
        for (flat, set) in flags.enumerated() where set {
            found += 1
            for i in 0..<rank { positions.append(flat / strides[i] % shape[i]) }
        }
        return Tensor(positions, shape: [found, rank], device: device)
    }

    /// The elements where `mask` is non-zero, the two broadcast to one shape, as a 1-D tensor in
    /// row-major order, like `torch.masked_select`. Differentiable: the gradient goes back to the
    /// picked places.
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        guard let common = try? Shape.broadcast(mask.shape, shape, op: "maskedSelect") else {
            shapeFailure(ShapeError("maskedSelect: mask of shape \(mask.shape) does not broadcast with the tensor's shape \(shape)"))
        }
        checkSameDevice("maskedSelect", mask)
        let flags = mask.expand(common).nonzeroFlags()
        let picked = flags.indices.filter { flags[$0] }
        return expand(common).reshape([-1]).indexSelect(dim: 0, indices: Tensor(picked, device: device))
    }

    /// The distinct values of all elements in ascending order; for each element the position of its
    /// value among them (`inverse`, this tensor's shape); and how often each value occurs (`counts`),
    /// like `torch.unique(sorted=True, return_inverse=True, return_counts=True)`. NaNs are each
    /// distinct and come last, as in PyTorch. Not differentiable.
    public func unique() -> (values: Tensor, inverse: Tensor, counts: Tensor) {
        func distinct<Value: Comparable>(_ values: [Value]) -> (firsts: [Int], inverse: [Int], counts: [Int]) {
            // Positions in sorted order (stable, NaNs last): equal values are neighbours; a NaN equals nothing.
            var firsts: [Int] = [], inverse = [Int](repeating: 0, count: values.count), counts: [Int] = []
            for i in sortedRows(values, length: values.count, descending: false) {
                if let last = firsts.last, values[last] == values[i] {
                    counts[counts.count - 1] += 1
                } else {
                    firsts.append(i)
                    counts.append(1)
                }
                inverse[i] = firsts.count - 1
            }
            return (firsts, inverse, counts)
        }
        let (firsts, inverse, counts) = dtype == .float32 ? distinct(noGrad { toArray() }) : distinct(toIntArray())
        let values = noGrad { detach().reshape([-1]).indexSelect(dim: 0, indices: Tensor(firsts, device: device)) }
        return (values, Tensor(inverse, shape: shape, device: device), Tensor(counts, device: device))
    }

    /// How often each value 0, 1, ... occurs in this 1-D int64 tensor of non-negative values (at least
    /// `minlength` bins), like `torch.bincount`; with `weights` (float32, same length) the sum of the
    /// weights of each value instead, as float32.
    public func bincount(weights: Tensor? = nil, minlength: Int = 0) -> Tensor {
        guard rank == 1, dtype == .int64 else {
            shapeFailure(ShapeError("bincount: expected a 1-D int64 tensor of non-negative values, got \(dtype) of shape \(shape)"))
        }
        guard minlength >= 0 else { shapeFailure(ShapeError("bincount: minlength must be non-negative, got \(minlength)")) }
        let values = toIntArray()
        if let bad = values.first(where: { $0 < 0 }) {
            shapeFailure(ShapeError("bincount: values must be non-negative, got \(bad)"))
        }
        let bins = Swift.max(minlength, (values.max() ?? -1) + 1)
        guard let weights else {
            var counts = [Int](repeating: 0, count: bins)
            for v in values { counts[v] += 1 }
            return Tensor(counts, device: device)
        }
        guard weights.shape == shape else {
            shapeFailure(ShapeError("bincount: weights of shape \(weights.shape) must match the input's shape \(shape)"))
        }
        return Tensor.zeros([bins], device: device).indexAdd(dim: 0, index: self, source: weights.float())
    }

    /// The lower median of all elements (of two middle values, the smaller), like `torch.median()`;
    /// NaN when any element is NaN, or when there are none.
    public func median() -> Tensor {
        count == 0 ? Tensor.full([], .nan, device: device) : reshape([-1]).median(dim: 0).values
    }

    /// The lower median along `dim` and its int64 position, like `torch.median(dim)`: of an even
    /// count, the smaller middle value. A row holding a NaN gives NaN (its first NaN's position).
    /// Differentiable: the gradient goes to the median's position.
    public func median(dim: Int, keepdim: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "median") }
        guard rank == 0 || shape[d] > 0 else {
            shapeFailure(ShapeError("median: dim \(d) of shape \(shape) is empty; a median needs at least one value"))
        }
        if rank == 0 { return (self, Tensor.zeros([], dtype: .int64, device: device)) }
        // Rows along the last dim (d moved there), each sorted ascending with NaNs last: the middle
        // of its numbers, or its first NaN when it has one.
        let last = rank - 1, size = shape[d]
        let moved = d == last ? self : transpose(d, last)
        var picked = [Int](repeating: 0, count: count / size)
        if dtype == .float32 {
            let values = noGrad { moved.toArray() }
            let order = sortedRows(values, length: size, descending: false)
            for row in picked.indices {
                let nans = values[row * size..<(row + 1) * size].reduce(0) { $1.isNaN ? $0 + 1 : $0 }
                picked[row] = order[row * size + (nans > 0 ? size - nans : (size - 1) / 2)]
            }
        } else {
            let order = sortedRows(moved.toIntArray(), length: size, descending: false)
            for row in picked.indices { picked[row] = order[row * size + (size - 1) / 2] }
        }
        var pickShape = shape
        pickShape.swapAt(d, last)
        pickShape[last] = 1
        let picks = Tensor(picked, shape: pickShape, device: device)
        let indices = (d == last ? picks : picks.transpose(d, last)).contiguous()
        let values = gather(dim: d, indices: indices)
        return keepdim ? (values, indices) : (values.squeeze(d), indices.squeeze(d))
    }

    /// For each element in row-major order, whether it is non-zero (read on the host).
    private func nonzeroFlags() -> [Bool] {
        dtype == .float32 ? noGrad { toArray() }.map { $0 != 0 } : toIntArray().map { $0 != 0 }
    }
}
