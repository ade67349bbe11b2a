#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The LAPACK factorizations behind `Linalg`, one column-major matrix at a time (LAPACK's layout), from
/// OpenBLAS on Linux and Accelerate on Apple platforms. Those that can fail return LAPACK's `info`: 0
/// on success, a positive value for a matrix the factorization cannot handle (which one, the caller
/// says), a negative one for an argument LAPACK refused (a bug here).
enum LAPACK {
    /// The workspace size a query returned (as a float, which may round below the integer it stands
    /// for: OpenBLAS's ssyevd does for n ≥ 2895), at least `minimum`.
    private static func workspace(_ queried: Float, minimum: Int = 1) -> Int32 {
        Int32(Swift.max(Double(queried.nextUp).rounded(.up), Double(minimum)))
    }

    /// Solves A·X = B: `b` (n×rhs) becomes X and `a` its LU factors. info > 0: U[info−1, info−1] is
    /// exactly zero, so A is singular.
    static func solve(_ a: inout [Float], _ b: inout [Float], n: Int, rhs: Int) -> Int {
        var (order, columns, lda, ldb, info) = (Int32(n), Int32(rhs), Int32(Swift.max(1, n)), Int32(Swift.max(1, n)), Int32(0))
        var pivots = [Int32](repeating: 0, count: Swift.max(1, n))
        sgesv_(&order, &columns, &a, &lda, &pivots, &b, &ldb, &info)
        return Int(info)
    }

    /// The LU factors of a square matrix in place, and whether the row swaps are odd in number (the
    /// determinant's sign). info > 0: a zero pivot, so the determinant is 0.
    static func luFactor(_ a: inout [Float], n: Int) -> (info: Int, oddSwaps: Bool) {
        var (rows, columns, lda, info) = (Int32(n), Int32(n), Int32(Swift.max(1, n)), Int32(0))
        var pivots = [Int32](repeating: 0, count: Swift.max(1, n))
        sgetrf_(&rows, &columns, &a, &lda, &pivots, &info)
        let swaps = (0..<n).reduce(0) { $0 + (pivots[$1] != Int32($1 + 1) ? 1 : 0) }
        return (Int(info), swaps % 2 == 1)
    }

    /// The Cholesky factor of a symmetric positive-definite matrix, read from and written to its upper
    /// triangle (U with A = UᵀU) or its lower one (L with A = LLᵀ); the other triangle is left as it
    /// was. info > 0: the leading minor of that order is not positive-definite.
    static func cholesky(_ a: inout [Float], n: Int, upper: Bool) -> Int {
        var (uplo, order, lda, info) = (CChar(UInt8(ascii: upper ? "U" : "L")), Int32(n), Int32(Swift.max(1, n)), Int32(0))
        #if canImport(Accelerate)
        spotrf_(&uplo, &order, &a, &lda, &info)
        #else
        spotrf_(&uplo, &order, &a, &lda, &info, 1)
        #endif
        return Int(info)
    }

    /// The eigenvalues (ascending, into `values`) and orthonormal eigenvectors (the columns of `a`) of
    /// a symmetric matrix, reading the triangle `upper` names (divide and conquer, `ssyevd`). info > 0:
    /// the algorithm did not converge.
    static func symmetricEigen(_ a: inout [Float], n: Int, values: inout [Float], upper: Bool) -> Int {
        var (job, uplo) = (CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: upper ? "U" : "L")))
        var (order, lda, info) = (Int32(n), Int32(Swift.max(1, n)), Int32(0))
        var (workSize, iworkSize) = (Int32(-1), Int32(-1))
        var (work, iwork) = ([Float](repeating: 0, count: 1), [Int32](repeating: 0, count: 1))
        func run() {
            #if canImport(Accelerate)
            ssyevd_(&job, &uplo, &order, &a, &lda, &values, &work, &workSize, &iwork, &iworkSize, &info)
            #else
            ssyevd_(&job, &uplo, &order, &a, &lda, &values, &work, &workSize, &iwork, &iworkSize, &info, 1, 1)
            #endif
        }
        run()   // a workspace query: the sizes come back in work[0] and iwork[0]
        (workSize, iworkSize) = (workspace(work[0], minimum: 1 + 6 * n + 2 * n * n), Swift.max(iwork[0], Int32(3 + 5 * n)))
        work = [Float](repeating: 0, count: Int(workSize))
        iwork = [Int32](repeating: 0, count: Int(iworkSize))
        run()
        return Int(info)
    }

    /// The reduced QR factors of an m×n matrix, k = min(m, n): Q (m×k, orthonormal columns) and R (k×n,
    /// upper triangular), both column-major.
    static func qr(_ a: [Float], rows m: Int, cols n: Int) -> (q: [Float], r: [Float]) {
        let k = Swift.min(m, n)
        guard k > 0 else { return ([Float](repeating: 0, count: m * k), [Float](repeating: 0, count: k * n)) }
        var factors = a
        var tau = [Float](repeating: 0, count: Swift.max(1, k))
        var (rows, columns, lda, info) = (Int32(m), Int32(n), Int32(m), Int32(0))
        var (qColumns, reflectors) = (Int32(k), Int32(k))
        var workSize = Int32(-1)
        var work = [Float](repeating: 0, count: 1)
        sgeqrf_(&rows, &columns, &factors, &lda, &tau, &work, &workSize, &info)   // workspace query
        workSize = workspace(work[0])
        work = [Float](repeating: 0, count: Int(workSize))
        sgeqrf_(&rows, &columns, &factors, &lda, &tau, &work, &workSize, &info)
        // R is the upper triangle of the first k rows; Q is built from the k reflectors below it.
        var r = [Float](repeating: 0, count: k * n)
        for j in 0..<n { for i in 0...Swift.min(j, k - 1) { r[j * k + i] = factors[j * m + i] } }
        var q = Array(factors.prefix(m * k))
        workSize = -1
        sorgqr_(&rows, &qColumns, &reflectors, &q, &lda, &tau, &work, &workSize, &info)   // workspace query
        workSize = workspace(work[0])
        work = [Float](repeating: 0, count: Int(workSize))
        sorgqr_(&rows, &qColumns, &reflectors, &q, &lda, &tau, &work, &workSize, &info)
        return (q, r)
    }

    /// The reduced singular value decomposition A = U·diag(S)·Vᵀ of an m×n matrix, k = min(m, n): U
    /// (m×k), S (k, descending) and Vᵀ (k×n), column-major (divide and conquer, `sgesdd`). info > 0:
    /// the algorithm did not converge.
    static func svd(_ a: [Float], rows m: Int, cols n: Int) -> (u: [Float], s: [Float], vt: [Float], info: Int) {
        let k = Swift.min(m, n)
        guard k > 0 else { return ([Float](repeating: 0, count: m * k), [], [Float](repeating: 0, count: k * n), 0) }
        var copy = a
        var (u, s, vt) = ([Float](repeating: 0, count: Swift.max(1, m * k)), [Float](repeating: 0, count: Swift.max(1, k)),
                          [Float](repeating: 0, count: Swift.max(1, k * n)))
        var job = CChar(UInt8(ascii: "S"))
        var (rows, columns, lda, ldu, ldvt, info) = (Int32(m), Int32(n), Int32(Swift.max(1, m)), Int32(Swift.max(1, m)),
                                                     Int32(Swift.max(1, k)), Int32(0))
        var workSize = Int32(-1)
        var work = [Float](repeating: 0, count: 1)
        var iwork = [Int32](repeating: 0, count: Swift.max(1, 8 * k))
        func run() {
            #if canImport(Accelerate)
            sgesdd_(&job, &rows, &columns, &copy, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &workSize, &iwork, &info)
            #else
            sgesdd_(&job, &rows, &columns, &copy, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &workSize, &iwork, &info, 1)
            #endif
        }
        run()   // a workspace query
        workSize = workspace(work[0])
        work = [Float](repeating: 0, count: Int(workSize))
        run()
        return (Array(u.prefix(m * k)), Array(s.prefix(k)), Array(vt.prefix(k * n)), Int(info))
    }

    /// Solves A·X = B (`left`) or X·A = B in place in `b` for a triangular A, reading only the
    /// triangle `upper` names (with ones on the diagonal when `unitriangular`); row-major, through BLAS's
    /// `strsm`. B is rows×cols; A is rows×rows on the left, cols×cols on the right. A zero on the
    /// diagonal gives infinities, as in PyTorch.
    static func triangularSolve(_ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                upper: Bool, left: Bool, unitriangular: Bool) {
        guard rows > 0, cols > 0 else { return }
        let order = left ? rows : cols
        cblas_strsm(CblasRowMajor, left ? CblasLeft : CblasRight, upper ? CblasUpper : CblasLower, CblasNoTrans,
                    unitriangular ? CblasUnit : CblasNonUnit, Int32(rows), Int32(cols), 1, a, Int32(order), b, Int32(cols))
    }
}
