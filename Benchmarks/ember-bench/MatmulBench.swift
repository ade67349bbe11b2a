import Ember
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Ember's matmul against raw cblas_sgemm on the same buffers' shapes, at the MLP's training shapes
/// (forward, the two backward products), at the evaluation's first product (batch 1000) and at 1024³.
func matmulBenchmark() {
    print("matmul: Ember vs raw cblas_sgemm (GFLOP/s, best of 5)")
    print(pad("shape", 34) + pad("ember", 10) + pad("sgemm", 10) + "ratio")
    // (label, m, k, n, transposeA, transposeB) as the MLP's step issues them.
    let cases: [(String, Int, Int, Int, Bool, Bool)] = [
        ("fwd  x[64,784]·Wᵀ[784,256]", 64, 784, 256, false, true),
        ("bwd  gᵀ[256,64]·x[64,784]", 256, 64, 784, true, false),
        ("bwd  g[64,256]·W[256,784]", 64, 256, 784, false, false),
        ("eval x[1000,784]·Wᵀ[784,256]", 1000, 784, 256, false, true),
        ("cnn  x[64,9216]·Wᵀ[9216,128]", 64, 9216, 128, false, true),
        ("cnn  gᵀ[128,64]·x[64,9216]", 128, 64, 9216, true, false),
        ("cnn  g[64,128]·W[128,9216]", 64, 128, 9216, false, false),
        ("lstm x[2800,28]·Wᵀ[28,512]", 2800, 28, 512, false, true),
        ("lstm g[100,512]·W[512,128]", 100, 512, 128, false, false),
        ("lstm g[2800,512]·W[512,128]", 2800, 512, 128, false, false),
        ("lstm gᵀ[512,2800]·x[2800,128]", 512, 2800, 128, true, false),
        ("1024³", 1024, 1024, 1024, false, false),
        ("1024³ A·Bᵀ", 1024, 1024, 1024, false, true),
        ("2048²·512 A·Bᵀ", 2048, 512, 2048, false, true),
    ]
    var ratios: [Double] = []
    for (label, m, k, n, ta, tb) in cases {
        // Operands stored as the training step stores them; transposes are views.
        let a = ta ? Tensor.randn([k, m]).t() : Tensor.randn([m, k])
        let b = tb ? Tensor.randn([n, k]).t() : Tensor.randn([k, n])
        let aRaw = [Float](repeating: 0.5, count: m * k), bRaw = [Float](repeating: 0.5, count: k * n)
        var cRaw = [Float](repeating: 0, count: m * n)
        // Ember and raw sgemm take turns, best of 5 each, so a slow spell of the machine hits both.
        var ember = Double.infinity, raw = Double.infinity
        for _ in 0..<5 {
            ember = min(ember, secondsPerCall(rounds: 1) { _ = noGrad { a.matmul(b) } })
            raw = min(raw, withRawBLASThreads { secondsPerCall(rounds: 1) {
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), 1, aRaw, Int32(ta ? m : k), bRaw, Int32(tb ? k : n),
                            0, &cRaw, Int32(n))
            } })
        }
        let flops = 2 * Double(m * n * k)
        let ratio = raw / ember
        ratios.append(ratio)
        print(pad(label, 34) + pad(format(flops / ember / 1e9), 10) + pad(format(flops / raw / 1e9), 10)
              + format(ratio * 100) + " %")
    }
    print("lowest ratio at the training shapes: \(format(ratios.prefix(3).min()! * 100)) % of raw sgemm")
}

/// Runs `body` with raw sgemm as OpenBLAS runs it best on its own, with its own threads on every
/// core, then gives the threading back to Ember.
func withRawBLASThreads<T>(_ body: () -> T) -> T {
    setRawBLASThreads(numThreads())
    defer { restoreBLASThreads() }
    return body()
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

/// Seconds for the seed MLP step's five products (forward x·W1ᵀ and h·W2ᵀ with the bias, backward
/// gᵀ·h, g·W2 and gᵀ·x) through raw cblas_sgemm on OpenBLAS's own threads: the floor of a step.
func stepProductsFloor() -> Double {
    let x = [Float](repeating: 0.5, count: 64 * 784), w1 = [Float](repeating: 0.01, count: 256 * 784)
    let w2 = [Float](repeating: 0.01, count: 10 * 256), g2 = [Float](repeating: 0.1, count: 64 * 10)
    var h = [Float](repeating: 0, count: 64 * 256), out = [Float](repeating: 0, count: 64 * 10)
    var dw1 = [Float](repeating: 0, count: 256 * 784), dw2 = [Float](repeating: 0, count: 10 * 256)
    var dh = [Float](repeating: 0, count: 64 * 256)
    return withRawBLASThreads { secondsPerCall(minimum: 0.1) {
        // Bias products accumulate into the prefilled bias (beta 1); the gradients start from zero,
        // each in the cheaper of its two ways (see CPUMatmul).
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 64, 256, 784, 1, x, 784, w1, 784, 1, &h, 256)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 64, 10, 256, 1, h, 256, w2, 256, 1, &out, 10)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 10, 256, 64, 1, g2, 10, h, 256, 0, &dw2, 256)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 256, 10, 1, g2, 10, w2, 256, 0, &dh, 256)
        dw1.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 256, 784, 64, 1, dh, 256, x, 784, 1, &dw1, 784)
    } }
}

/// Seconds for the evaluation's dominant product, x[rows, 784]·W1ᵀ with the bias, through raw sgemm.
func evaluationProductFloor(rows: Int) -> Double {
    let x = [Float](repeating: 0.5, count: rows * 784), w1 = [Float](repeating: 0.01, count: 256 * 784)
    var h = [Float](repeating: 0, count: rows * 256)
    return withRawBLASThreads { secondsPerCall(minimum: 0.2) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), 256, 784, 1, x, 784, w1, 784, 1, &h, 256)
    } }
}
