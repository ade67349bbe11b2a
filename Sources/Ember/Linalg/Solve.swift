import CEmberKernels
/// Inverses and linear solves: `inv`, `solve` and `solveTriangular`, like `torch.linalg`'s.
extension Linalg {
    /// The inverse of each square matrix, like `torch.linalg.inv`. Stops with a message naming the
    /// matrix when one is singular.
    public static func inv(_ a: Tensor) -> Tensor {
        let matrices = HostMatrices(a, op: "linalg.inv", square: true)
        let out = luSolve(matrices, rightSides: nil, op: "linalg.inv", singular: "so it has no inverse")
        let result = Tensor(out, shape: a.shape, device: a.device)
        let saved = result.detach()
        return result.recording("linalg.inv", inputs: [a]) { g in
            // d(A⁻¹) = −A⁻¹·dA·A⁻¹, so gA = −A⁻ᵀ·g·A⁻ᵀ.
            let inverse = saved.reattached()
            return [-inverse.mT.matmul(g).matmul(inverse.mT)]
        }
    }

    /// The solution X of A·X = B (or, with `left: false`, of X·A = B) for square A, like
    /// `torch.linalg.solve`. B is a matrix [..., n, k] ([..., k, n] with `left: false`) or a vector
    /// [..., n] (when it has one dim fewer than A and matches A's leading dims, or has one dim; with
    /// `left: false`, x·A = b for a row vector x, where PyTorch refuses); batch dims broadcast. Stops
    /// with a message naming the matrix when A is singular.
    public static func solve(_ a: Tensor, _ b: Tensor, left: Bool = true) -> Tensor {
        guard a.rank >= 2, b.rank >= 1 else {
            shapeFailure(ShapeError("linalg.solve: expected A [..., n, n] and B [..., n, k] or [..., n], got shapes \(a.shape) and \(b.shape)"))
        }
        let isVector = b.rank == 1 || (b.rank == a.rank - 1 && b.shape == Array(a.shape.dropLast()))
        let n = a.shape[a.rank - 1]
        guard a.shape[a.rank - 2] == n, b.shape[isVector ? b.rank - 1 : (left ? b.rank - 2 : b.rank - 1)] == n else {
            shapeFailure(ShapeError("linalg.solve: A of shape \(a.shape) must be square and match B of shape \(b.shape) "
                + "(its \(isVector ? "length" : left ? "rows" : "columns") must be \(n))"))
        }
        let matrix = isVector ? b.unsqueeze(-1) : b
        // X·A = B is Aᵀ·Xᵀ = Bᵀ (and x·A = b is Aᵀ·x = b).
        let x = isVector ? solveLeft(left ? a : a.mT, matrix) : left ? solveLeft(a, matrix) : solveLeft(a.mT, matrix.mT).mT
        return isVector ? x.squeeze(-1) : x
    }

    /// A·X = B for matrices B, batches broadcast.
    private static func solveLeft(_ a: Tensor, _ b: Tensor) -> Tensor {
        let op = "linalg.solve"
        let (a, b) = broadcastBatches(a, b, op: op)
        let coefficients = HostMatrices(a, op: op, square: true), rightSides = HostMatrices(b, op: op)
        let out = luSolve(coefficients, rightSides: rightSides, op: op,
                          singular: "so A·X = B has no unique solution; Linalg.pinv(a).matmul(b) gives the least-squares one")
        let result = Tensor(out, shape: b.shape, device: b.device)
        let saved = result.detach()
        return result.recording("linalg.solve", inputs: [a, b]) { g in
            // X = A⁻¹B: gB = A⁻ᵀ·g, gA = −gB·Xᵀ.
            let gB = solveLeft(a.mT, g)
            return [a.requiresGrad ? -gB.matmul(saved.reattached().mT) : nil, b.requiresGrad ? gB : nil]
        }
    }

    /// The solutions X of A·X = B, row-major, for each matrix A of the batch by LU with partial
    /// pivoting (`SmallLU` for small matrices, LAPACK's `sgesv` for the others), with B from
    /// `rightSides` (the identity when nil); stops naming the matrix when one is singular.
    private static func luSolve(_ coefficients: HostMatrices, rightSides: HostMatrices?, op: String,
                                singular consequence: String) -> [Float] {
        let n = coefficients.rows, columns = rightSides?.cols ?? n
        func fail(_ index: Int, _ info: Int) -> Never {
            linalgFailure("\(op): \(coefficients.name(index)) is singular (pivot \(info - 1) of its LU factorization "
                + "is zero), \(consequence)")
        }
        if n <= SmallLU.maxOrder {
            let (solutions, singular) = SmallLU.solve(coefficients, rightSides: rightSides, columns: columns)
            if let singular { fail(singular.index, singular.info) }
            return solutions
        }
        var identity: [Float] = []
        if rightSides == nil {
            identity = [Float](repeating: 0, count: n * n)
            for i in 0..<n { identity[i * n + i] = 1 }
        }
        var out: [Float] = []
        out.reserveCapacity(coefficients.count * n * columns)
        for index in 0..<coefficients.count {
            var factors = coefficients.columnMajor(index), solution = rightSides?.columnMajor(index) ?? identity
            let info = LAPACK.solve(&factors, &solution, n: n, rhs: columns)
            guard info == 0 else { fail(index, info) }
            appendRowMajor(solution, rows: n, cols: columns, to: &out)
        }
        return out
    }

    /// The solution X of A·X = B (or, with `left: false`, of X·A = B) for triangular A, reading only
    /// A's upper (`upper: true`) or lower triangle, with ones taken for its diagonal when
    /// `unitriangular`, like `torch.linalg.solve_triangular`; batch dims broadcast. A zero on the
    /// diagonal gives infinities, as in PyTorch.
    public static func solveTriangular(_ a: Tensor, _ b: Tensor, upper: Bool, left: Bool = true,
                                       unitriangular: Bool = false) -> Tensor {
        let op = "linalg.solveTriangular"
        guard a.rank >= 2, b.rank >= 2, a.shape[a.rank - 1] == a.shape[a.rank - 2],
              a.shape[a.rank - 1] == b.shape[left ? b.rank - 2 : b.rank - 1] else {
            shapeFailure(ShapeError("\(op): expected square A [..., n, n] and B [..., n, k] (left) or [..., k, n] "
                + "(right), got shapes \(a.shape) and \(b.shape) with left: \(left)"))
        }
        let (a, b) = broadcastBatches(a, b, op: op)
        let coefficients = HostMatrices(a, op: op, square: true), rightSides = HostMatrices(b, op: op)
        let (rows, cols, n) = (rightSides.rows, rightSides.cols, coefficients.rows)
        // Each solution is solved in place in a copy of B: small matrices by C loops with the batch
        // spread over the cores (one strsm call per 4×4 matrix cost more than its solve), larger ones by
        // BLAS, which has the threads.
        var out = rightSides.rowMajorValues
        coefficients.withRowMajorValues { triangles in
            out.withUnsafeMutableBufferPointer { buffer in
                let solutions = buffer.baseAddress!
                guard n <= SmallLU.maxOrder else {
                    for index in 0..<coefficients.count {
                        LAPACK.triangularSolve(triangles + index * n * n, solutions + index * rows * cols, rows: rows,
                                               cols: cols, upper: upper, left: left, unitriangular: unitriangular)
                    }
                    return
                }
                Parallel.chunks(coefficients.count, grain: Swift.max(1, Parallel.grain / Swift.max(n * rows * cols, 1))) { range in
                    ember_triangular_solve_batch_f32(triangles + range.lowerBound * n * n, solutions + range.lowerBound * rows * cols,
                                                     Int64(n), Int64(rows), Int64(cols), Int64(range.count), upper ? 1 : 0,
                                                     left ? 1 : 0, unitriangular ? 1 : 0)
                }
            }
        }
        let result = Tensor(out, shape: b.shape, device: b.device)
        let saved = result.detach()
        return result.recording("linalg.solveTriangular", inputs: [a, b]) { g in
            // Left, X = A⁻¹B: gB = A⁻ᵀ·g, gA = −gB·Xᵀ; right, X = B·A⁻¹: gB = g·A⁻ᵀ, gA = −Xᵀ·gB. Only
            // the triangle A was read from gets a gradient.
            let gB = solveTriangular(a.mT, g, upper: !upper, left: left, unitriangular: unitriangular)
            guard a.requiresGrad else { return [nil, gB] }
            let x = saved.reattached()
            let full = left ? -gB.matmul(x.mT) : -x.mT.matmul(gB)
            let diagonal = unitriangular ? 1 : 0
            return [upper ? full.triu(diagonal: diagonal) : full.tril(diagonal: -diagonal), b.requiresGrad ? gB : nil]
        }
    }
}
