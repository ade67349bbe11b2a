import Testing
@testable import Ember

/// View ops share storage with their input: no copies, and writes through a view are visible.
@Suite("Views")
struct ViewTests {
    func grid() -> Tensor { Tensor((0..<24).map(Float.init), shape: [2, 3, 4]) }

    @Test func viewsShareStorage() {
        let x = grid()
        let views: [Tensor] = [
            x.reshape([6, 4]), x.view([4, 6]), x.view(-1), x.transpose(0, 2), x.permute(2, 0, 1),
            x.slice(1, start: 1), x.narrow(2, start: 1, length: 2), x.unsqueeze(1), x.unsqueeze(1).squeeze(),
            x.select(0, 1), x[1], x[0..<1], x.flatten(), x.slice(2, step: 2),
            Tensor([1, 2, 3] as [Float], shape: [3, 1]).expand([2, 3, 4]),
        ]
        for v in views.dropLast() { #expect(v.storage === x.storage) }
        #expect(x.t2d().storage === x.storage)
    }

    @Test func stridesAndOffsets() {
        let x = grid()
        let t = x.transpose(0, 2)
        #expect(t.shape == [4, 3, 2] && t.strides == [1, 4, 12] && !t.isContiguous)
        let s = x.slice(2, start: 1, end: 4, step: 2)
        #expect(s.shape == [2, 3, 2] && s.strides == [12, 4, 2] && s.offset == 1)
        #expect(s.toArray() == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23])
        let n = x.narrow(1, start: -2, length: 2)
        #expect(n.offset == 4 && n.toArray() == Array((4..<12).map(Float.init) + (16..<24).map(Float.init)))
        let e = Tensor([1, 2, 3] as [Float], shape: [3, 1]).expand([2, 3, 4])
        #expect(e.strides == [0, 1, 0] && e.toArray() == [Float]([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]) + [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
        #expect(Tensor([5] as [Float]).expand(-1).shape == [1])
        #expect(x.unsqueeze(-1).shape == [2, 3, 4, 1] && x.unsqueeze(0).shape == [1, 2, 3, 4])
        #expect(x.unsqueeze(1).squeeze(1).shape == [2, 3, 4] && x.squeeze(0).shape == [2, 3, 4])
        #expect(x.permute(2, 0, 1)[element: 3, 1, 2] == x[element: 1, 2, 3])
        #expect(x.flatten(startDim: 1).shape == [2, 12])
        #expect(x.split(2, dim: 2).map(\.shape) == [[2, 3, 2], [2, 3, 2]])
        #expect(x.chunk(2, dim: 1).map(\.shape) == [[2, 2, 4], [2, 1, 4]])
    }

    @Test func writesThroughViewsAreVisible() {
        let x = grid()
        noGrad { x.transpose(0, 2).select(0, 1).fill_(-1) }  // x[:, :, 1] = -1
        #expect(x[element: 0, 0, 1] == -1 && x[element: 1, 2, 1] == -1 && x[element: 1, 2, 2] == 22)
        x.slice(1, start: 1, end: 2).mul_(0)
        #expect(x[0].toArray() == [0, -1, 2, 3, 0, 0, 0, 0, 8, -1, 10, 11])
        x.view(-1).narrow(0, start: 20, length: 2).copy_(Tensor([100, 200] as [Float]))
        #expect(x[element: 1, 2, 0] == 100 && x[element: 1, 2, 1] == 200)
    }

    @Test func writesBetweenViewsOfOneStorage() {
        // The same view, and disjoint parts, are fine.
        let x = Tensor([1, 2, 3, 4] as [Float])
        x.add_(x)
        #expect(x.toArray() == [2, 4, 6, 8])
        x.narrow(0, start: 0, length: 2).add_(x.narrow(0, start: 2, length: 2))
        #expect(x.toArray() == [8, 12, 6, 8])
        x.slice(0, step: 2).mul_(x.slice(0, start: 1, step: 2))   // interleaved, sharing no element
        #expect(x.toArray() == [96, 12, 48, 8])
    }

    @Test func partlyOverlappingWritesStop() async {
        let shifted = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2, 3, 4] as [Float])
            x.narrow(0, start: 1, length: 3).add_(x.narrow(0, start: 0, length: 3))
        }
        #expect(stderr(shifted).contains("add_: some elements of the source (shape [3], offset 0) and the written-to tensor "
            + "(shape [3], offset 1) refer to a single memory location; clone() the source first"))
        let expanded = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let row = Tensor([1, 2] as [Float])
            row.expand([3, 2]).copy_(Tensor.ones([3, 2]))
        }
        #expect(stderr(expanded).contains("copy_: more than one element of the written-to tensor (shape [3, 2], strides [0, 1]) "
            + "refers to a single memory location"))
    }

    @Test func reshapeOfStridedTensorCopies() {
        let x = grid()
        let t = x.transpose(1, 2)
        let r = t.reshape([2, 12])
        #expect(r.storage !== x.storage && r.isContiguous)
        #expect(r[0].toArray() == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        let c = t.contiguous()
        #expect(c.storage !== x.storage && c.toArray() == r.toArray())
        #expect(x.contiguous() === x)
        // A strided view with contiguous inner layout still reshapes as a view.
        #expect(x[1].reshape([12]).storage === x.storage)
    }
}

extension Tensor {
    /// A rank-2 view of a rank-3 tensor's first matrix, transposed.
    fileprivate func t2d() -> Tensor { self[0].t() }
}
