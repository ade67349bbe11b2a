/// The singular value decomposition, like `torch.linalg.svd(full_matrices=False)` and `svdvals`.
extension Linalg {
    /// U [..., m, k], the singular values S [..., k] (descending) and Vᵀ [..., k, n] with
    /// A = U·diag(S)·Vᵀ, k = min(m, n), like `torch.linalg.svd(A, full_matrices=False)`. The signs of
    /// matching singular vectors are arbitrary, as in PyTorch.
    ///
    /// Differentiable. Where singular values repeat (or are zero), U and V are not unique: the terms
    /// that blow up there are left out (PyTorch gives NaN), so the gradient is exact for losses through
    /// S alone and for the polar factor U·Vᵀ, not for every loss that is independent of the choice.
    public static func svd(_ a: Tensor) -> (u: Tensor, s: Tensor, vh: Tensor) {
        let matrices = HostMatrices(a, op: "linalg.svd")
        let (m, n) = (matrices.rows, matrices.cols)
        let k = Swift.min(m, n)
        // One output [..., m·k + k + k·n] holding U, S and Vᵀ, so that one node's backward sees all three.
        var out: [Float] = []
        out.reserveCapacity(matrices.count * (m * k + k + k * n))
        for index in 0..<matrices.count {
            let (u, s, vt, info) = LAPACK.svd(matrices.columnMajor(index), rows: m, cols: n)
            guard info == 0 else {
                linalgFailure("linalg.svd: the SVD did not converge for \(matrices.name(index)) (LAPACK info \(info)); "
                    + "check it for NaN or infinite values")
            }
            appendRowMajor(u, rows: m, cols: k, to: &out)
            out += s
            appendRowMajor(vt, rows: k, cols: n, to: &out)
        }
        let all = Tensor(out, shape: matrices.batchShape + [m * k + k + k * n], device: a.device)
        let saved = all.detach()
        func split(_ t: Tensor) -> (Tensor, Tensor, Tensor) {
            (t.narrow(-1, start: 0, length: m * k).reshape(matrices.batchShape + [m, k]),
             t.narrow(-1, start: m * k, length: k),
             t.narrow(-1, start: m * k + k, length: k * n).reshape(matrices.batchShape + [k, n]))
        }
        all.recording("linalg.svd", inputs: [a]) { g in
            let (u, s, vh) = split(saved.reattached())
            let (gU, gS, gVh) = split(g)
            let (v, gV) = (vh.mT, gVh.mT)
            // With X = UᵀgU − gUᵀU and Y = VᵀgV − gVᵀV (i ≠ j):
            // gA = U·[(X_ij·s_j + s_i·Y_ij)/(s_j² − s_i²) + diag(gS)]·Vᵀ + (I − UUᵀ)·gU·S⁻¹·Vᵀ + U·S⁻¹·gVᵀ·(I − VVᵀ).
            // The fraction is (X + Y)/(2(s_j − s_i)) + (X − Y)/(2(s_j + s_i)): each part is left out only
            // where its own denominator is 0, so repeated nonzero values keep the second.
            let uProduct = u.mT.matmul(gU), vProduct = v.mT.matmul(gV)
            let x = uProduct - uProduct.mT, y = vProduct - vProduct.mT
            let (row, column) = (s.unsqueeze(-1), s.unsqueeze(-2))   // s_i, s_j
            let inner = (x + y) * reciprocalOrZero(column - row) * 0.5 + (x - y) * reciprocalOrZero(column + row) * 0.5
                + Tensor.eye(k, device: a.device) * gS.unsqueeze(-2)
            var gA = u.matmul(inner).matmul(vh)
            let inverse = reciprocalOrZero(s)   // S⁻¹, 0 for zero singular values (whose vectors are not unique)
            if m > k { gA = gA + ((gU - u.matmul(uProduct)) * inverse.unsqueeze(-2)).matmul(vh) }
            if n > k { gA = gA + (u * inverse.unsqueeze(-2)).matmul(gV.mT - gV.mT.matmul(v).matmul(vh)) }
            return [gA]
        }
        return split(all)
    }

    /// The singular values (descending) of each matrix, like `torch.linalg.svdvals`; differentiable.
    public static func svdvals(_ a: Tensor) -> Tensor { svd(a).s }
}
