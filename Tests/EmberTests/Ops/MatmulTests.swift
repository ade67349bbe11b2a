#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import Testing
@testable import Ember

/// Products large enough for the CPU backend's fast paths (outputs cleared by memset before BLAS
/// accumulates, work split over threads), checked against a double-precision loop.
@Suite("Matrix products")
struct MatmulTests {
    /// a [batch, m, k] @ b [batch, k, n] in Double.
    static func reference(_ a: [Float], _ b: [Float], batch: Int, m: Int, k: Int, n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: batch * m * n)
        for bi in 0..<batch {
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += Double(a[(bi * m + i) * k + p]) * Double(b[(bi * k + p) * n + j]) }
                    out[(bi * m + i) * n + j] = Float(sum)
                }
            }
        }
        return out
    }

    @Test(arguments: [(40, 30, 50), (150, 120, 130), (64, 784, 256), (256, 64, 784)])
    func largeProductsMatchReference(m: Int, k: Int, n: Int) {
        manualSeed(3)
        let a = Tensor.randn([m, k]), b = Tensor.randn([k, n])
        let expected = Self.reference(a.toArray(), b.toArray(), batch: 1, m: m, k: k, n: n)
        // Twice: the second output comes from the allocator's cache, holding the first one's values.
        for _ in 0..<2 { expectClose(a.matmul(b).toArray(), expected, atol: 1e-3, rtol: 1e-4) }
        // Transposed operands are passed to BLAS as views with transpose flags.
        let at = a.t().contiguous().t(), bt = b.t().contiguous().t()
        expectClose(at.matmul(bt).toArray(), expected, atol: 1e-3, rtol: 1e-4)
    }

    @Test func batchedProductClearsEveryMatrix() {
        manualSeed(4)
        let a = Tensor.randn([3, 130, 40]), b = Tensor.randn([3, 40, 140])
        let expected = Self.reference(a.toArray(), b.toArray(), batch: 3, m: 130, k: 40, n: 140)
        for _ in 0..<2 { expectClose(a.matmul(b).toArray(), expected, atol: 1e-3, rtol: 1e-4) }
    }

    @Test func linearWeightGradientMatchesReference() {
        manualSeed(5)
        let x = Tensor.randn([64, 300]), w = Tensor.randn([200, 300], requiresGrad: true)
        let g = Tensor.randn([64, 200])
        for _ in 0..<2 {
            w.grad = nil
            linear(x, weight: w, bias: nil).backward(g)
            // dW = gᵀ·x
            let expected = Self.reference(g.t().contiguous().toArray(), x.toArray(), batch: 1, m: 200, k: 64, n: 300)
            expectClose(w.grad!.toArray(), expected, atol: 1e-3, rtol: 1e-4)
        }
    }

    /// x·Wᵀ with both operands read along k, as a linear layer's forward: Ember's dot-product kernel
    /// on AVX2 machines. Shapes cover every edge block (m not a multiple of 4, n of 3, k of 8), a
    /// product split over threads (64×784×256), a bias accumulated into the output, and an A too
    /// large for L2, cut into blocks of rows and chunks of k (the bias added once).
    @Test(arguments: [(1, 1, 1), (5, 7, 3), (13, 9, 17), (37, 100, 45), (64, 784, 256), (64, 256, 10), (3, 8, 2),
                      (150, 2500, 7)])
    func dotProductKernelMatchesReference(m: Int, k: Int, n: Int) {
        manualSeed(6)
        let x = Tensor.randn([m, k]), w = Tensor.randn([n, k]), bias = Tensor.randn([n])
        let expected = Self.reference(x.toArray(), w.t().contiguous().toArray(), batch: 1, m: m, k: k, n: n)
        for _ in 0..<2 { expectClose(x.matmul(w.t()).toArray(), expected, atol: 1e-3, rtol: 1e-4) }
        let biasValues = bias.toArray()
        let withBias = expected.indices.map { expected[$0] + biasValues[$0 % n] }
        expectClose(linear(x, weight: w, bias: bias).toArray(), withBias, atol: 1e-3, rtol: 1e-4)
    }

    /// gᵀ·x over a short k, as a weight gradient: Ember's outer-product kernel on AVX2 machines.
    /// Shapes cover the edge blocks (m not a multiple of 6, with every remainder 1-5; n not a multiple
    /// of 16 or 8), a split product, and a k of 600 cut into chunks.
    @Test(arguments: [(1, 1, 1), (13, 3, 29), (7, 65, 23), (6, 64, 16), (9, 7, 32), (11, 5, 48), (10, 64, 256), (250, 200, 37), (256, 64, 784),
                      (100, 600, 30)])
    func outerProductKernelMatchesReference(m: Int, k: Int, n: Int) {
        manualSeed(7)
        let g = Tensor.randn([k, m]), x = Tensor.randn([k, n])
        let expected = Self.reference(g.t().contiguous().toArray(), x.toArray(), batch: 1, m: m, k: k, n: n)
        for _ in 0..<2 { expectClose(g.t().matmul(x).toArray(), expected, atol: 1e-3, rtol: 1e-4) }
        // Batched, each matrix its own product (small shapes only: the reference loop is slow in debug builds).
        guard m * k * n <= 1 << 20 else { return }
        let gb = Tensor.randn([2, k, m]), xb = Tensor.randn([2, k, n])
        let expectedBatch = Self.reference(gb.transpose(1, 2).contiguous().toArray(), xb.toArray(), batch: 2, m: m, k: k, n: n)
        expectClose(gb.transpose(1, 2).matmul(xb).toArray(), expectedBatch, atol: 1e-3, rtol: 1e-4)
    }

    /// g·W over a short k, as an input gradient through a small layer: the same outer products with A
    /// read along its rows. Shapes cover the edge blocks, the seed MLP's [64,10]·[10,256], a split, and
    /// an LSTM's input gradient [100,512]·[512,128], whose k is cut into two chunks.
    @Test(arguments: [(1, 1, 1), (13, 3, 29), (7, 65, 23), (64, 10, 256), (64, 64, 128), (250, 200, 37), (64, 256, 784),
                      (100, 512, 128)])
    func rowOuterProductKernelMatchesReference(m: Int, k: Int, n: Int) {
        manualSeed(8)
        let g = Tensor.randn([m, k]), w = Tensor.randn([k, n])
        let expected = Self.reference(g.toArray(), w.toArray(), batch: 1, m: m, k: k, n: n)
        for _ in 0..<2 { expectClose(g.matmul(w).toArray(), expected, atol: 1e-3, rtol: 1e-4) }
        // A row stride past the row's end: columns of a wider matrix.
        let wide = Tensor.randn([m, k + 5])
        let narrow = wide.narrow(1, start: 2, length: k)
        let expectedNarrow = Self.reference(narrow.contiguous().toArray(), w.toArray(), batch: 1, m: m, k: k, n: n)
        expectClose(narrow.matmul(w).toArray(), expectedNarrow, atol: 1e-3, rtol: 1e-4)
    }

    /// The seed MLP's products go to Ember's kernels where the CPU has AVX2 and FMA; an A·Bᵀ with a
    /// large A too when its k is long (blocked), an outer product only when its A stays in L2.
    @Test func productKernelChoice() {
        typealias Kernel = CPUBackend.ProductKernel
        let plain = CPUBackend.BLASOperand(transpose: CblasNoTrans, leading: 784, offset: 0, batchStride: 0)
        let transposed = CPUBackend.BLASOperand(transpose: CblasTrans, leading: 784, offset: 0, batchStride: 0)
        let own: (Kernel) -> Kernel = { Kernel.available ? $0 : .blas }
        #expect(Kernel(plain, transposed, m: 64, k: 784) == own(.dotProducts))
        #expect(Kernel(transposed, plain, m: 256, k: 64) == own(.outerProducts))
        #expect(Kernel(plain, plain, m: 64, k: 10) == own(.outerProducts))
        #expect(Kernel(plain, plain, m: 64, k: 512) == own(.outerProducts))
        #expect(Kernel(plain, plain, m: 256, k: 512) == .blas)
        #expect(Kernel(transposed, transposed, m: 64, k: 64) == .blas)
        #expect(Kernel(plain, transposed, m: 1024, k: 1024) == own(.dotProducts))
        #expect(Kernel(transposed, plain, m: 1024, k: 128) == .blas)
        #expect(Kernel(plain, transposed, m: 2800, k: 28) == .blas)
        #expect(Kernel(transposed, plain, m: 64, k: 512) == own(.outerProducts))
        #expect(Kernel(transposed, plain, m: 512, k: 2800) == .blas)
    }
}
