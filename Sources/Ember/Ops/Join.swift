/// Concatenation and stacking: `cat`, `stack`, `hstack`, `vstack`, `dstack`, `columnStack` and
/// `blockDiag`, like PyTorch's.
extension Tensor {
    /// Joins tensors along an existing dim, like `torch.cat`.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        guard let first = tensors.first else { shapeFailure(ShapeError("cat: expects a non-empty list of tensors")) }
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: first.rank, op: "cat") }
        for (i, t) in tensors.enumerated() {
            guard t.rank == first.rank,
                  (0..<t.rank).allSatisfy({ $0 == d || t.shape[$0] == first.shape[$0] }) else {
                shapeFailure(ShapeError("cat: sizes of tensors must match except in dim \(d); "
                    + "tensor 0 has shape \(first.shape) but tensor \(i) has shape \(t.shape)"))
            }
            first.checkSameDevice("cat", t)
            guard t.dtype == first.dtype else {
                shapeFailure(ShapeError("cat: tensor \(i) is \(t.dtype) but tensor 0 is \(first.dtype)"))
            }
        }
        var outShape = first.shape
        outShape[d] = tensors.reduce(0) { $0 + $1.shape[d] }
        let out = Tensor(uninitializedShape: outShape, dtype: first.dtype, device: first.device)
        var start = 0
        var ranges: [(Int, Int)] = []
        for t in tensors {
            let length = t.shape[d]
            let target = out.narrow(d, start: start, length: length)
            first.backend.copy(t.view, into: target.view)
            ranges.append((start, length))
            start += length
        }
        return out.recording("cat", inputs: tensors) { g in
            ranges.map { g.narrow(d, start: $0.0, length: $0.1) }
        }
    }

    /// Joins tensors of one shape along a new dim, like `torch.stack`.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        guard let first = tensors.first else { shapeFailure(ShapeError("stack: expects a non-empty list of tensors")) }
        for (i, t) in tensors.enumerated() where t.shape != first.shape {
            shapeFailure(ShapeError("stack: expects each tensor to be equal size, "
                + "but got \(first.shape) at entry 0 and \(t.shape) at entry \(i)"))
        }
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: first.rank + 1, op: "stack") }
        return cat(tensors.map { $0.unsqueeze(d) }, dim: d)
    }

    /// Joined along columns, like `torch.hstack`: 1-D tensors end to end, others along dim 1.
    public static func hstack(_ tensors: [Tensor]) -> Tensor {
        guard !tensors.isEmpty else { shapeFailure(ShapeError("hstack: expects a non-empty list of tensors")) }
        let lifted = tensors.map { $0.atleast1d() }
        return cat(lifted, dim: lifted.first?.rank == 1 ? 0 : 1)
    }

    /// Joined along rows, like `torch.vstack`: 1-D tensors become rows.
    public static func vstack(_ tensors: [Tensor]) -> Tensor {
        guard !tensors.isEmpty else { shapeFailure(ShapeError("vstack: expects a non-empty list of tensors")) }
        return cat(tensors.map { $0.atleast2d() }, dim: 0)
    }

    /// Joined along depth (dim 2), like `torch.dstack`.
    public static func dstack(_ tensors: [Tensor]) -> Tensor {
        guard !tensors.isEmpty else { shapeFailure(ShapeError("dstack: expects a non-empty list of tensors")) }
        return cat(tensors.map { $0.atleast3d() }, dim: 2)
    }

    /// Joined as columns, like `torch.column_stack`: 0-D and 1-D tensors become columns.
    public static func columnStack(_ tensors: [Tensor]) -> Tensor {
        guard !tensors.isEmpty else { shapeFailure(ShapeError("columnStack: expects a non-empty list of tensors")) }
        return cat(tensors.map { $0.rank <= 1 ? $0.reshape([$0.count, 1]) : $0 }, dim: 1)
    }

    /// The matrices on the diagonal of one block matrix, zeros elsewhere, like `torch.block_diag`
    /// (0-D tensors count as 1×1, 1-D ones as rows). Mixed int64 and float32 blocks give float32.
    public static func blockDiag(_ tensors: [Tensor]) -> Tensor {
        guard let first = tensors.first else { return Tensor.zeros([1, 0]) }
        let dtype: DType = tensors.contains { $0.dtype == .float32 } ? .float32 : first.dtype
        let blocks = tensors.map { t -> Tensor in
            guard t.rank <= 2 else {
                shapeFailure(ShapeError("blockDiag: expects tensors with at most 2 dims, got shape \(t.shape)"))
            }
            let block = t.dtype == dtype ? t : t.to(dtype)
            return block.rank == 2 ? block : block.reshape([1, block.count])
        }
        let width = blocks.reduce(0) { $0 + $1.shape[1] }
        var left = 0
        let rows = blocks.map { block -> Tensor in
            let (height, columns) = (block.shape[0], block.shape[1])
            defer { left += columns }
            let zeros = { (n: Int) in Tensor.zeros([height, n], dtype: dtype, device: first.device) }
            return cat([zeros(left), block, zeros(width - left - columns)], dim: 1)
        }
        return cat(rows, dim: 0)
    }
}
