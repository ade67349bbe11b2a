/// Least squares and the pseudo-inverse, composed from `qr` and `svd` (so differentiable through them):
/// `lstsq` and `pinv`, like `torch.linalg`'s.
extension Linalg {
    /// The X that minimizes ‖A·X − B‖ for a tall A [..., m, n] (m ≥ n) of full rank, or, for a wide A
    /// (m < n) of full rank, the X of least norm with A·X = B; like `torch.linalg.lstsq(A, B).solution`.
    /// B is [..., m, k] or [..., m]; batch dims broadcast. Solved through the QR factorization, so A must
    /// have full rank; `pinv(a).matmul(b)` handles rank-deficient A.
    public static func lstsq(_ a: Tensor, _ b: Tensor) -> Tensor {
        guard a.rank >= 2, b.rank >= 1 else {
            shapeFailure(ShapeError("linalg.lstsq: expected A [..., m, n] and B [..., m, k] or [..., m], got shapes \(a.shape) and \(b.shape)"))
        }
        let isVector = b.rank == 1 || b.rank == a.rank - 1
        let rhs = isVector ? b.unsqueeze(-1) : b
        guard rhs.shape[rhs.rank - 2] == a.shape[a.rank - 2] else {
            shapeFailure(ShapeError("linalg.lstsq: expected A [..., m, n] and B [..., m, k] or [..., m] with the same m, "
                + "got shapes \(a.shape) and \(b.shape)"))
        }
        let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let x: Tensor
        if m >= n {
            let (q, r) = qr(a)   // A = Q·R: X = R⁻¹·Qᵀ·B
            x = solveTriangular(r, q.mT.matmul(rhs), upper: true)
        } else {
            let (q, r) = qr(a.mT)   // A = Rᵀ·Qᵀ: the least-norm X = Q·R⁻ᵀ·B
            x = q.matmul(solveTriangular(r.mT, rhs, upper: false))
        }
        return isVector ? x.squeeze(-1) : x
    }

    /// The Moore–Penrose pseudo-inverse [..., n, m] of each matrix [..., m, n], like `torch.linalg.pinv`:
    /// singular values at or below `rtol` times the largest are taken as zero (by default
    /// max(m, n)·ε of float32, as in PyTorch). Differentiable where the rank does not change nearby
    /// (as PyTorch's), repeated singular values included.
    public static func pinv(_ a: Tensor, rtol: Float? = nil) -> Tensor {
        guard a.rank >= 2 else { shapeFailure(ShapeError("linalg.pinv: expected a matrix or batch of matrices, got shape \(a.shape)")) }
        let (m, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        guard Swift.min(m, n) > 0 else { return Tensor.zeros(Array(a.shape.dropLast(2)) + [n, m], device: a.device) }
        let pseudo = noGrad {
            let (u, s, vh) = svd(a.detach())
            let cutoff = s.narrow(-1, start: 0, length: 1) * (rtol ?? Float(Swift.max(m, n)) * Float.ulpOfOne)
            let kept = s.gt(cutoff)
            return (vh.mT * (kept / (s + (1 - kept))).unsqueeze(-2)).matmul(u.mT)   // 1/s where kept, 0 elsewhere
        }
        let saved = pseudo.detach()
        return pseudo.recording("linalg.pinv", inputs: [a]) { g in
            // From d(A⁺) = −A⁺·dA·A⁺ + A⁺A⁺ᵀ·dAᵀ·(I − AA⁺) + (I − A⁺A)·dAᵀ·A⁺ᵀA⁺ (Golub and Pereyra):
            // gA = −A⁺ᵀ·g·A⁺ᵀ + (I − AA⁺)·gᵀ·A⁺A⁺ᵀ + A⁺ᵀA⁺·gᵀ·(I − A⁺A).
            let p = saved.reattached()
            let (pt, gt) = (p.mT, g.mT)
            let leftProjection = Tensor.eye(m, device: a.device) - a.matmul(p)
            let rightProjection = Tensor.eye(n, device: a.device) - p.matmul(a)
            return [-pt.matmul(g).matmul(pt) + leftProjection.matmul(gt).matmul(p.matmul(pt))
                    + pt.matmul(p).matmul(gt).matmul(rightProjection)]
        }
    }
}
