/// Reversing, tiling and triangular masking: `flip`, `repeat`, `tril` and `triu`, like PyTorch's.
/// Each is built from differentiable ops (index select, expand, masked fill), so gradients come free.
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
