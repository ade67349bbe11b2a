import Testing
@testable import Ember

@Suite("In-place ops")
struct InPlaceTests {
    @Test func arithmetic() {
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        let v0 = x.storage.version
        x.add_(Tensor([10, 20] as [Float]))
        #expect(x.toArray() == [11, 22, 13, 24])
        x.sub_(Tensor([1, 2] as [Float], shape: [2, 1]))
        #expect(x.toArray() == [10, 21, 11, 22])
        x.mul_(2)
        #expect(x.toArray() == [20, 42, 22, 44])
        x.div_(Tensor(Float(2)))
        #expect(x.toArray() == [10, 21, 11, 22])
        x.add_(-1)
        x.mul_(Tensor([1, 0] as [Float]))
        #expect(x.toArray() == [9, 0, 10, 0])
        x.add_(Tensor([1, 1, 1, 1] as [Float], shape: [2, 2]), alpha: 0.5)
        #expect(x.toArray() == [9.5, 0.5, 10.5, 0.5])
        x.clampMax_(10).clampMin_(1)
        #expect(x.toArray() == [9.5, 1, 10, 1])
        #expect(x.storage.version > v0)
        let v1 = x.storage.version
        x.zero_()
        #expect(x.toArray() == [0, 0, 0, 0] && x.storage.version > v1)
    }

    @Test func onStridedViews() {
        let base = Tensor((0..<12).map(Float.init), shape: [3, 4])
        base.t().slice(0, step: 2).add_(Tensor([100, 200, 300] as [Float]))  // columns 0 and 2
        #expect(base.toArray() == [100, 1, 102, 3, 204, 5, 206, 7, 308, 9, 310, 11])
        base.select(1, 1).fill_(-1)
        #expect(base.toArray() == [100, -1, 102, 3, 204, -1, 206, 7, 308, -1, 310, 11])
        base[2].copy_(Tensor([7] as [Float]))
        #expect(base[2].toArray() == [7, 7, 7, 7])
        base.narrow(0, start: 0, length: 2).copy_(Tensor.arange(8).reshape(2, 4))  // int64 source converted
        #expect(base.toArray() == [0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7])
    }

    @Test func mulThroughExpandedSource() {
        let x = Tensor.ones([2, 3])
        x.mul_(Tensor([1, 2, 3] as [Float], shape: [1, 3]).expand(2, 3))
        #expect(x.toArray() == [1, 2, 3, 1, 2, 3])
    }

    @Test func cloneIsIndependentAndDifferentiable() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let c = x.clone()
        #expect(c.storage !== x.storage && c.gradFn != nil)
        (c * c).sum().backward()
        #expect(x.grad?.toArray() == [2, 4])
    }
}

@Suite("Dtypes and edge shapes")
struct DTypeTests {
    @Test func intArithmeticStaysInt() {
        let a = Tensor([1, 2, 3]), b = Tensor([10, 20, 30])
        let s = a + b
        #expect(s.dtype == .int64 && s.toIntArray() == [11, 22, 33])
        #expect((b - a).toIntArray() == [9, 18, 27] && (a * b).toIntArray() == [10, 40, 90])
        #expect(a.eq(Tensor([1, 0, 3])).toArray() == [1, 0, 1])
    }

    /// Mixed int64 and float32 operands compute in float32, as PyTorch promotes them.
    @Test func mixedIntAndFloatPromoteToFloat() {
        let ints = Tensor([1, 2, 3])
        let sum = ints + Tensor([0.5, 0.25, -1.5] as [Float])
        #expect(sum.dtype == .float32 && sum.toArray() == [1.5, 2.25, 1.5])
        #expect((Tensor([0.5] as [Float]) * ints).toArray() == [0.5, 1, 1.5])
        #expect(ints.lt(2.5).toArray() == [1, 1, 0])
        #expect(ints.eq(2).toArray() == [0, 1, 0])
        #expect(ints.gt(Tensor([1.5, 1.5, 3.5] as [Float])).toArray() == [0, 1, 0])
    }

    @Test func reductionsOfIntTensors() {
        let labels = Tensor([[3, 1, 2], [0, 5, 4]])
        #expect(labels.sum().toIntArray() == [15])
        #expect(labels.sum(dim: 0).toIntArray() == [3, 6, 6])
        #expect(labels.max().toIntArray() == [5])
        #expect(labels.argmax(dim: 1).toIntArray() == [0, 1])
        #expect(labels.min(dim: 1).values.toIntArray() == [1, 0])
    }

    @Test func emptyTensors() {
        let e = Tensor.zeros([0, 3])
        #expect((e + e).shape == [0, 3])
        #expect((e + Tensor.ones([3])).count == 0)
        #expect(e.exp().count == 0 && e.sum().item() == 0)
        #expect(Tensor.cat([Tensor.ones([2, 3]), e], dim: 0).shape == [2, 3])
        let x = Tensor.ones([2, 3])
        #expect(x.slice(1, start: 2, end: 2).shape == [2, 0])
        #expect(x.slice(1, start: 2, end: 2).mul_(2).count == 0)
        #expect(Tensor.zeros([0, 40]).sum(dim: 0).toArray() == [Float](repeating: 0, count: 40))
        #expect(Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3])).toArray() == [0, 0, 0, 0, 0, 0])
    }

    @Test func sumOverNoDimsSumsAll() {
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2], requiresGrad: true)
        let s = x.sum(dims: [])
        #expect(s.shape == [] && s.item() == 10)
        #expect(x.isLeaf)
        s.backward()
        #expect(x.grad?.toArray() == [1, 1, 1, 1])
    }

    @Test func extremaAndArgmax() {
        let x = Tensor([[1, 5, 5], [7, -2, 7]] as [[Float]])
        #expect(x.argmax().toIntArray() == [3])
        #expect(x.argmax(dim: 1, keepdim: true).shape == [2, 1])
        #expect(x.argmin(dim: 0).toIntArray() == [0, 1, 0])
        let m = x.max(dim: 1)
        #expect(m.values.toArray() == [5, 7] && m.indices.toIntArray() == [1, 0])  // first maximal index, like torch
        let nan = Tensor([1, .nan, 3] as [Float])
        #expect(nan.max().item().isNaN && nan.argmax().toIntArray() == [1])
    }

    @Test func maximumTiesSplitTheGradient() {
        let a = Tensor([1, 2] as [Float], requiresGrad: true), b = Tensor([1, 3] as [Float], requiresGrad: true)
        a.maximum(b).sum().backward()
        #expect(a.grad?.toArray() == [0.5, 0] && b.grad?.toArray() == [0.5, 1])
    }
}

/// The in-place linear combinations (add_ with alpha, scaleAdd_, lerp_) and the kernels behind add_,
/// sub_ and a scalar mul_, on contiguous, strided and broadcast operands.
@Suite struct LinearCombinationTests {
    @Test func scaleAddLerpAndAlphaMatchTheirFormulas() {
        noGrad {
            let m = Tensor([1, 2, 3, 4] as [Float]), g = Tensor([4, 3, 2, 1] as [Float])
            m.scaleAdd_(0.5, g, alpha: 2)
            #expect(m.toArray() == [8.5, 7, 5.5, 4])
            m.lerp_(g, weight: 0.5)
            #expect(m.toArray() == [6.25, 5, 3.75, 2.5])
            m.add_(g, alpha: -1)
            #expect(m.toArray() == [2.25, 2, 1.75, 1.5])
        }
    }

    @Test func largeAndStridedOperandsTakeEveryPath() {
        noGrad {
            manualSeed(9)
            // 300K floats: split over threads; a scalar, a transposed source and a strided target.
            let x = Tensor.randn([600, 500]), y = Tensor.randn([600, 500])
            let expected = zip(x.toArray(), y.toArray()).map { 0.9 * $0 + 0.1 * $1 }
            expectClose(x.clone().scaleAdd_(0.9, y, alpha: 0.1).toArray(), expected, atol: 1e-6, "contiguous")
            let transposed = Tensor.randn([500, 600]).t()
            let viaCopy = x.clone().add_(transposed.contiguous())
            expectClose(x.clone().add_(transposed).toArray(), viaCopy.toArray(), atol: 1e-6, "transposed source")
            expectClose(x.clone().mul_(-2).toArray(), x.toArray().map { -2 * $0 }, atol: 1e-6, "scalar product")
            #expect(Tensor([1, -1, 0] as [Float]).mul_(.infinity).toArray()[0...1] == [.infinity, -.infinity])
            #expect(Tensor([-1, -2] as [Float]).mul_(0).toArray().allSatisfy { $0 == 0 && $0.sign == .minus })   // −0, as PyTorch
            let target = Tensor.zeros([4, 6]), columns = target.slice(1, step: 2)
            columns.add_(Tensor.ones([4, 3]), alpha: 3)
            #expect(target.toArray() == (0..<24).map { $0 % 2 == 0 ? 3 : 0 })
            let same = Tensor([1, 2, 3] as [Float])
            same.sub_(same)   // a source that is the target itself
            #expect(same.toArray() == [0, 0, 0])
        }
    }

    @Test func stridedTargetsReadASharedFactorAsItChanges() {
        // Every other element times x[0], which the product itself changes first (PyTorch: [4, 3, 16, 5]).
        let x = Tensor([2, 3, 4, 5] as [Float], shape: [1, 4])
        noGrad { _ = x.slice(1, start: 0, end: 4, step: 2).mul_(x.narrow(1, start: 0, length: 1)) }
        #expect(x.toArray() == [4, 3, 16, 5])
        // Sums into a strided target take the plain loop.
        let y = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [3, 2])
        noGrad { _ = y.select(1, 0).add_(Tensor([10, 20, 30] as [Float])) }
        #expect(y.toArray() == [11, 2, 23, 4, 35, 6])
    }
}
