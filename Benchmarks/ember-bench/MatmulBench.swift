import Ember
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Ember's matmul against raw cblas_sgemm on the same buffers' shapes, at the MLP's training shapes
/// (forward, the two backward products) and at 1024³.
func matmulBenchmark() {
    print("matmul: Ember vs raw cblas_sgemm (GFLOP/s, best of 5)")
    print(pad("shape", 34) + pad("ember", 10) + pad("sgemm", 10) + "ratio")
    // (label, m, k, n, transposeA, transposeB) as the MLP's step issues them.
    let cases: [(String, Int, Int, Int, Bool, Bool)] = [
        ("fwd  x[64,784]·Wᵀ[784,256]", 64, 784, 256, false, true),
        ("bwd  gᵀ[256,64]·x[64,784]", 256, 64, 784, true, false),
        ("bwd  g[64,256]·W[256,784]", 64, 256, 784, false, false),
        ("1024³", 1024, 1024, 1024, false, false),
    ]
    var ratios: [Double] = []
    for (label, m, k, n, ta, tb) in cases {
        // Operands stored as the training step stores them; transposes are views.
        let a = ta ? Tensor.randn([k, m]).t() : Tensor.randn([m, k])
        let b = tb ? Tensor.randn([n, k]).t() : Tensor.randn([k, n])
        let ember = secondsPerCall { _ = noGrad { a.matmul(b) } }
        let aRaw = [Float](repeating: 0.5, count: m * k), bRaw = [Float](repeating: 0.5, count: k * n)
        var cRaw = [Float](repeating: 0, count: m * n)
        // Raw sgemm as OpenBLAS runs it best on its own: with its own threads on every core.
        setRawBLASThreads(numThreads())
        defer { restoreBLASThreads() }
        let raw = secondsPerCall {
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, aRaw, Int32(ta ? m : k), bRaw, Int32(tb ? k : n),
                        0, &cRaw, Int32(n))
        }
        let flops = 2 * Double(m * n * k)
        let ratio = raw / ember
        ratios.append(ratio)
        print(pad(label, 34) + pad(format(flops / ember / 1e9), 10) + pad(format(flops / raw / 1e9), 10)
              + format(ratio * 100) + " %")
    }
    print("lowest ratio at the training shapes: \(format(ratios.prefix(3).min()! * 100)) % of raw sgemm")
}

/// Puts OpenBLAS back to the threading Ember chose for itself (see BLASThreading).
func restoreBLASThreads() {
    let emberSplits = ProcessInfo.processInfo.environment["EMBER_BLAS_THREADS"] != "openblas"
    setRawBLASThreads(emberSplits ? 1 : numThreads())
}

func setRawBLASThreads(_ count: Int) {
    #if !canImport(Accelerate)
    openblas_set_num_threads(Int32(count))
    #endif
}
