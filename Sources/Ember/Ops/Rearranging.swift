/// Reversing, rotating, tiling, splitting into slices, diagonals and triangular masking: `flip`,
/// `fliplr`, `flipud`, `rot90`, `roll`, `repeat`, `tile`, `repeatInterleave`, `unbind`, `meshgrid`,
/// `diag`, `diagEmbed`, `tril` and `triu`, like PyTorch's.
/// Each is built from differentiable ops (index select, expand, masked fill), so gradients come free.
/// How `meshgrid` lays out its grids: matrix (`ij`) or Cartesian (`xy`) indexing.
public enum MeshgridIndexing: Sendable { case ij, xy }

extension Tensor {
    /// The entries of each of `dims` in reverse order, like `torch.flip` (a copy: Ember's views have no
    /// negative strides).
    public func flip(_ dims: [Int]) -> Tensor {
        let normalized = dims.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: "flip") } }
        guard Set(normalized).count == normalized.count else {
            shapeFailure(ShapeError("flip: dims \(dims) name a dim more than once (tensor of rank \(rank))"))
        }
        var out: Tensor?
        for dim in normalized where shape[dim] > 1 {
            out = (out ?? self).indexSelect(dim: dim, indices: Tensor(Array((0..<shape[dim]).reversed()), device: device))
        }
        return out ?? clone()   // a new tensor even when no dim has two entries to swap, as PyTorch returns
    }

    public func flip(_ dims: Int...) -> Tensor { flip(dims) }

    /// Columns reversed (dim 1), like `torch.fliplr`.
    public func fliplr() -> Tensor {
        guard rank >= 2 else { shapeFailure(ShapeError("fliplr: needs a tensor with at least 2 dims, got shape \(shape)")) }
        return flip(1)
    }

    /// Rows reversed (dim 0), like `torch.flipud`.
    public func flipud() -> Tensor {
        guard rank >= 1 else { shapeFailure(ShapeError("flipud: needs a tensor with at least 1 dim, got shape \(shape)")) }
        return flip(0)
    }

    /// Rotated by 90° `k` times in the plane of `dims`, from the first dim toward the second, like
    /// `torch.rot90` (a negative k turns the other way).
    public func rot90(_ k: Int = 1, dims: [Int] = [0, 1]) -> Tensor {
        guard dims.count == 2, rank >= 2 else {
            shapeFailure(ShapeError("rot90: needs two dims of a tensor with at least 2 dims, got dims \(dims) for shape \(shape)"))
        }
        let d = dims.map { d in checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank, op: "rot90") } }
        guard d[0] != d[1] else { shapeFailure(ShapeError("rot90: the two dims must differ, got \(dims)")) }
        switch (k % 4 + 4) % 4 {
        case 1: return flip(d[1]).transpose(d[0], d[1])
        case 2: return flip(d)
        case 3: return flip(d[0]).transpose(d[0], d[1])
        default: return clone()
        }
    }

    /// The entries shifted by `shifts[i]` along `dims[i]`, those pushed off one end coming back at the
    /// other, like `torch.roll`. Without dims the tensor is rolled as if flattened.
    public func roll(_ shifts: [Int], dims: [Int] = []) -> Tensor {
        if dims.isEmpty {
            guard shifts.count == 1 else {
                shapeFailure(ShapeError("roll: without dims, give one shift (the tensor rolls flattened), got \(shifts)"))
            }
            return reshape([-1]).roll(shifts, dims: [0]).reshape(shape)
        }
        guard shifts.count == dims.count else {
            shapeFailure(ShapeError("roll: needs one shift per dim, got shifts \(shifts) and dims \(dims)"))
        }
        var out = self
        for (shift, dim) in zip(shifts, dims) {
            let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "roll") }
            let n = shape[d]
            guard n > 0 else { continue }
            let s = ((shift % n) + n) % n
            if s == 0 { continue }
            out = Tensor.cat([out.narrow(d, start: n - s, length: s), out.narrow(d, start: 0, length: n - s)], dim: d)
        }
        return out
    }

    public func roll(_ shift: Int, dim: Int) -> Tensor { roll([shift], dims: [dim]) }

    /// The slices along `dim`, that dim removed (views), like `torch.unbind`.
    public func unbind(dim: Int = 0) -> [Tensor] {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "unbind") }
        return (0..<shape[d]).map { select(d, $0) }
    }

    /// A vector as a matrix with it on diagonal `offset` (above the main one when positive), or a
    /// matrix's diagonal `offset` as a vector, like `torch.diag`.
    public func diag(offset: Int = 0) -> Tensor {
        switch rank {
        case 1:
            return diagEmbed(offset: offset)
        case 2:
            return diagonal(offset: offset)
        default:
            shapeFailure(ShapeError("diag: expects a 1-D or 2-D tensor, got shape \(shape)"))
        }
    }

    /// This tensor tiled `counts[i]` times along dim i, like `torch.Tensor.repeat`: [a, b] repeated
    /// (2, 3) is [2a, 3b]. More counts than dims add leading dims.
    public func `repeat`(_ counts: [Int]) -> Tensor {
        guard counts.count >= rank, counts.allSatisfy({ $0 >= 0 }) else {
            shapeFailure(ShapeError("repeat: needs a non-negative count for each of the \(rank) dims of shape \(shape), "
                + "got \(counts)"))
        }
        let padded = [Int](repeating: 1, count: counts.count - rank) + shape
        // [.., s_i, ..] viewed as [.., 1, s_i, ..], expanded to [.., c_i, s_i, ..], merged to [.., c_i·s_i, ..].
        let interleaved = padded.flatMap { [1, $0] }
        let expanded = zip(counts, padded).flatMap { [$0, $1] }
        return reshape(interleaved).expand(expanded).reshape(zip(counts, padded).map { $0 * $1 })
    }

    public func `repeat`(_ counts: Int...) -> Tensor { self.repeat(counts) }

    /// This tensor tiled `counts[i]` times along dim i, like `torch.tile`: as `repeat`, except that
    /// fewer counts than dims are padded with leading 1s (`x.tile([2])` tiles the last dim).
    public func tile(_ counts: [Int]) -> Tensor {
        self.repeat([Int](repeating: 1, count: Swift.max(rank - counts.count, 0)) + counts)
    }

    public func tile(_ counts: Int...) -> Tensor { tile(counts) }

    /// Each entry repeated `repeats` times in place along `dim` (of the flattened tensor when nil), like
    /// `torch.repeat_interleave`: [a, b] gives [a, a, b, b] where `repeat` gives [a, b, a, b].
    public func repeatInterleave(_ repeats: Int, dim: Int? = nil) -> Tensor {
        guard repeats >= 0 else { shapeFailure(ShapeError("repeatInterleave: repeats must be non-negative, got \(repeats)")) }
        checkHasDim(dim)
        let source = dim == nil ? reshape([-1]) : self
        let d = checkShape { () throws(ShapeError) in
            try Shape.normalize(dim: dim ?? 0, rank: source.rank, op: "repeatInterleave")
        }
        // [.., s, ..] viewed as [.., s, 1, ..], expanded to [.., s, r, ..], merged to [.., s·r, ..].
        var expanded = source.shape
        expanded.insert(repeats, at: d + 1)
        var merged = source.shape
        merged[d] *= repeats
        return source.unsqueeze(d + 1).expand(expanded).reshape(merged)
    }

    /// Entry i along `dim` repeated `repeats[i]` times, like `torch.repeat_interleave` with a tensor
    /// of repeats.
    public func repeatInterleave(_ repeats: [Int], dim: Int? = nil) -> Tensor {
        if repeats.count == 1 { return repeatInterleave(repeats[0], dim: dim) }   // one count for all, as PyTorch broadcasts
        checkHasDim(dim)
        let source = dim == nil ? reshape([-1]) : self
        let d = checkShape { () throws(ShapeError) in
            try Shape.normalize(dim: dim ?? 0, rank: source.rank, op: "repeatInterleave")
        }
        guard repeats.count == source.shape[d], repeats.allSatisfy({ $0 >= 0 }) else {
            shapeFailure(ShapeError("repeatInterleave: needs one non-negative repeat count per entry of dim \(d) "
                + "(\(source.shape[d])), got \(repeats)"))
        }
        let positions = repeats.enumerated().flatMap { [Int](repeating: $0.offset, count: $0.element) }
        return source.indexSelect(dim: d, indices: Tensor(positions, shape: [positions.count], device: device))
    }

    private func checkHasDim(_ dim: Int?) {
        guard dim == nil || rank > 0 else {
            shapeFailure(ShapeError("repeatInterleave: a scalar has no dim \(dim!); leave dim nil to repeat it as a vector"))
        }
    }

    /// Coordinate grids from 1-D tensors, like `torch.meshgrid`: with `.ij` indexing (PyTorch's default)
    /// output i varies along dim i; with `.xy` the first two dims are swapped (NumPy's, for images).
    public static func meshgrid(_ tensors: [Tensor], indexing: MeshgridIndexing = .ij) -> [Tensor] {
        guard tensors.allSatisfy({ $0.rank == 1 }) else {
            shapeFailure(ShapeError("meshgrid: expects 1-D tensors, got shapes \(tensors.map(\.shape))"))
        }
        var sizes = tensors.map { $0.shape[0] }
        let swaps = indexing == .xy && tensors.count >= 2
        if swaps { sizes.swapAt(0, 1) }
        return tensors.enumerated().map { i, t in
            let axis = swaps && i < 2 ? 1 - i : i
            var viewShape = [Int](repeating: 1, count: sizes.count)
            viewShape[axis] = t.shape[0]
            return t.reshape(viewShape).expand(sizes)
        }
    }

    /// Matrices whose diagonal `offset` holds the last dim's entries, the rest zeros, like
    /// `torch.diag_embed`: [.., n] gives [.., n + |offset|, n + |offset|], the matrices' rows and
    /// columns at `dim1` and `dim2` of the result.
    public func diagEmbed(offset: Int = 0, dim1: Int = -2, dim2: Int = -1) -> Tensor {
        guard rank >= 1 else { shapeFailure(ShapeError("diagEmbed: needs a tensor with at least 1 dim, got shape []")) }
        let d = [dim1, dim2].map { d in
            checkShape { () throws(ShapeError) in try Shape.normalize(dim: d, rank: rank + 1, op: "diagEmbed") }
        }
        guard d[0] != d[1] else { shapeFailure(ShapeError("diagEmbed: dim1 and dim2 must differ, got \(dim1) and \(dim2)")) }
        let n = shape[rank - 1], k = Swift.abs(offset), batch = Array(shape.dropLast())
        let zeros = { (extra: [Int]) in Tensor.zeros(batch + extra, dtype: self.dtype, device: self.device) }
        // Each entry followed by n zeros, [.., n, n + 1], read flat: its first n² entries put entry j at
        // j·(n + 1), on the diagonal. Joins and views only, so ∞ stays off the zeros (a product with
        // an identity would put ∞·0 = NaN there) and any dtype works on any device.
        let spaced = Tensor.cat([unsqueeze(-1), zeros([n, n])], dim: -1).reshape(batch + [n * (n + 1)])
        var square = spaced.narrow(rank - 1, start: 0, length: n * n).reshape(batch + [n, n])
        if k > 0 {
            // Off the main diagonal: k zero columns before and k zero rows after (or the other way round).
            let columns = zeros([n, k]), rows = zeros([k, n + k])
            square = offset > 0 ? Tensor.cat([Tensor.cat([columns, square], dim: -1), rows], dim: -2)
                : Tensor.cat([rows, Tensor.cat([square, columns], dim: -1)], dim: -2)
        }
        return square.movedim([rank - 1, rank], d)
    }

    /// The lower triangle of the last two dims (entries with column − row ≤ `diagonal`), the rest zeros,
    /// like `torch.tril`.
    public func tril(diagonal: Int = 0) -> Tensor { triangle(keepBelow: true, diagonal: diagonal, op: "tril") }

    /// The upper triangle of the last two dims (entries with column − row ≥ `diagonal`), the rest zeros,
    /// like `torch.triu`.
    public func triu(diagonal: Int = 0) -> Tensor { triangle(keepBelow: false, diagonal: diagonal, op: "triu") }

    private func triangle(keepBelow: Bool, diagonal: Int, op: String) -> Tensor {
        guard rank >= 2 else { shapeFailure(ShapeError("\(op): needs a tensor with at least 2 dims, got shape \(shape)")) }
        let (rows, columns) = (shape[rank - 2], shape[rank - 1])
        // 1 where the entry is cleared (column − row past the diagonal), broadcast over the leading dims.
        let offsets = Tensor.arange(0, Float(columns), device: device).unsqueeze(0)
            - Tensor.arange(0, Float(rows), device: device).unsqueeze(1)
        let cleared = keepBelow ? offsets.gt(Float(diagonal)) : offsets.lt(Float(diagonal))
        return maskedFill(cleared, 0)
    }
}
