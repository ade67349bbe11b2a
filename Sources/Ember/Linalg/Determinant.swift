import Foundation

/// Determinants from the LU factorization: `det` and `slogdet`, like `torch.linalg`'s.
extension Linalg {
    /// The determinant of each square matrix [..., n, n] → [...], like `torch.linalg.det`.
    /// Differentiable everywhere, singular matrices included: their gradient is the cofactor matrix,
    /// found from the SVD (PyTorch 2.15 gives 0 there). Second derivatives need every matrix of the
    /// batch to be invertible, and stop with a message otherwise.
    public static func det(_ a: Tensor) -> Tensor {
        let factors = luDeterminants(a, op: "linalg.det")
        let values = zip(factors.signs, factors.logs).map { Float($0 * Foundation.exp($1)) }
        let result = Tensor(values, shape: factors.batchShape, device: a.device)
        let saved = result.detach()
        let anySingular = factors.signs.contains(0)
        return result.recording("linalg.det", inputs: [a]) { g in
            // d det(A) = ⟨cofactors(A), dA⟩, and cofactors(A) = det(A)·A⁻ᵀ when A is invertible.
            let scale = g.unsqueeze(-1).unsqueeze(-1)
            guard anySingular else { return [scale * saved.reattached().unsqueeze(-1).unsqueeze(-1) * inv(a).mT] }
            if Tensor.isRecordingBackward {
                linalgFailure("linalg.det: second derivatives at a singular matrix are not supported (a matrix of "
                    + "the batch of shape \(a.shape) is singular); its first derivative is its cofactor matrix")
            }
            return [scale * cofactorsThroughSVD(a)]
        }
    }

    /// The sign (−1, 0 or 1) and the natural log of the absolute value of each matrix's determinant,
    /// like `torch.linalg.slogdet`: unlike `det`, neither overflows for large matrices. A singular
    /// matrix gives sign 0 and −∞. `logAbsDet` is differentiable (the sign is not); its gradient at a
    /// singular matrix is infinite, and the backward pass stops with a message (PyTorch gives ±∞).
    public static func slogdet(_ a: Tensor) -> (sign: Tensor, logAbsDet: Tensor) {
        let factors = luDeterminants(a, op: "linalg.slogdet")
        let sign = Tensor(factors.signs.map(Float.init), shape: factors.batchShape, device: a.device)
        let logs = Tensor(factors.logs.map(Float.init), shape: factors.batchShape, device: a.device)
        let singular = factors.signs.firstIndex(of: 0)
        return (sign, logs.recording("linalg.slogdet", inputs: [a]) { g in
            if let singular {
                linalgFailure("linalg.slogdet: the gradient of log|det| is infinite at a singular matrix, and "
                    + "\(HostMatrices(a, op: "linalg.slogdet").name(singular)) is singular")
            }
            return [g.unsqueeze(-1).unsqueeze(-1) * inv(a).mT]   // d log|det A| = ⟨A⁻ᵀ, dA⟩
        })
    }

    /// The natural log of each matrix's determinant, like `torch.logdet`: −∞ where it is 0 and NaN
    /// where it is negative. Differentiable where the determinant is positive.
    public static func logdet(_ a: Tensor) -> Tensor {
        let (sign, logAbsDet) = slogdet(a)
        let nan = Tensor.full(sign.shape, .nan, device: a.device)
        return `where`(sign.lt(0), nan, logAbsDet)
    }

    /// For each matrix, the determinant's sign (0 when singular) and log|det| (−∞ when singular), from
    /// the product of the LU factorization's pivots, summed as logs in double so that nothing overflows.
    private static func luDeterminants(_ a: Tensor, op: String) -> (batchShape: [Int], signs: [Double], logs: [Double]) {
        let matrices = HostMatrices(a, op: op, square: true)
        let n = matrices.rows
        if n <= SmallLU.maxOrder {
            let (signs, logs) = SmallLU.determinants(matrices)
            return (matrices.batchShape, signs, logs)
        }
        var signs: [Double] = [], logs: [Double] = []
        for index in 0..<matrices.count {
            var factors = matrices.columnMajor(index)
            let (info, oddSwaps) = LAPACK.luFactor(&factors, n: n)
            var sign: Double = oddSwaps ? -1 : 1, log: Double = 0
            for i in 0..<n {
                let pivot = Double(factors[i * n + i])
                if pivot < 0 { sign = -sign }
                log += Foundation.log(Swift.abs(pivot))
            }
            signs.append(info > 0 ? 0 : sign)
            logs.append(info > 0 ? -.infinity : log)
        }
        return (matrices.batchShape, signs, logs)
    }

    /// The cofactor matrix of each square matrix, singular or not, as a constant: with A = U·S·Vᵀ it is
    /// det(U)·det(V)·U·diag(∏_{j≠i} s_j)·Vᵀ, which equals det(A)·A⁻ᵀ where A is invertible.
    private static func cofactorsThroughSVD(_ a: Tensor) -> Tensor {
        let matrices = HostMatrices(a, op: "linalg.det")
        let n = matrices.rows
        var out: [Float] = []
        out.reserveCapacity(matrices.count * n * n)
        for index in 0..<matrices.count {
            let (u, s, vt, _) = LAPACK.svd(matrices.columnMajor(index), rows: n, cols: n)
            let orientation = orthogonalSign(u, n: n) * orthogonalSign(vt, n: n)
            var products = [Double](repeating: orientation, count: n)
            for i in 0..<n { for j in 0..<n where j != i { products[i] *= Double(s[j]) } }
            var cofactors = [Float](repeating: 0, count: n * n)   // column-major
            for column in 0..<n {
                for row in 0..<n {
                    var sum: Double = 0
                    for i in 0..<n { sum += Double(u[i * n + row]) * products[i] * Double(vt[column * n + i]) }
                    cofactors[column * n + row] = Float(sum)
                }
            }
            appendRowMajor(cofactors, rows: n, cols: n, to: &out)
        }
        return Tensor(out, shape: a.shape, device: a.device)
    }

    /// The determinant (±1) of an orthogonal column-major matrix.
    private static func orthogonalSign(_ orthogonal: [Float], n: Int) -> Double {
        var matrix = orthogonal
        let (_, oddSwaps) = LAPACK.luFactor(&matrix, n: n)
        var sign: Double = oddSwaps ? -1 : 1
        for i in 0..<n where matrix[i * n + i] < 0 { sign = -sign }
        return sign
    }
}
