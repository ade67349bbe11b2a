/// Walks the elements of up to three strided operands in row-major order of `shape`, one innermost
/// row at a time, after merging dimensions that are contiguous for every operand. Kernels run their
/// tight loop over each row; this keeps strided and broadcast inputs free of per-element index math.
struct StridedLoop {
    /// Sizes of the merged dimensions, outermost first (never empty).
    private(set) var sizes: [Int]
    /// strides[k][d]: stride of operand k along merged dimension d.
    private(set) var strides: [[Int]]

    init(shape: [Int], strides operandStrides: [[Int]]) {
        var sizes: [Int] = []
        var strides = [[Int]](repeating: [], count: operandStrides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = sizes.last,
               operandStrides.indices.allSatisfy({ strides[$0].last! == operandStrides[$0][d] * shape[d] }) {
                sizes[sizes.count - 1] = last * shape[d]
                for k in operandStrides.indices { strides[k][strides[k].count - 1] = operandStrides[k][d] }
            } else {
                sizes.append(shape[d])
                for k in operandStrides.indices { strides[k].append(operandStrides[k][d]) }
            }
        }
        if sizes.isEmpty {
            sizes = [1]
            for k in operandStrides.indices { strides[k] = [0] }
        }
        self.sizes = sizes
        self.strides = strides
    }

    /// Length of each innermost row.
    var rowLength: Int { sizes[sizes.count - 1] }
    /// Number of rows.
    var rowCount: Int { sizes.dropLast().reduce(1, *) }
    func innerStride(_ operand: Int) -> Int { strides[operand][sizes.count - 1] }

    /// Calls `body(row, offsets)` for rows in `rows`, where offsets[k] is operand k's element offset
    /// (relative to its base) at the start of that row.
    @inline(__always)
    func forEachRow(_ rows: Range<Int>, _ body: (Int, UnsafeMutablePointer<Int>) -> Void) {
        if rows.isEmpty { return }  // an empty tensor: a zero size would divide by zero below
        let outerRank = sizes.count - 1
        let operands = strides.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(outerRank, 1) + operands) { scratch in
            let index = scratch.baseAddress!
            let offsets = index + max(outerRank, 1)
            // Decompose the first row number into a multi-index.
            var remainder = rows.lowerBound
            for d in stride(from: outerRank - 1, through: 0, by: -1) {
                index[d] = remainder % sizes[d]
                remainder /= sizes[d]
            }
            for k in 0..<operands {
                var o = 0
                for d in 0..<outerRank { o += index[d] * strides[k][d] }
                offsets[k] = o
            }
            for row in rows {
                body(row, offsets)
                // Advance the multi-index like an odometer, updating offsets incrementally.
                var d = outerRank - 1
                while d >= 0 {
                    index[d] += 1
                    for k in 0..<operands { offsets[k] += strides[k][d] }
                    if index[d] < sizes[d] { break }
                    for k in 0..<operands { offsets[k] -= strides[k][d] * sizes[d] }
                    index[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// Calls `body(offsets, count)` for every row, split over the cores in pieces of at least `grain`
    /// elements: whole rows, or, when the loop is a single row (a contiguous array merges into one),
    /// stretches of it, with `offsets` at the stretch's start and `count` its length.
    @inline(__always)
    func forEachRowInParallel(grain: Int, _ body: (UnsafeMutablePointer<Int>, Int) -> Void) {
        let length = rowLength
        if rowCount != 1 || length < 2 * grain {  // (0 rows: an empty tensor, nothing to split)
            Parallel.chunks(rowCount, grain: Swift.max(1, grain / Swift.max(length, 1))) { rows in
                forEachRow(rows) { _, offsets in body(offsets, length) }
            }
            return
        }
        let operands = strides.count
        Parallel.chunks(length, grain: grain) { range in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: operands) { offsets in
                for k in 0..<operands { offsets[k] = range.lowerBound * strides[k][0] }
                body(offsets.baseAddress!, range.count)
            }
        }
    }
}
