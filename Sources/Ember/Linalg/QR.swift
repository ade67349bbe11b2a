/// The QR factorization, like `torch.linalg.qr` in its default reduced mode.
extension Linalg {
    /// Q [..., m, k] with orthonormal columns and upper-triangular R [..., k, n] with A = Q·R, k = min(m, n),
    /// like `torch.linalg.qr(A)` (mode "reduced"). Differentiable where R's diagonal has no zeros: A of
    /// full rank when tall, its first m columns independent when wide.
    public static func qr(_ a: Tensor) -> (q: Tensor, r: Tensor) {
        let matrices = HostMatrices(a, op: "linalg.qr")
        let (m, n) = (matrices.rows, matrices.cols)
        let k = Swift.min(m, n)
        // One output [..., m·k + k·n] holding Q then R, so that one node's backward sees both gradients.
        var out: [Float] = []
        out.reserveCapacity(matrices.count * (m * k + k * n))
        for index in 0..<matrices.count {
            let (q, r) = LAPACK.qr(matrices.columnMajor(index), rows: m, cols: n)
            appendRowMajor(q, rows: m, cols: k, to: &out)
            appendRowMajor(r, rows: k, cols: n, to: &out)
        }
        let both = Tensor(out, shape: matrices.batchShape + [m * k + k * n], device: a.device)
        let saved = both.detach()
        func split(_ t: Tensor) -> (Tensor, Tensor) {
            (t.narrow(-1, start: 0, length: m * k).reshape(matrices.batchShape + [m, k]),
             t.narrow(-1, start: m * k, length: k * n).reshape(matrices.batchShape + [k, n]))
        }
        both.recording("linalg.qr", inputs: [a]) { g in
            let (q, r) = split(saved.reattached())
            let (gQ, gR) = split(g)
            guard m < n else { return [squareBackward(q: q, r: r, gQ: gQ, gR: gR)] }
            // A = [X Y] with X = Q·R₁ square and Y = Q·R₂: R₂ = Qᵀ·Y passes gradient to Y and to Q.
            let y = a.narrow(-1, start: m, length: n - m)
            let gR2 = gR.narrow(-1, start: m, length: n - m)
            let gX = squareBackward(q: q, r: r.narrow(-1, start: 0, length: m), gQ: gQ + y.matmul(gR2.mT),
                                    gR: gR.narrow(-1, start: 0, length: m))
            return [Tensor.cat([gX, q.matmul(gR2)], dim: -1)]
        }
        return split(both)
    }

    /// The gradient of A = Q·R for m ≥ n (R square): with M = R·gRᵀ − gQᵀ·Q,
    /// gA = (gQ + Q·copyltu(M))·R⁻ᵀ, where copyltu mirrors M's lower triangle onto its upper one.
    private static func squareBackward(q: Tensor, r: Tensor, gQ: Tensor, gR: Tensor) -> Tensor {
        let m = r.matmul(gR.mT) - gQ.mT.matmul(q)
        let mirrored = m.tril() + m.tril(diagonal: -1).mT
        return solveTriangular(r.mT, gQ + q.matmul(mirrored), upper: false, left: false)
    }
}
