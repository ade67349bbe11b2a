/// Where values fall among sorted boundaries, like `torch.searchsorted`, `torch.bucketize` and
/// `torch.histc`: binary searches and counts on the host (the results are indices and counts, with
/// no gradient).

/// For each of `values`, the index at which it would be inserted into `sortedSequence` to keep it
/// sorted, like `torch.searchsorted`: before equal entries, or after them with `right`. A 1-D sequence
/// serves every value; an N-D one holds one sorted row per row of `values` (their leading dims equal).
/// Returns int64 indices of `values`' shape.
public func searchsorted(_ sortedSequence: Tensor, _ values: Tensor, right: Bool = false) -> Tensor {
    let rows = sortedSequence.rank == 1 ? 1 : sortedSequence.shape.dropLast().reduce(1, *)
    guard sortedSequence.rank >= 1, sortedSequence.dtype == .float32, values.dtype == .float32,
          sortedSequence.rank == 1 || (values.rank == sortedSequence.rank
                                       && Array(values.shape.dropLast()) == Array(sortedSequence.shape.dropLast())) else {
        shapeFailure(ShapeError("searchsorted: expects a float32 1-D sorted sequence, or one whose leading dims equal the "
            + "values', and float32 values; got \(sortedSequence.dtype) \(sortedSequence.shape) and \(values.dtype) \(values.shape)"))
    }
    let length = sortedSequence.shape[sortedSequence.rank - 1]
    let sequence = noGrad { sortedSequence.toArray() }, points = noGrad { values.toArray() }
    let perRow = sortedSequence.rank == 1 ? points.count : points.count / Swift.max(rows, 1)
    var indices = [Int](repeating: 0, count: points.count)
    for (i, value) in points.enumerated() {
        let start = sortedSequence.rank == 1 ? 0 : (i / Swift.max(perRow, 1)) * length
        // The first entry ≥ value (> value with `right`), by PyTorch's test: a NaN entry or value moves right.
        var (low, high) = (0, length)
        while low < high {
            let middle = (low + high) / 2, entry = sequence[start + middle]
            let before = right ? !(entry > value) : !(entry >= value)
            if before { low = middle + 1 } else { high = middle }
        }
        indices[i] = low
    }
    return Tensor(indices, shape: values.shape, device: values.device)
}

/// The bucket of each element of `input` among sorted 1-D `boundaries`, like `torch.bucketize`: i such
/// that boundaries[i−1] < x ≤ boundaries[i] (boundaries[i−1] ≤ x < boundaries[i] with `right`).
public func bucketize(_ input: Tensor, boundaries: Tensor, right: Bool = false) -> Tensor {
    guard boundaries.rank == 1 else {
        shapeFailure(ShapeError("bucketize: boundaries must be 1-D, got shape \(boundaries.shape)"))
    }
    return searchsorted(boundaries, input, right: right)
}

extension Tensor {
    /// A histogram of the elements: `bins` equal-width bins over [min, max] (the elements' own range
    /// when min equals max), elements outside left out, like `torch.histc`. Float32 counts.
    public func histc(bins: Int = 100, min: Float = 0, max: Float = 0) -> Tensor {
        guard bins > 0, dtype == .float32, min <= max, min.isFinite, max.isFinite else {
            shapeFailure(ShapeError("histc: expects float32 input, bins > 0 and finite min ≤ max, got \(dtype), bins \(bins), "
                + "range [\(min), \(max)]"))
        }
        let values = noGrad { toArray() }
        var (low, high) = (min, max)
        if low == high, let first = values.first {
            (low, high) = values.dropFirst().reduce((first, first)) { (Swift.min($0.0, $1), Swift.max($0.1, $1)) }
            if values.contains(where: { !$0.isFinite }) { (low, high) = (.nan, .nan) }
            guard low.isFinite, high.isFinite else {
                shapeFailure(ShapeError("histc: the elements' range is not finite (they hold inf or NaN); pass min and max"))
            }
        }
        // A single point gets a range of width 2 around it, as in PyTorch.
        if low == high { (low, high) = (low - 1, high + 1) }
        var counts = [Float](repeating: 0, count: bins)
        for v in values where v >= low && v <= high {
            // In float, as PyTorch's CPU kernel (an element on an edge lands where its rounding puts it); the
            // maximum goes to the last bin.
            let position = Int((v - low) * Float(bins) / (high - low))
            counts[Swift.min(position, bins - 1)] += 1
        }
        return Tensor(counts, shape: [bins], device: device)
    }
}
