#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CEmberKernels
import Foundation

/// Who runs large matrix products on several cores. By default Ember splits them into column (or
/// row) blocks over its own threads and keeps OpenBLAS single-threaded, so one pool owns the cores
/// and OpenBLAS's spinning workers never compete with Ember's kernels. Measured here on 2 idle
/// cores: the CNN step takes 74 ms this way against 95 ms with OpenBLAS's threads, the MLP epoch
/// 0.71 s against 0.64 s; with other processes on the machine this way degrades far less.
/// `EMBER_BLAS_THREADS=openblas` hands threading to OpenBLAS instead.
enum BLASThreading {
    static let emberSplitsProducts: Bool = {
        let ember = ProcessInfo.processInfo.environment["EMBER_BLAS_THREADS"] != "openblas"
        #if !canImport(Accelerate)
        if ember { openblas_set_num_threads(1) }
        #endif
        return ember
    }()
}

/// Matrix products through `cblas_sgemm`. A transposed view (column stride 1) is passed with
/// CblasTrans and its leading dimension instead of being copied.
extension CPUBackend {
    public func matmul(_ a: StridedView, _ b: StridedView, bias: StridedView?, batch: Int, m: Int, n: Int, k: Int) -> Storage {
        let out = allocate(count: batch * m * n, dtype: .float32)
        let c = out.floats()
        if m == 0 || n == 0 { return out }
        let (aStorage, aOp) = Self.blasOperand(a, rows: m, cols: k, backend: self)
        let (bStorage, bOp) = Self.blasOperand(b, rows: k, cols: n, backend: self)
        let kernel = ProductKernel(aOp, bOp, m: m, k: k)
        var beta: Float = 0
        // The dot-product kernel adds the bias as it writes C; otherwise C starts as the bias rows.
        var biasData: Storage?
        var kernelBias: UnsafeMutablePointer<Float>?
        if let bias {
            let data = bias.isContiguous ? bias.storage : copy(bias)
            let bp = data.floats() + (bias.isContiguous ? bias.offset : 0)
            biasData = data
            if kernel == .dotProducts && k > 0 {
                kernelBias = bp
            } else {
                for row in 0..<(batch * m) { (c + row * n).update(from: bp, count: n) }
                beta = 1
            }
        }
        if k == 0 {
            if bias == nil { fill(out, count: batch * m * n, dtype: .float32, value: 0) }
            return out
        }
        // OpenBLAS clears C for beta = 0 in a separate pass (sgemm_beta) that costs more than memset:
        // the MLP's weight gradient (256×784, k = 64) takes 250 µs that way against 13 + 172 µs here,
        // its 10×256 one 7.8 µs against 6.5. Ember's own kernels write C without clearing it first.
        if kernel == .blas && beta == 0 && m * n >= Self.clearedOutputSize {
            memset(c, 0, batch * m * n * MemoryLayout<Float>.size)
            beta = 1
        }
        withExtendedLifetime((aStorage, bStorage, biasData)) {
            let ap = aStorage.floats(), bp = bStorage.floats()
            for i in 0..<batch {
                Self.sgemm(kernel, aOp, ap + aOp.offset + i * aOp.batchStride, bOp, bp + bOp.offset + i * bOp.batchStride,
                           c + i * m * n, m: m, n: n, k: k, beta: beta, bias: kernelBias)
            }
        }
        return out
    }

    /// Outputs at least this large (m·n) are cleared with memset and accumulated into (beta = 1).
    static let clearedOutputSize = 1 << 10

    /// Products at least this large (m·n·k) are split over the cores by Ember; smaller ones run on
    /// the calling thread, where a hand-off would cost more than it saves.
    static let parallelProductSize = 1 << 20

    /// One product (beta 0 or 1); a large one is split into column (or row) blocks run on Ember's
    /// threads while BLAS itself runs single-threaded (see `BLASThreading`).
    /// `bias` (n floats added to each row of C) only with the dot-product kernel.
    static func sgemm(_ kernel: ProductKernel, _ aOp: BLASOperand, _ a: UnsafeMutablePointer<Float>, _ bOp: BLASOperand,
                      _ b: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, beta: Float,
                      bias: UnsafeMutablePointer<Float>? = nil) {
        precondition(bias == nil || kernel == .dotProducts, "Ember: only the dot-product kernel adds a bias")
        func call(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  _ bias: UnsafeMutablePointer<Float>?, _ rows: Int, _ cols: Int) {
            switch kernel {
            case .blas:
                cblas_sgemm(CblasRowMajor, aOp.transpose, bOp.transpose, Int32(rows), Int32(cols), Int32(k), 1,
                            a, Int32(aOp.leading), b, Int32(bOp.leading), beta, c, Int32(n))
            case .dotProducts:
                BlockedProduct.nt(m: rows, n: cols, k: k, a: a, lda: aOp.leading, b: b, ldb: bOp.leading, c: c, ldc: n,
                                  accumulate: beta != 0, bias: bias)
            case .outerProducts:
                let product = aOp.transpose == CblasTrans ? BlockedProduct.tn : BlockedProduct.nn
                product(rows, cols, k, a, aOp.leading, b, bOp.leading, c, n, beta != 0)
            }
        }
        let pieces = BLASThreading.emberSplitsProducts ? Swift.min(Parallel.threadCount, Swift.max(m, n) / 16) : 1
        if pieces <= 1 || m * n * k < parallelProductSize {
            call(a, b, c, bias, m, n)
            return
        }
        // A weight gradient (Aᵀ·B) is split by rows even when it is wider than tall: each thread then
        // writes one contiguous stretch of C, the stretch the optimizer's split of the flat gradient
        // hands that same thread next (the MLP's backward: 189 against 196-204 µs here).
        let byRows = n < m || (kernel == .outerProducts && aOp.transpose == CblasTrans && m >= 16 * pieces)
        Parallel.forEach(pieces) { p in
            if !byRows {
                // Columns n0..<n1 of C come from columns n0..<n1 of op(B).
                let n0 = p * n / pieces, n1 = (p + 1) * n / pieces
                let bBlock = bOp.transpose == CblasNoTrans ? b + n0 : b + n0 * bOp.leading
                call(a, bBlock, c + n0, bias.map { $0 + n0 }, m, n1 - n0)
            } else {
                // Rows m0..<m1 of C come from rows m0..<m1 of op(A).
                let m0 = p * m / pieces, m1 = (p + 1) * m / pieces
                let aBlock = aOp.transpose == CblasNoTrans ? a + m0 * aOp.leading : a + m0
                call(aBlock, b, c + m0 * n, bias, m1 - m0, n)
            }
        }
    }

    /// Who computes a product. OpenBLAS packs both operands into blocks before multiplying; for the
    /// small, fixed shapes of a small network's step that packing is a large share of the work, and
    /// Ember's register-blocked AVX2 kernels (SmallGemm.c), which read the operands in place, are
    /// faster. Measured on one core of a Zen 2/3 VM: the seed MLP's forward product (64×128, k = 784)
    /// 87 against 80 GFLOP/s, its weight gradient (256×392, k = 64) 80 against 73 plus the 13 µs
    /// clearing of C.
    ///
    /// An A·Bᵀ too large for L2 still goes to the dot-product kernel, in blocks of A that fit L2
    /// (`BlockedProduct.nt`), when its k is at least 256 and Ember splits products over its threads:
    /// on a Zen 1 VM (2 threads, 80 GFLOP/s peak) single-threaded OpenBLAS 0.3.21 falls to 10–25
    /// GFLOP/s for outputs 128–320 wide, so the evaluation's x[1000,784]·Wᵀ took 24 GFLOP/s through it
    /// and 68–71 through the kernel, the CNN's fc1 (x[64,9216]·Wᵀ) 26 against 65–70, and 1024³ A·Bᵀ is 67–72
    /// against OpenBLAS's 67–68 on its own threads (`ember-bench matmul`). Shorter dot products (an
    /// LSTM's x[2800,28]·Wᵀ) spend more on their final sums across lanes than they save.
    enum ProductKernel {
        case blas
        /// A·Bᵀ with both read along k (a linear layer's forward): `ember_sgemm_nt`.
        case dotProducts
        /// Aᵀ·B or A·B with A small enough for L2 (a weight gradient over a batch, an input gradient
        /// through a small layer): `ember_sgemm_tn`, `ember_sgemm_nn`, k cut into chunks that keep B's
        /// panel in L1 (`BlockedProduct`).
        case outerProducts

        static let available = ember_small_gemm_available() != 0
        /// The outer-product kernel passes over all of A once per 16 columns of C, so A has to stay
        /// in L2 (256 KiB).
        static let largestA = 1 << 16
        /// A dot product at least this long repays its final sum across lanes even when A must be
        /// cut into blocks (a few hundred rows each); a shorter one with a large A goes to BLAS.
        static let longDotK = 256

        init(_ aOp: BLASOperand, _ bOp: BLASOperand, m: Int, k: Int) {
            self = .blas
            guard Self.available else { return }
            // A large A is only worth the kernel when Ember splits the product over its threads.
            let largeAllowed = k >= Self.longDotK && BLASThreading.emberSplitsProducts
            if aOp.transpose == CblasNoTrans && bOp.transpose == CblasTrans && (m * k <= Self.largestA || largeAllowed) {
                self = .dotProducts
            } else if bOp.transpose == CblasNoTrans && m * k <= Self.largestA {
                self = .outerProducts
            }
        }
    }

    struct BLASOperand {
        var transpose: CBLAS_TRANSPOSE
        var leading: Int
        var offset: Int
        var batchStride: Int
    }

    /// How BLAS reads a [batch, rows, cols] view: as is, transposed, or (for other strides) from a copy.
    static func blasOperand(_ v: StridedView, rows: Int, cols: Int, backend: CPUBackend) -> (Storage, BLASOperand) {
        let sb = v.strides[0], sr = v.strides[1], sc = v.strides[2]
        if sc == 1 || cols == 1, sr >= max(1, cols) || rows == 1 {
            return (v.storage, BLASOperand(transpose: CblasNoTrans, leading: max(sr, cols, 1), offset: v.offset, batchStride: sb))
        }
        if sr == 1 || rows == 1, sc >= max(1, rows) || cols == 1 {
            return (v.storage, BLASOperand(transpose: CblasTrans, leading: max(sc, rows, 1), offset: v.offset, batchStride: sb))
        }
        let copied = backend.copy(v)
        let batchStride = v.shape[0] == 1 || sb == 0 ? 0 : rows * cols
        let compact = sb == 0 ? backend.copy(StridedView(storage: v.storage, shape: [rows, cols], strides: [sr, sc],
                                                           offset: v.offset, dtype: v.dtype)) : copied
        return (compact, BLASOperand(transpose: CblasNoTrans, leading: max(cols, 1), offset: 0, batchStride: batchStride))
    }
}
