/// Sorting along a dimension: `sort`, `argsort` and `topk`, like PyTorch's.
///
/// The order is found on the host (a stable sort of each row, NaN counted as the largest value, as
/// PyTorch does); the values are then gathered through the indices (on the tensor's device for
/// float32, so the gradient flows back to the positions they came from; exactly for int64).
extension Tensor {
    /// The values along `dim` in ascending (or `descending`) order, and the int64 positions they came
    /// from, like `torch.sort(stable=True)`: equal values keep their order.
    public func sort(dim: Int = -1, descending: Bool = false) -> (values: Tensor, indices: Tensor) {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "sort") }
        if rank == 0 { return (self, Tensor.zeros([], dtype: .int64, device: device)) }
        let indices = sortedIndices(along: d, descending: descending)
        return (gather(dim: d, indices: indices), indices)
    }

    /// The int64 positions that sort the values along `dim`, like `torch.argsort(stable=True)`.
    public func argsort(dim: Int = -1, descending: Bool = false) -> Tensor {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "argsort") }
        if rank == 0 { return Tensor.zeros([], dtype: .int64, device: device) }
        return sortedIndices(along: d, descending: descending)
    }

    /// The `k` largest (or, with `largest: false`, smallest) values along `dim`, in order, and their
    /// int64 positions, like `torch.topk`: `logits.topk(5).indices` are each row's five best classes.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor) {
        let d = checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "topk") }
        let size = rank == 0 ? 1 : shape[d]
        guard k >= 0 && k <= size else {
            shapeFailure(ShapeError("topk: k (\(k)) must be between 0 and the size of dim \(d) (\(size)) of shape \(shape)"))
        }
        if rank == 0 { return (self, Tensor.zeros([], dtype: .int64, device: device)) }
        let indices = sortedIndices(along: d, descending: largest).narrow(d, start: 0, length: k).contiguous()
        return (gather(dim: d, indices: indices), indices)
    }

    /// The positions that sort each row along `d`, as an int64 tensor of this shape on this device.
    private func sortedIndices(along d: Int, descending: Bool) -> Tensor {
        // Rows along the last dim: move `d` there, read the values once, sort each row's positions.
        let moved = d == rank - 1 ? self : transpose(d, rank - 1)
        let order = dtype == .float32
            ? sortedRows(noGrad { moved.toArray() }, length: shape[d], descending: descending)
            : sortedRows(moved.toIntArray(), length: shape[d], descending: descending)
        var movedShape = shape
        movedShape.swapAt(d, rank - 1)
        let indices = Tensor(order, shape: movedShape, device: device)
        return (d == rank - 1 ? indices : indices.transpose(d, rank - 1)).contiguous()
    }
}

/// For each row of `length` values, the positions in sorted order (stable; NaN after every number
/// ascending and before them descending, as PyTorch sorts).
func sortedRows<Value: Comparable>(_ values: [Value], length: Int, descending: Bool) -> [Int] {
    var order = [Int](repeating: 0, count: values.count)
    guard length > 0 else { return order }
    var positions = [Int](repeating: 0, count: length)   // one buffer for every row
    values.withUnsafeBufferPointer { v in
        for row in 0..<(values.count / length) {
            let base = row * length
            for i in 0..<length { positions[i] = i }
            positions.sort { i, j in
                let a = v[base + i], b = v[base + j]
                let (aNaN, bNaN) = (a != a, b != b)
                if aNaN || bNaN { return aNaN != bNaN ? (descending ? aNaN : bNaN) : i < j }
                return a == b ? i < j : (descending ? a > b : a < b)
            }
            for (position, index) in positions.enumerated() { order[base + position] = index }
        }
    }
    return order
}
