/// Index-select, gather and one-hot (indices are int64 tensors).
extension Tensor {
    /// Entries of dim `dim` at `indices` (1-D int64), like `torch.index_select`.
    public func indexSelect(dim: Int, indices: Tensor) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "indexSelect") }
        guard indices.rank <= 1 else {
            shapeFailure(ShapeError("indexSelect: indices must be 0-D or 1-D, got shape \(indices.shape)"))
        }
        checkSameDevice("indexSelect", indices)
        let source = isContiguous ? self : noGrad { contiguous() }
        let (outer, size, inner) = source.splitAround(d)
        var outShape = shape
        outShape[d] = indices.count
        let out = Tensor.result(backend.indexSelect(source.view, indices: indices.view, outer: outer, size: size, inner: inner),
                                shape: outShape, dtype: dtype)
        return out.recording("indexSelect", inputs: [self]) { g in
            let gc = g.contiguous()
            let added = Tensor.result(g.backend.indexAdd(gc.view, indices: indices.view, outer: outer, size: size, inner: inner),
                                      shape: source.shape)
            return [added.recording("indexAdd", inputs: [gc]) { gg in [gg.indexSelect(dim: d, indices: indices)] }]
        }
    }

    /// The entries at `indices` of the tensor read as flat (negative ones from the end), in the
    /// indices' shape, like `torch.take`.
    public func take(_ indices: Tensor) -> Tensor {
        guard indices.dtype == .int64 else { shapeFailure(ShapeError("take: expects int64 indices, got \(indices.dtype)")) }
        let n = count
        let positions = indices.toIntArray().map { i -> Int in
            guard i >= -n && i < n else {
                shapeFailure(ShapeError("take: index \(i) is out of range for a tensor of \(n) entries (shape \(shape))"))
            }
            return i < 0 ? i + n : i
        }
        return reshape([-1]).indexSelect(dim: 0, indices: Tensor(positions, shape: [positions.count], device: device))
            .reshape(indices.shape)
    }

    /// `out[i][j] = self[i][indices[i][j]]` along `dim`, like `torch.gather`.
    public func gather(dim: Int, indices: Tensor) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "gather") }
        guard indices.rank == rank,
              (0..<rank).allSatisfy({ $0 == d || indices.shape[$0] == shape[$0] }) else {
            shapeFailure(ShapeError("gather: indices of shape \(indices.shape) do not match the input's shape \(shape) "
                + "outside dim \(d)"))
        }
        checkSameDevice("gather", indices)
        let source = isContiguous ? self : noGrad { contiguous() }
        let idx = indices.contiguous()
        let (outer, size, inner) = source.splitAround(d)
        let picks = indices.shape[d]
        // The kernels gather floats; int64 values (sort orders, labels) are picked exactly on the host.
        if dtype == .int64 {
            let values = source.toIntArray(), positions = idx.toIntArray()
            let picked = positions.indices.map { p in
                let (outerAndPick, i) = p.quotientAndRemainder(dividingBy: Swift.max(inner, 1))
                let position = positions[p]
                guard position >= 0 && position < size else {
                    fatalError("Ember: gather: index \(position) is out of bounds for a dimension of size \(size)")
                }
                return values[(outerAndPick / picks * size + position) * inner + i]
            }
            return Tensor(picked, shape: indices.shape, device: device)
        }
        let out = Tensor.result(backend.gather(source.view, indices: idx.view, outer: outer, size: size, inner: inner, picks: picks),
                                shape: indices.shape)
        return out.recording("gather", inputs: [self]) { g in
            [g.scatterAdd(dim: d, indices: idx, size: size)]
        }
    }

    /// Zeros of this shape with dim `dim` resized to `size`, plus self added at `indices` (the
    /// adjoint of gather; used by max/min and gather backward).
    func scatterAdd(dim d: Int, indices: Tensor, size: Int) -> Tensor {
        let gc = contiguous(), idx = indices.contiguous()
        let outer = shape[..<d].reduce(1, *), inner = shape[(d + 1)...].reduce(1, *), picks = shape[d]
        var outShape = shape
        outShape[d] = size
        let out = Tensor.result(backend.scatterAdd(gc.view, indices: idx.view, outer: outer, size: size, inner: inner, picks: picks),
                                shape: outShape)
        return out.recording("scatterAdd", inputs: [self]) { g in
            [g.gather(dim: d, indices: idx)]
        }
    }

    /// This tensor with `source`'s slices along `dim` added at `index` (out of place), like
    /// `torch.index_add`: slice i of `source` goes to slice index[i], repeats accumulating. Message
    /// passing in a graph network is `nodes.indexAdd(dim: 0, index: targets, source: messages)`.
    public func indexAdd(dim: Int, index: Tensor, source: Tensor, alpha: Float = 1) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "indexAdd") }
        guard index.rank == 1, index.dtype == .int64, source.rank == rank, source.shape[d] == index.count,
              (0..<rank).allSatisfy({ $0 == d || source.shape[$0] == shape[$0] }) else {
            shapeFailure(ShapeError("indexAdd: source of shape \(source.shape) and int64 index of shape \(index.shape) "
                + "do not fit the tensor's shape \(shape) along dim \(d) (expected the source's dim \(d) to have one "
                + "slice per index and its other dims to match)"))
        }
        checkSameDevice("indexAdd", index, source)
        let src = source.contiguous(), idx = index.contiguous()
        let (outer, _, inner) = src.splitAround(d)
        let added = Tensor.result(backend.indexAdd(src.view, indices: idx.view, outer: outer, size: shape[d], inner: inner),
                                  shape: shape)
            .recording("indexAdd", inputs: [src]) { g in [g.indexSelect(dim: d, indices: idx)] }
        return self + (alpha == 1 ? added : added * alpha)
    }

    /// This tensor with `src`'s entries added where `index` points along `dim` (out of place), like
    /// `torch.scatter_add`: for dim 1, out[i][index[i][j]] += src[i][j]. `index` and `src` have one
    /// shape, equal to this tensor's outside `dim`.
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "scatterAdd") }
        guard index.dtype == .int64, index.shape == src.shape, src.rank == rank,
              (0..<rank).allSatisfy({ $0 == d || src.shape[$0] == shape[$0] }) else {
            shapeFailure(ShapeError("scatterAdd: src of shape \(src.shape) and int64 index of shape \(index.shape) must "
                + "have one shape, equal to the tensor's \(shape) outside dim \(d)"))
        }
        checkSameDevice("scatterAdd", index, src)
        return self + src.scatterAdd(dim: d, indices: index, size: shape[d])
    }

    /// This tensor with `src`'s entries written where `index` points along `dim` (out of place), like
    /// `torch.scatter`: for dim 1, out[i][index[i][j]] = src[i][j]. `index` and `src` have one shape,
    /// equal to this tensor's outside `dim`. Of repeated indices one write wins, as in PyTorch, which
    /// leaves the choice unspecified; the gradient reaches every `src` entry through its index.
    public func scatter(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "scatter") }
        guard index.dtype == .int64, dtype == .float32, src.dtype == .float32, index.shape == src.shape, src.rank == rank,
              (0..<rank).allSatisfy({ $0 == d || src.shape[$0] == shape[$0] }) else {
            shapeFailure(ShapeError("scatter: expects a float32 tensor, float32 src and an int64 index, src and index of one "
                + "shape equal to the tensor's outside dim \(d); got tensor \(dtype) \(shape), src \(src.dtype) \(src.shape), "
                + "index \(index.dtype) \(index.shape)"))
        }
        checkSameDevice("scatter", index, src)
        let base = contiguous(), source = src.contiguous(), idx = index.contiguous()
        let (outer, picks, inner) = source.splitAround(d)
        let out = Tensor.result(backend.scatter(base.view, source.view, indices: idx.view, outer: outer, size: shape[d],
                                                inner: inner, picks: picks), shape: shape)
        return out.recording("scatter", inputs: [base, source]) { g in
            [g.scatter(dim: d, index: idx, value: 0), g.gather(dim: d, indices: idx)]
        }
    }

    /// This tensor with `value` written where `index` points along `dim` (out of place), like
    /// `torch.scatter(dim, index, value)`; the written entries get no gradient.
    public func scatter(dim: Int, index: Tensor, value: Float) -> Tensor {
        scatter(dim: dim, index: index, src: Tensor.full(index.shape, value, device: device))
    }

    /// One-hot float32 encoding of int64 class indices, with a new last dim of `classes`.
    public func oneHot(classes: Int) -> Tensor {
        guard dtype == .int64 else {
            shapeFailure(ShapeError("oneHot: expects int64 class indices, got \(dtype)"))
        }
        let flat = reshape([-1, 1])
        let ones = Tensor.ones([flat.shape[0], 1], device: device)
        return ones.scatterAdd(dim: 1, indices: flat, size: classes).reshape(shape + [classes])
    }
}
