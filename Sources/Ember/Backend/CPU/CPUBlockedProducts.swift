#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CEmberKernels

/// Products run whole on the calling thread, for kernels that split their own work over the cores
/// (a convolution's per-image products). They use Ember's register-blocked AVX2 kernels
/// (SmallGemm.c) in blocks that keep each kernel's operands in cache, and `cblas_sgemm` where the
/// CPU lacks AVX2 and FMA.
///
/// Why not BLAS everywhere: at a convolution's shapes (C [64, 576], k = 288) single-threaded
/// OpenBLAS 0.3.21 reaches 10–25 GFLOP/s on a 40 GFLOP/s Zen core, with steep drops for outputs
/// 128–320 wide; Ember's kernels, which read the operands in place, run near the peak there.
/// All three write C (`accumulate` false) or add to it (true); leading dimensions are in floats.
enum BlockedProduct {
    /// Floats of A each kernel call may touch: A stays in L2 while B's panel passes through L1.
    static let aBlockFloats = 1 << 16
    /// Longest k of one outer-product call: its k×16 panel of B stays in L1.
    static let outerK = 256
    /// Longest k of one dot-product call: three rows of B stay in L1.
    static let dotK = 2048

    /// C[m, n] (+)= A[m, k]·B[k, n].
    static func nn(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        outerProducts(transposedA: false, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                      accumulate: accumulate)
    }

    /// C[m, n] (+)= A[k, m]ᵀ·B[k, n].
    static func tn(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        outerProducts(transposedA: true, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                      accumulate: accumulate)
    }

    /// C[m, n] (+)= A[m, k]·B[n, k]ᵀ (+ `bias`, n floats added to every row, only with the AVX2 kernels).
    static func nt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                   c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, bias: UnsafePointer<Float>? = nil) {
        guard CPUBackend.ProductKernel.available else {
            precondition(bias == nil, "Ember: only the dot-product kernel adds a bias")
            blas(CblasNoTrans, CblasTrans, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                 accumulate: accumulate)
            return
        }
        if m == 0 || n == 0 { return }
        if k == 0 {
            clearUnlessAccumulating(c, m: m, n: n, ldc: ldc, accumulate: accumulate)
            if let bias { for row in 0..<m { for j in 0..<n { c[row * ldc + j] += bias[j] } } }
            return
        }
        let (kChunk, rows) = blocks(k: k, longest: dotK, rowMultiple: 4)
        for p0 in stride(from: 0, to: k, by: kChunk) {
            let kc = min(kChunk, k - p0)
            for i in stride(from: 0, to: m, by: rows) {
                ember_sgemm_nt(Int64(min(rows, m - i)), Int64(n), Int64(kc), a + i * lda + p0, Int64(lda), b + p0, Int64(ldb),
                               c + i * ldc, Int64(ldc), p0 == 0 ? bias : nil, accumulate || p0 > 0 ? 1 : 0)
            }
        }
    }

    /// op(A)·B by the outer-product kernels, over k in chunks of at most `outerK` and A in blocks of
    /// rows that fit in L2; op(A) is Aᵀ when `transposedA`.
    private static func outerProducts(transposedA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                      b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                      accumulate: Bool) {
        guard CPUBackend.ProductKernel.available else {
            blas(transposedA ? CblasTrans : CblasNoTrans, CblasNoTrans, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                 c: c, ldc: ldc, accumulate: accumulate)
            return
        }
        if m == 0 || n == 0 { return }
        if k == 0 { return clearUnlessAccumulating(c, m: m, n: n, ldc: ldc, accumulate: accumulate) }
        // op(A)'s element (row r, index p) is at a[r·rowStep + p·kStep].
        let (rowStep, kStep) = transposedA ? (1, lda) : (lda, 1)
        let kernel = transposedA ? ember_sgemm_tn : ember_sgemm_nn
        let (kChunk, rows) = blocks(k: k, longest: outerK, rowMultiple: 6)
        for p0 in stride(from: 0, to: k, by: kChunk) {
            let kc = min(kChunk, k - p0)
            for i in stride(from: 0, to: m, by: rows) {
                kernel(Int64(min(rows, m - i)), Int64(n), Int64(kc), a + i * rowStep + p0 * kStep, Int64(lda),
                       b + p0 * ldb, Int64(ldb), c + i * ldc, Int64(ldc), accumulate || p0 > 0 ? 1 : 0)
            }
        }
    }

    /// A product over an empty k: zeros, or nothing added.
    private static func clearUnlessAccumulating(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, accumulate: Bool) {
        if !accumulate { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
    }

    /// k cut into equal chunks of at most `longest`, and the rows of A per block so that a block of
    /// A (rows × chunk) fits `aBlockFloats`, a multiple of the kernel's row block.
    private static func blocks(k: Int, longest: Int, rowMultiple: Int) -> (kChunk: Int, rows: Int) {
        let pieces = (k + longest - 1) / longest
        let kChunk = (k + pieces - 1) / pieces
        let rows = max(rowMultiple, aBlockFloats / kChunk / rowMultiple * rowMultiple)
        return (kChunk, rows)
    }

    private static func blas(_ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, m: Int, n: Int, k: Int, a: UnsafePointer<Float>,
                             lda: Int, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                             accumulate: Bool) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
                    accumulate ? 1 : 0, c, Int32(max(ldc, 1)))
    }
}
