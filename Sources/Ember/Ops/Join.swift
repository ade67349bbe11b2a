/// Concatenation and stacking.
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
}
