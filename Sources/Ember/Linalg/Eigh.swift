/// Eigendecomposition of symmetric matrices, like `torch.linalg.eigh` and `eigvalsh`.
extension Linalg {
    /// The eigenvalues (ascending) [..., n] and orthonormal eigenvectors (the columns) [..., n, n] of
    /// each symmetric matrix, A = V·diag(λ)·Vᵀ, like `torch.linalg.eigh`. Only A's lower triangle is
    /// read (its upper one with `upper: true`). Each eigenvector's sign is arbitrary, as in PyTorch.
    ///
    /// Differentiable: the gradient is PyTorch's (symmetric). Where eigenvalues repeat, the
    /// eigenvectors of that eigenspace are not unique and the eigenvectors' terms within it are left
    /// out (PyTorch gives NaN): exact for losses through the eigenvalues alone, not in general (a matrix
    /// function V·h(Λ)·Vᵀ such as a square root loses its h′ term there).
    public static func eigh(_ a: Tensor, upper: Bool = false) -> (eigenvalues: Tensor, eigenvectors: Tensor) {
        let matrices = HostMatrices(a, op: "linalg.eigh", square: true)
        let n = matrices.rows
        // One output [..., n + 1, n]: the eigenvalues in the first row, the eigenvectors below, so that
        // one node's backward sees both gradients.
        var out: [Float] = []
        out.reserveCapacity(matrices.count * (n + 1) * n)
        for index in 0..<matrices.count {
            // Read column-major, the matrix is its transpose, whose upper triangle is A's lower one.
            var vectors = Array(matrices.rowMajor(index))
            var values = [Float](repeating: 0, count: n)
            let info = LAPACK.symmetricEigen(&vectors, n: n, values: &values, upper: !upper)
            guard info == 0 else {
                linalgFailure("linalg.eigh: the eigenvalue algorithm did not converge for \(matrices.name(index)) "
                    + "(LAPACK info \(info)); check it for NaN or infinite values")
            }
            out += values
            appendRowMajor(vectors, rows: n, cols: n, to: &out)
        }
        let both = Tensor(out, shape: matrices.batchShape + [n + 1, n], device: a.device)
        let saved = both.detach()
        both.recording("linalg.eigh", inputs: [a]) { g in
            let decomposition = saved.reattached()
            let (values, vectors) = (decomposition.select(-2, 0), decomposition.narrow(-2, start: 1, length: n))
            let (gValues, gVectors) = (g.select(-2, 0), g.narrow(-2, start: 1, length: n))
            // dV = V·(F ∘ Vᵀ·dA·V) with F_ij = 1/(λ_j − λ_i) off the diagonal; dλ = diag(Vᵀ·dA·V). For a
            // symmetric dA: gA = V·(F ∘ skew(Vᵀ·gV) + diag(gλ))·Vᵀ, skew(M) = (M − Mᵀ)/2.
            let product = vectors.mT.matmul(gVectors)
            let skew = (product - product.mT) * 0.5
            // (The diagonal's gaps, and those of repeated eigenvalues, are 0: their terms are left out.)
            let gaps = values.unsqueeze(-2) - values.unsqueeze(-1)
            let inner = skew * reciprocalOrZero(gaps) + Tensor.eye(n, device: a.device) * gValues.unsqueeze(-2)
            return [vectors.matmul(inner).matmul(vectors.mT)]
        }
        return (both.select(-2, 0), both.narrow(-2, start: 1, length: n))
    }

    /// The eigenvalues (ascending) of each symmetric matrix, like `torch.linalg.eigvalsh`; differentiable.
    public static func eigvalsh(_ a: Tensor, upper: Bool = false) -> Tensor { eigh(a, upper: upper).eigenvalues }
}
