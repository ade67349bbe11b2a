import Foundation
import Testing
@testable import Ember

@Suite("Autograd")
struct AutogradTests {
    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let x = Tensor([1, -2, 3] as [Float], requiresGrad: true)
        (x * x).sum().backward()
        #expect(x.grad?.toArray() == [2, -4, 6])
        (x * x).sum().backward()
        #expect(x.grad?.toArray() == [4, -8, 12])
        x.grad = nil
        (x * 3).sum().backward()
        #expect(x.grad?.toArray() == [3, 3, 3])
    }

    @Test func retainGraphAllowsASecondBackward() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let y = (x * x).exp().sum()
        y.backward(retainGraph: true)
        let once = x.grad!.toArray()
        y.backward()
        expectClose(x.grad!.toArray(), once.map { $0 * 2 })
    }

    @Test func backwardTwiceWithoutRetainGraphStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2] as [Float], requiresGrad: true)
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
        #expect(stderr(r).contains("trying to backward through the graph a second time"))
        #expect(stderr(r).contains("backward(retainGraph: true)"))
    }

    @Test func nonScalarBackwardNeedsAGradient() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2] as [Float], requiresGrad: true)
            (x * 2).backward()
        }
        #expect(stderr(r).contains("backward: grad can be implicitly created only for scalar outputs, but the tensor has shape [2]"))
    }

    @Test func nonScalarBackwardWithAGradient() {
        let x = Tensor([1, 2, 3] as [Float], requiresGrad: true)
        (x * x).backward(Tensor([1, 0.5, -1] as [Float]))
        #expect(x.grad?.toArray() == [2, 2, -6])
    }

    @Test func gradientOfTheWrongShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2, 3] as [Float], requiresGrad: true)
            (x * 2).backward(Tensor.ones([2]))
        }
        #expect(stderr(r).contains("backward: gradient of shape [2] does not match the tensor's shape [3]"))
    }

    @Test func backwardWithoutGradStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tensor([1, 2] as [Float]).sum().backward()
        }
        #expect(stderr(r).contains("backward() on a tensor that does not require grad"))
    }

    @Test func backwardOnALeaf() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        x.backward(Tensor([3, 4] as [Float]))
        #expect(x.grad?.toArray() == [3, 4])
        let s = Tensor(Float(5), requiresGrad: true)
        s.backward()
        #expect(s.grad?.item() == 1)
    }

    @Test func noGradAndDetach() {
        let x = Tensor([1, 2] as [Float], requiresGrad: true)
        let y = noGrad { x * 2 }
        #expect(!y.requiresGrad && y.gradFn == nil)
        let z = noGrad { enableGrad { x * 2 } }
        #expect(z.requiresGrad && z.gradFn != nil)
        #expect(GradMode.isEnabled)
        let d = x.detach()
        #expect(d.storage === x.storage && !d.requiresGrad && d.isLeaf)
        (x * d).sum().backward()
        #expect(x.grad?.toArray() == [1, 2])  // d is a constant: d(x·d)/dx = d
    }

    @Test func onlyLeavesThatRequireGradGetOne() {
        let a = Tensor([1, 2] as [Float], requiresGrad: true), b = Tensor([3, 4] as [Float])
        let h = a * b
        (h * h).sum().backward()
        #expect(b.grad == nil && h.grad == nil)
        #expect(a.grad?.toArray() == [18, 64])  // 2 a b²
    }

    @Test func sharedSubgraphsSumTheirGradients() {
        let x = Tensor([0.5, -1] as [Float], requiresGrad: true)
        let e = x.exp()
        let y = (e * e + e * x + x.sin()).sum()
        y.backward()
        let v = x.toArray()
        let expected = v.map { 2 * Foundation.exp(2 * $0) + Foundation.exp($0) * ($0 + 1) + Foundation.cos($0) }
        expectClose(x.grad!.toArray(), expected)
    }

    /// Slices of a computed tensor add their gradients into its gradient in place; that sum must
    /// match the plain one, mixed with whole-tensor uses and other slices, and leave no aliasing.
    @Test func slicesOfAComputedTensorSumTheirGradients() {
        let x = Tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]] as [[Float]], requiresGrad: true)
        let weights = Tensor([[0.5, -1, 2], [1, 1, -3], [0.25, 4, 1]] as [[Float]])
        let y = x * 2                                   // computed: its slices take the in-place path
        var loss = (y[0] * weights[0]).sum()            // a slice first
        loss = loss + (y * weights).sum()               // then the whole tensor
        loss = loss + (y[2] * y[2]).sum() + (y.slice(1, start: 1, end: 3) * 3).sum() + y.select(1, 0).sum()
        loss.backward(retainGraph: true)
        // d/dy: weights[0] on row 0, weights, 2·y on row 2, 3 on columns 1-2, 1 on column 0; then ·2.
        let yv = x.toArray().map { $0 * 2 }, w = weights.toArray()
        var expected = [Float](repeating: 0, count: 9)
        for i in 0..<3 {
            for j in 0..<3 {
                var g = w[i * 3 + j] + (i == 0 ? w[j] : 0) + (i == 2 ? 2 * yv[i * 3 + j] : 0)
                g += j >= 1 ? 3 : 1
                expected[i * 3 + j] = 2 * g
            }
        }
        expectClose(x.grad!.toArray(), expected)
        // The retained graph gives the same gradient again (the accumulators were this pass's own).
        x.grad = nil
        loss.backward()
        expectClose(x.grad!.toArray(), expected)
    }

    /// A seed handed on as it is must never be the buffer that slices add into.
    @Test func slicesDoNotWriteIntoTheSeed() {
        let x = Tensor([[1, 2], [3, 4]] as [[Float]], requiresGrad: true)
        let y = x * 2
        let z = y + y[0]                                  // z's gradient reaches y whole, then through y[0]
        let seed = Tensor([[1, 10], [100, 1000]] as [[Float]])
        z.backward(seed)
        #expect(seed.toArray() == [1, 10, 100, 1000])
        #expect(x.grad!.storage !== seed.storage)
        #expect(x.grad!.toArray() == [204, 2040, 200, 2000] as [Float])   // 2·(seed + the rows of seed summed into row 0)
    }

    @Test func leafGradsDoNotAlias() {
        let a = Tensor([1, 2] as [Float], requiresGrad: true), b = Tensor([3, 4] as [Float], requiresGrad: true)
        let seed = Tensor([1, 1] as [Float])
        (a + b).backward(seed)
        #expect(a.grad!.storage !== b.grad!.storage)
        #expect(a.grad!.storage !== seed.storage)
        a.grad!.mul_(5)
        #expect(b.grad!.toArray() == [1, 1] && seed.toArray() == [1, 1])
    }

    @Test func deepGraphsDoNotOverflowTheStack() {
        let x = Tensor([1] as [Float], requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        expectClose(x.grad!.toArray(), [Foundation.pow(Float(1.0001), 20_000)], rtol: 1e-3)
    }

    @Test func graphsAreReleasedWithoutBackward() {
        weak var output: Tensor?, node: GradNode?
        do {
            let x = Tensor([2] as [Float], requiresGrad: true)
            let y = x.pow(Tensor([3] as [Float])).exp() * x
            output = y
            node = y.gradFn
        }
        #expect(output == nil && node == nil)
    }

    // MARK: In-place safety

    @Test func inPlaceOnALeafThatRequiresGradStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tensor([1, 2] as [Float], requiresGrad: true).add_(1)
        }
        #expect(stderr(r).contains("add_: a leaf tensor that requires grad (shape [2]) is being used in an in-place operation"))
    }

    @Test func inPlaceOnALeafInsideNoGradIsAllowed() {
        let w = Tensor([1, 2] as [Float], requiresGrad: true)
        noGrad { w.add_(Tensor([0.5, 0.5] as [Float]), alpha: -2) }
        #expect(w.toArray() == [0, 1] && w.requiresGrad && w.isLeaf)
    }

    @Test func modifiedSavedTensorIsDetectedAtBackward() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor([1, 2] as [Float], requiresGrad: true)
            let a = Tensor([3, 4] as [Float])
            let y = (w * a).sum()
            a.mul_(2)
            y.backward()
        }
        #expect(stderr(r).contains("saved by mul for its gradient was modified by an in-place operation"))
    }

    @Test func modifiedViewOfSavedTensorIsDetected() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor([1, 2] as [Float], requiresGrad: true)
            let a = Tensor([3, 4, 5, 6] as [Float])
            let y = w.matmul(a.view(2, 2)).sum()
            a[1..<2].fill_(0)
            y.backward()
        }
        #expect(stderr(r).contains("saved by matmul for its gradient was modified"))
    }

    @Test func unsavedInputsMayChangeBeforeBackward() {
        let w = Tensor([1, 2] as [Float], requiresGrad: true)
        let a = Tensor([3, 4] as [Float])
        let y = (w + a).sum()  // add saves nothing
        a.mul_(2)
        y.backward()
        #expect(w.grad?.toArray() == [1, 1])
    }

    @Test func inPlaceOnAGraphTensorStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor([1, 2] as [Float], requiresGrad: true)
            (w * 2).mul_(3)
        }
        #expect(stderr(r).contains("mul_: in-place operations on tensors that are part of the graph are not supported"))
    }

    // MARK: Grad mode is per task and thread

    @Test func noGradInOneThreadDoesNotAffectAnother() {
        let entered = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seenElsewhere = false
        Thread {
            noGrad {
                entered.signal()
                release.wait()
            }
        }.start()
        entered.wait()
        Thread {
            seenElsewhere = GradMode.isEnabled
            done.signal()
        }.start()
        done.wait()
        release.signal()
        #expect(seenElsewhere)
    }

    @Test func noGradInOneTaskDoesNotAffectAnother() async {
        let results = await withTaskGroup(of: (Bool, Bool).self) { group in
            for i in 0..<8 {
                group.addTask {
                    let x = Tensor([1] as [Float], requiresGrad: true)
                    if i % 2 == 0 {
                        return noGrad { (false, (x * 2).requiresGrad) }
                    }
                    return (true, (x * 2).requiresGrad)
                }
            }
            var out: [(Bool, Bool)] = []
            for await r in group { out.append(r) }
            return out
        }
        #expect(results.allSatisfy { $0.0 == $0.1 })
    }
}
