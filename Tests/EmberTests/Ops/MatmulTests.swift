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
}
