/// Ops that return views into the same storage: no data is copied. Each records a backward that
/// routes the gradient back to the input's shape.
extension Tensor {
    private func dim(_ d: Int, _ op: String) -> Int {
        checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: op) }
    }

    /// Same elements with a new shape (one entry may be -1). A view when the layout allows it,
    /// otherwise a contiguous copy, like `torch.reshape`.
    public func reshape(_ newShape: [Int]) -> Tensor {
        let target = checkShape { () throws(ShapeError) in try Shape.infer(newShape, count: count, from: shape) }
        if target == shape { return self }
        let source = isContiguous ? self : contiguous()
        let out = source.makeView(shape: target, strides: Shape.contiguousStrides(target), offset: source.offset)
        let inputShape = source.shape
        return out.recording("reshape", inputs: [source]) { g in [g.reshape(inputShape)] }
    }

    public func reshape(_ newShape: Int...) -> Tensor { reshape(newShape) }

    /// This per-channel vector [C] viewed as [1, C, 1, ...] of `rank` dims, so it broadcasts along
    /// dim 1 of an [N, C, ...] tensor (normalization weights, running statistics, PReLU slopes).
    func alongChannels(ofRank rank: Int) -> Tensor {
        var shape = [Int](repeating: 1, count: rank)
        shape[1] = count
        return reshape(shape)
    }

    /// A view with a new shape; the tensor must be contiguous, like `torch.Tensor.view`.
    public func view(_ newShape: [Int]) -> Tensor {
        guard isContiguous else {
            shapeFailure(ShapeError("view: the tensor of shape \(shape) with strides \(strides) is not contiguous; "
                + "use reshape(_:) or call contiguous() first"))
        }
        return reshape(newShape)
    }

    public func view(_ newShape: Int...) -> Tensor { view(newShape) }

    /// Merges dims startDim...endDim into one.
    public func flatten(startDim: Int = 0, endDim: Int = -1) -> Tensor {
        if rank == 0 { return reshape([1]) }
        let s = dim(startDim, "flatten"), e = dim(endDim, "flatten")
        if s >= e { return self }
        let merged = shape[s...e].reduce(1, *)
        return reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Splits dim `d` into `sizes` (one may be −1, inferred), like `torch.unflatten`: [N, 784] with
    /// `unflatten(dim: 1, sizes: [28, 28])` is [N, 28, 28]. A view where `reshape` is one.
    public func unflatten(dim d: Int, sizes: [Int]) -> Tensor {
        guard rank > 0, !sizes.isEmpty else {
            shapeFailure(ShapeError("unflatten: needs a tensor with at least one dim and at least one size, got shape \(shape) and sizes \(sizes)"))
        }
        let at = dim(d, "unflatten")
        let known = sizes.filter { $0 != -1 }.reduce(1, *), inferred = sizes.filter { $0 == -1 }.count
        let fits = inferred == 0 ? known == shape[at] : inferred == 1 && known > 0 && shape[at] % known == 0
        guard fits, sizes.allSatisfy({ $0 >= -1 }) else {
            shapeFailure(ShapeError("unflatten: sizes \(sizes) do not multiply to dim \(d) of shape \(shape) (size \(shape[at])); "
                + "give sizes whose product is \(shape[at]), with at most one -1"))
        }
        let full = sizes.map { $0 == -1 ? shape[at] / known : $0 }
        return reshape(Array(shape[..<at]) + full + Array(shape[(at + 1)...]))
    }

    /// Reorders dims; `permute(1, 0)` transposes a matrix.
    public func permute(_ order: [Int]) -> Tensor {
        let order = order.map { dim($0, "permute") }
        guard order.count == rank, Set(order).count == rank else {
            shapeFailure(ShapeError("permute: \(order) is not a permutation of the \(rank) dims of shape \(shape)"))
        }
        let out = makeView(shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, d) in order.enumerated() { inverse[d] = i }
        return out.recording("permute", inputs: [self]) { g in [g.permute(inverse)] }
    }

    public func permute(_ order: Int...) -> Tensor { permute(order) }

    /// The tensor with dim `source` moved to position `destination`, the others keeping their order,
    /// like `torch.movedim` (a view).
    public func movedim(_ source: Int, _ destination: Int) -> Tensor { movedim([source], [destination]) }

    /// Several dims moved at once: `source[i]` goes to `destination[i]`, like `torch.movedim`.
    public func movedim(_ source: [Int], _ destination: [Int]) -> Tensor {
        let rank = self.rank
        let normalize = { (dims: [Int]) in
            dims.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: "movedim") } }
        }
        let from = normalize(source), to = normalize(destination)
        guard from.count == to.count, Set(from).count == from.count, Set(to).count == to.count else {
            shapeFailure(ShapeError("movedim: needs as many distinct source dims as distinct destinations, got \(source) "
                + "and \(destination) (tensor of rank \(rank))"))
        }
        if rank == 0 { return self }   // a scalar's only "dim" is itself
        var order = [Int](repeating: -1, count: rank)
        for (f, t) in zip(from, to) { order[t] = f }
        var rest = (0..<rank).filter { !from.contains($0) }.makeIterator()
        for i in order.indices where order[i] < 0 { order[i] = rest.next()! }
        return permute(order)
    }

    /// Swaps two dims (a view).
    public func transpose(_ d0: Int, _ d1: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(dim(d0, "transpose"), dim(d1, "transpose"))
        return permute(order)
    }

    /// Transpose of a matrix (a view); vectors are returned unchanged.
    public func t() -> Tensor {
        guard rank <= 2 else {
            shapeFailure(ShapeError("t: expects a tensor with at most 2 dims, got shape \(shape); use transpose(_:_:)"))
        }
        return rank < 2 ? self : transpose(0, 1)
    }

    /// Transpose of a matrix, `x.T`.
    public var T: Tensor { t() }

    /// Inserts a dim of size 1 at `d`.
    public func unsqueeze(_ d: Int) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank + 1, op: "unsqueeze") }
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: d)
        newStrides.insert(d < rank ? strides[d] * shape[d] : 1, at: d)
        let out = makeView(shape: newShape, strides: newStrides, offset: offset)
        return out.recording("unsqueeze", inputs: [self]) { g in [g.squeeze(d)] }
    }

    /// Removes dim `d` if its size is 1, or every size-1 dim when `d` is nil.
    public func squeeze(_ d: Int? = nil) -> Tensor {
        let keep: [Int]
        if let d {
            let d = dim(d, "squeeze")
            keep = (0..<rank).filter { $0 != d || shape[$0] != 1 }
        } else {
            keep = (0..<rank).filter { shape[$0] != 1 }
        }
        if keep.count == rank { return self }
        let out = makeView(shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
        let inputShape = shape
        return out.recording("squeeze", inputs: [self]) { g in [g.reshape(inputShape)] }
    }

    /// Repeats size-1 dims to `newShape` without copying (stride 0); -1 keeps a size.
    public func expand(_ newShape: [Int]) -> Tensor {
        guard newShape.count >= rank else {
            shapeFailure(ShapeError("expand: the target shape \(newShape) has fewer dims than the tensor's shape \(shape)"))
        }
        let lead = newShape.count - rank
        var outShape = newShape, outStrides = [Int](repeating: 0, count: newShape.count)
        for i in 0..<newShape.count {
            if i < lead {
                guard newShape[i] >= 0 else {
                    shapeFailure(ShapeError("expand: -1 is not allowed for the new leading dim \(i) of \(newShape)"))
                }
                continue
            }
            let size = shape[i - lead]
            if newShape[i] == -1 || newShape[i] == size {
                outShape[i] = size
                outStrides[i] = strides[i - lead]
            } else if size == 1 {
                outStrides[i] = 0
            } else {
                shapeFailure(ShapeError("expand: the size of dim \(i - lead) (\(size)) must match the target size "
                    + "\(newShape[i]) or be 1 (shape \(shape) to \(newShape))"))
            }
        }
        let out = makeView(shape: outShape, strides: outStrides, offset: offset)
        let inputShape = shape
        return out.recording("expand", inputs: [self]) { g in [g.sumToShape(inputShape)] }
    }

    public func expand(_ newShape: Int...) -> Tensor { expand(newShape) }

    /// `length` elements of dim `d` starting at `start` (a view), like `torch.narrow`.
    public func narrow(_ d: Int, start: Int, length: Int) -> Tensor {
        let d = dim(d, "narrow")
        let start = start < 0 ? start + shape[d] : start
        guard start >= 0, length >= 0, start + length <= shape[d] else {
            shapeFailure(ShapeError("narrow: start \(start) + length \(length) exceeds dim \(d) of size \(shape[d]) (shape \(shape))"))
        }
        return slice(d, start: start, end: start + length, step: 1)
    }

    /// Elements start..<end with a step along dim `d` (a view), like `x[:, start:end:step]`.
    public func slice(_ d: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        let d = dim(d, "slice")
        guard step > 0 else { shapeFailure(ShapeError("slice: step must be positive, got \(step)")) }
        let size = shape[d]
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + size : i, 0), size) }
        let lo = clampIndex(start), hi = Swift.max(lo, clampIndex(end ?? size))
        var newShape = shape, newStrides = strides
        newShape[d] = (hi - lo + step - 1) / step
        newStrides[d] = strides[d] * step
        let out = makeView(shape: newShape, strides: newStrides, offset: offset + lo * strides[d])
        let inputShape = shape
        let addIntoInputGrad = { (inputGrad: Tensor, g: Tensor) -> Void in inputGrad.slice(d, start: lo, end: hi, step: step).add_(g) }
        return out.recording("slice", inputs: [self], addIntoInputGrad: addIntoInputGrad) { g in
            let full = Tensor.zeros(inputShape, device: g.device)
            addIntoInputGrad(full, g)
            return [full.recording("sliceBackward", inputs: [g]) { gg in [gg.slice(d, start: lo, end: hi, step: step)] }]
        }
    }

    /// Diagonal `offset` of the planes of `dim1` and `dim2` (a view), like `torch.diagonal`: those dims
    /// are removed and the diagonal becomes the last dim. A positive offset is above the main diagonal.
    public func diagonal(offset: Int = 0, dim1: Int = 0, dim2: Int = 1) -> Tensor {
        let (d1, d2) = (dim(dim1, "diagonal"), dim(dim2, "diagonal"))
        guard d1 != d2 else { shapeFailure(ShapeError("diagonal: dim1 and dim2 must differ, got \(dim1) and \(dim2)")) }
        // Where the diagonal starts, and how long it is.
        let (row, column) = offset >= 0 ? (0, offset) : (-offset, 0)
        let length = Swift.max(0, Swift.min(shape[d1] - row, shape[d2] - column))
        let keep = (0..<rank).filter { $0 != d1 && $0 != d2 }
        let first = length == 0 ? self.offset : self.offset + row * strides[d1] + column * strides[d2]
        let out = makeView(shape: keep.map { shape[$0] } + [length], strides: keep.map { strides[$0] } + [strides[d1] + strides[d2]],
                           offset: first)
        let inputShape = shape
        let addIntoInputGrad = { (inputGrad: Tensor, g: Tensor) -> Void in
            inputGrad.diagonal(offset: offset, dim1: d1, dim2: d2).add_(g)
        }
        return out.recording("diagonal", inputs: [self], addIntoInputGrad: addIntoInputGrad) { g in
            let full = Tensor.zeros(inputShape, device: g.device)
            addIntoInputGrad(full, g)
            return [full.recording("diagonalBackward", inputs: [g]) { gg in [gg.diagonal(offset: offset, dim1: d1, dim2: d2)] }]
        }
    }

    /// The sub-tensor at `index` of dim `d`, with that dim removed (a view), like `x[:, i]`.
    public func select(_ d: Int, _ index: Int) -> Tensor {
        let dd = dim(d, "select")
        let i = index < 0 ? index + shape[dd] : index
        guard i >= 0 && i < shape[dd] else {
            shapeFailure(ShapeError("select: index \(index) is out of range for dim \(dd) of size \(shape[dd]) (shape \(shape))"))
        }
        return slice(dd, start: i, end: i + 1).squeeze(dd)
    }

    /// Views of consecutive pieces of `sizes[i]` entries along `dim`, like `torch.split` with a list.
    public func split(sizes: [Int], dim d: Int = 0) -> [Tensor] {
        guard rank >= 1 else { shapeFailure(ShapeError("split: expects a tensor with at least 1 dim, got shape []")) }
        let dd = dim(d, "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[dd] else {
            shapeFailure(ShapeError("split: sizes \(sizes) must be non-negative and add up to \(shape[dd]), the size of "
                + "dim \(dd) of shape \(shape)"))
        }
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return narrow(dd, start: start, length: size)
        }
    }

    /// `sections` views along `dim` as even as can be, the first ones one longer, like
    /// `torch.tensor_split` (where `chunk` may give fewer pieces).
    public func tensorSplit(_ sections: Int, dim d: Int = 0) -> [Tensor] {
        guard rank >= 1 else { shapeFailure(ShapeError("tensorSplit: expects a tensor with at least 1 dim, got shape []")) }
        let dd = dim(d, "tensorSplit")
        guard sections > 0 else { shapeFailure(ShapeError("tensorSplit: sections must be positive, got \(sections)")) }
        let (base, extra) = shape[dd].quotientAndRemainder(dividingBy: sections)
        return split(sizes: (0..<sections).map { base + ($0 < extra ? 1 : 0) }, dim: dd)
    }

    /// Views cut before each of `indices` along `dim`, like `torch.tensor_split` with indices: [2, 5]
    /// gives [..<2], [2..<5] and [5...] (indices past the end give empty pieces).
    public func tensorSplit(indices: [Int], dim d: Int = 0) -> [Tensor] {
        guard rank >= 1 else { shapeFailure(ShapeError("tensorSplit: expects a tensor with at least 1 dim, got shape []")) }
        let dd = dim(d, "tensorSplit")
        let size = shape[dd]
        let bounds = [0] + indices.map { Swift.min(Swift.max($0 < 0 ? $0 + size : $0, 0), size) } + [size]
        return zip(bounds, bounds.dropFirst()).map { narrow(dd, start: $0, length: Swift.max($1 - $0, 0)) }
    }

    /// At least 1, 2 or 3 dims, like `torch.atleast_1d`, `atleast_2d` and `atleast_3d`: a scalar
    /// becomes [1], [1, 1] or [1, 1, 1]; a vector [n] becomes [1, n] or [1, n, 1]; a matrix [m, n]
    /// becomes [m, n, 1]. Views.
    public func atleast1d() -> Tensor { rank >= 1 ? self : reshape([1]) }
    public func atleast2d() -> Tensor { rank >= 2 ? self : atleast1d().unsqueeze(0) }
    public func atleast3d() -> Tensor {
        switch rank {
        case 0: return reshape([1, 1, 1])
        case 1: return unsqueeze(0).unsqueeze(2)
        case 2: return unsqueeze(2)
        default: return self
        }
    }

    /// `x[i]`: the i-th entry along the first dim.
    public subscript(_ index: Int) -> Tensor { select(0, index) }

    /// `x[a..<b]`: a range of the first dim.
    public subscript(_ range: Range<Int>) -> Tensor { slice(0, start: range.lowerBound, end: range.upperBound) }

    /// Splits into pieces of `size` along dim `d` (the last may be smaller).
    public func split(_ size: Int, dim d: Int = 0) -> [Tensor] {
        let d = dim(d, "split")
        precondition(size > 0, "Ember: split: size must be positive, got \(size)")
        return stride(from: 0, to: shape[d], by: size).map { narrow(d, start: $0, length: Swift.min(size, shape[d] - $0)) }
    }

    /// Splits into `chunks` nearly equal pieces along dim `d`.
    public func chunk(_ chunks: Int, dim d: Int = 0) -> [Tensor] {
        let size = (shape[dim(d, "chunk")] + chunks - 1) / Swift.max(chunks, 1)
        return split(Swift.max(size, 1), dim: d)
    }

    /// Sums a broadcast gradient back down to `target` (the inverse of broadcasting).
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var dims: [Int] = Array(0..<Swift.max(lead, 0))
        for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 { dims.append(lead + i) }
        var out = dims.isEmpty ? self : sum(dims: dims, keepdim: true)
        if lead > 0 { out = out.reshape(target) }
        return out.shape == target ? out : out.reshape(target)
    }
}
