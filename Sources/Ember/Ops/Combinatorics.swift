/// Products, combinations and triangle coordinates, like `torch.cartesian_prod`,
/// `torch.combinations`, `torch.tril_indices` and `torch.triu_indices`. The positions are counted on
/// the host; the entries are then picked with `indexSelect`, so gradients flow back to them.
extension Tensor {
    /// Every tuple with one entry from each 1-D tensor, the last varying fastest, as rows of a
    /// [Π nᵢ, k] tensor, like `torch.cartesian_prod` (one tensor comes back as it is).
    public static func cartesianProd(_ tensors: [Tensor]) -> Tensor {
        guard !tensors.isEmpty, tensors.allSatisfy({ $0.rank == 1 }) else {
            shapeFailure(ShapeError("cartesianProd: expects one or more 1-D tensors, got shapes \(tensors.map(\.shape))"))
        }
        if tensors.count == 1 { return tensors[0] }
        return stack(meshgrid(tensors).map { $0.reshape([-1]) }, dim: 1)
    }

    /// The length-`r` combinations of a 1-D tensor's entries in order, as rows of a [C, r] tensor,
    /// like `torch.combinations` (`withReplacement` allows an entry more than once).
    public func combinations(r: Int = 2, withReplacement: Bool = false) -> Tensor {
        guard rank == 1 else { shapeFailure(ShapeError("combinations: expects a 1-D tensor, got shape \(shape)")) }
        guard r >= 0 else { shapeFailure(ShapeError("combinations: r must be non-negative, got \(r)")) }
        let n = shape[0]
        var rows: [Int] = []   // the positions of each combination, row after row
        var current: [Int] = []
        func extend(from first: Int) {
            if current.count == r { rows += current; return }
            // Enough entries left to finish? (Without this the search visits ~2ⁿ dead ends.)
            guard first < n, withReplacement || n - first >= r - current.count else { return }
            for i in first..<n {
                current.append(i)
                extend(from: withReplacement ? i : i + 1)
                current.removeLast()
            }
        }
        if r > 0 { extend(from: 0) }
        let picked = indexSelect(dim: 0, indices: Tensor(rows, shape: [rows.count], device: device))
        return r == 0 ? picked : picked.reshape([rows.count / r, r])   // r = 0 gives an empty vector, as PyTorch's
    }

    /// The int64 [2, N] row and column coordinates of the entries on or below diagonal `offset` of a
    /// rows × columns matrix, row by row, like `torch.tril_indices`.
    public static func trilIndices(_ rows: Int, _ columns: Int, offset: Int = 0, device: Device = .cpu) -> Tensor {
        triangleIndices(rows, columns) { row in 0..<Swift.min(Swift.max(row + offset + 1, 0), columns) }.to(device)
    }

    /// The coordinates of the entries on or above diagonal `offset`, like `torch.triu_indices`.
    public static func triuIndices(_ rows: Int, _ columns: Int, offset: Int = 0, device: Device = .cpu) -> Tensor {
        triangleIndices(rows, columns) { row in Swift.min(Swift.max(row + offset, 0), columns)..<columns }.to(device)
    }

    /// Each row's kept columns are one range, so the cost is the size of the result.
    private static func triangleIndices(_ rows: Int, _ columns: Int, _ kept: (Int) -> Range<Int>) -> Tensor {
        guard rows >= 0, columns >= 0 else {
            shapeFailure(ShapeError("triangle indices: rows and columns must be non-negative, got \(rows) and \(columns)"))
        }
        var rowIndices: [Int] = [], columnIndices: [Int] = []
        for row in 0..<rows {
            let range = kept(row)
            rowIndices += repeatElement(row, count: range.count)
            columnIndices += range
        }
        return Tensor(rowIndices + columnIndices, shape: [2, rowIndices.count])
    }
}
