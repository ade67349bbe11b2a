/// The Cholesky factorization, like `torch.linalg.cholesky`.
extension Linalg {
    /// The lower-triangular L with A = L·Lᵀ for each symmetric positive-definite matrix, reading A's
    /// lower triangle, or, with `upper: true`, the upper-triangular U = Lᵀ with A = Uᵀ·U, reading A's
    /// upper triangle, like `torch.linalg.cholesky`. Stops with a message naming the matrix when one is
    /// not positive-definite.
    public static func cholesky(_ a: Tensor, upper: Bool = false) -> Tensor {
        let matrices = HostMatrices(a, op: "linalg.cholesky", square: true)
        let n = matrices.rows
        var out: [Float] = []
        out.reserveCapacity(matrices.count * n * n)
        for index in 0..<matrices.count {
            // Read column-major, a row-major matrix is its transpose, whose lower triangle is A's upper
            // one: LAPACK's factor of that triangle, read back row-major, is the factor's transpose.
            var factor = Array(matrices.rowMajor(index))
            let info = LAPACK.cholesky(&factor, n: n, upper: !upper)
            guard info == 0 else {
                linalgFailure("linalg.cholesky: \(matrices.name(index)) is not positive-definite (its leading minor "
                    + "of order \(info) is not positive); add a multiple of the identity, or check that it is symmetric")
            }
            // Row-major, `factor` now holds L (lower) or U (upper) in the triangle read; the node records L.
            for i in 0..<n {
                for j in 0..<n where j > i {
                    if upper { factor[j * n + i] = factor[i * n + j] }   // L = Uᵀ
                    factor[i * n + j] = 0
                }
            }
            out += factor
        }
        let lower = Tensor(out, shape: a.shape, device: a.device)
        let saved = lower.detach()
        lower.recording("linalg.cholesky", inputs: [a]) { g in
            // A = L·Lᵀ gives L⁻¹·dA·L⁻ᵀ = Φ⁻¹(L⁻¹·dL) for Φ = "lower triangle, diagonal halved", so
            // gA = L⁻ᵀ·Φ(Lᵀ·gL)·L⁻¹, made symmetric (dA is).
            let l = saved.reattached()
            let projected = l.mT.matmul(g.tril()).tril()
            let symmetric = (projected + projected.tril(diagonal: -1).mT) * 0.5
            let left = solveTriangular(l.mT, symmetric, upper: true)
            return [solveTriangular(l, left, upper: false, left: false)]
        }
        return upper ? lower.mT : lower
    }
}
