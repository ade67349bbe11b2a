import Foundation
import Testing
@testable import Ember

/// What the op fixtures do not reach: ties in amax/amin, all/any, unbind, meshgrid, int64 cumsum,
/// int64 reductions past 2^24.
@Suite struct GridAndReductionTests {
    @Test func tiedExtremaShareTheGradient() {
        let x = Tensor([3, 1, 3, 2, 2, 0] as [Float], shape: [2, 3], requiresGrad: true)
        let m = x.amax(dims: [1])
        #expect(m.toArray() == [3, 2])
        m.sum().backward()
        #expect(x.grad?.toArray() == [0.5, 0, 0.5, 0.5, 0.5, 0])
        #expect(x.amin().toArray() == [0] && x.amin(dims: [0], keepdim: true).shape == [1, 3])
    }

    @Test func allAndAnyGiveMasks() {
        let x = Tensor([1, 0, 2, 3, 4, 5] as [Float], shape: [2, 3])
        #expect(x.all().item() == 0 && x.any().item() == 1)
        #expect(x.all(dims: [1]).toArray() == [0, 1])
        #expect(x.any(dims: [0]).toArray() == [1, 1, 1])
        #expect(Tensor.zeros([2, 2]).any(dims: [0], keepdim: true).toArray() == [0, 0])
    }

    @Test func unbindAndMeshgrid() {
        let x = Tensor((0..<6).map(Float.init), shape: [2, 3])
        let columns = x.unbind(dim: 1)
        #expect(columns.count == 3 && columns[2].toArray() == [2, 5])
        let (a, b) = (Tensor([1, 2] as [Float]), Tensor([10, 20, 30] as [Float]))
        let ij = Tensor.meshgrid([a, b])
        #expect(ij[0].shape == [2, 3] && ij[0].toArray() == [1, 1, 1, 2, 2, 2] && ij[1].toArray() == [10, 20, 30, 10, 20, 30])
        let xy = Tensor.meshgrid([a, b], indexing: .xy)
        #expect(xy[0].shape == [3, 2] && xy[0].toArray() == [1, 2, 1, 2, 1, 2] && xy[1].toArray() == [10, 10, 20, 20, 30, 30])
    }

    @Test func productsWithZerosHaveExactGradients() {
        // d/dx_i of Π x is the product of the others: with one zero, only the zero's is nonzero.
        let x = Tensor([2, 0, 3, 4] as [Float], requiresGrad: true)
        #expect(x.prod().item() == 0)
        x.prod().backward()
        #expect(x.grad?.toArray() == [0, 24, 0, 0])
        x.grad = nil
        x.cumprod(dim: 0).sum().backward()   // 2 + 0 + 0 + 0: d/dx0 = 1, d/dx1 = 2 + 2·3 + 2·3·4, the rest 0
        #expect(x.grad?.toArray() == [1, 32, 0, 0])
        #expect(Tensor.zeros([2, 0]).prod(dim: 1).toArray() == [1, 1])
        #expect(Tensor([1, 2, 3, 4]).cumprod(dim: 0).toIntArray() == [1, 2, 6, 24])
    }

    @Test func indexAddOutOfRangeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4, 2]).indexAdd(dim: 0, index: Tensor([1, 7]), source: Tensor.ones([2, 2]))
        }
        #expect(stderr(r).contains("indexAdd: index 7 is out of bounds for a dimension of size 4"))
    }

    @Test func scansOfIntegersAndShortDims() {
        #expect(Tensor([1, 2, 3, 4, 5]).cumsum(dim: 0).toIntArray() == [1, 3, 6, 10, 15])
        #expect(Tensor([7] as [Float]).cumsum(dim: 0).toArray() == [7])
        #expect(Tensor([1, 4, 9, 16] as [Float]).diff().toArray() == [3, 5, 7])
        #expect(Tensor((0..<5).map(Float.init)).roll(-1, dim: 0).toArray() == [1, 2, 3, 4, 0])
        // A diagonal is a view: writing to it writes the matrix.
        let m = Tensor.zeros([3, 3])
        m.diagonal().fill_(1)
        #expect(m.toArray() == Tensor.eye(3).toArray())
    }

    /// int64 sums and extremes stay in int64: through float32, 2^24 + 1 would read as 2^24 and
    /// 2^40 + 3 as 2^40.
    @Test func integerReductionsAreExact() {
        let big = 1 << 40, x = Tensor([big + 3, 1, big + 1, -5, 7, big + 3], shape: [2, 3])
        #expect(x.sum().dtype == .int64 && x.sum().toIntArray() == [3 * big + 10])
        #expect(x.sum(dims: [0]).toIntArray() == [big - 2, 8, 2 * big + 4])
        #expect(x.sum(dim: 1, keepdim: true).shape == [2, 1] && x.sum(dim: 1).toIntArray() == [2 * big + 5, big + 5])
        #expect(x.sum(dims: [0, 1]).toIntArray() == [3 * big + 10])
        #expect(Tensor([16_777_217, 16_777_217, 16_777_217]).sum().toIntArray() == [50_331_651])
        let rowMax = x.max(dim: 1)
        #expect(rowMax.values.toIntArray() == [big + 3, big + 3] && rowMax.indices.toIntArray() == [0, 2])
        let columnMin = x.min(dim: 0, keepdim: true)
        #expect(columnMin.values.shape == [1, 3] && columnMin.values.toIntArray() == [-5, 1, big + 1])
        #expect(columnMin.indices.toIntArray() == [1, 0, 0])
        // Ties take the first position; odd lengths carry the last entry through the halving.
        let odd = Tensor([2, big + 1, big, big + 1, 0])
        #expect(odd.argmax().toIntArray() == [1] && odd.argmin().toIntArray() == [4] && odd.max().toIntArray() == [big + 1])
        #expect(x.amax(dims: [0, 1]).toIntArray() == [big + 3] && x.amin(dims: [1]).toIntArray() == [1, -5])
        #expect(x.countNonzero().toIntArray() == [6] && x.nansum(dims: [1]).toIntArray() == [2 * big + 5, big + 5])
        // An empty dim sums to 0, as in PyTorch.
        #expect(Tensor.zeros([2, 0], dtype: .int64).sum(dim: 1).toIntArray() == [0, 0])
    }

    /// The sum of a scalar, which reduces no dim, is recorded on a tensor of its own: the input keeps
    /// its own gradient node (recording on it made a cycle and lost the square's gradient).
    @Test func sumOfAScalarKeepsTheGraph() {
        let x = Tensor(-2, requiresGrad: true)
        let squared = x.square()
        let same = squared.sum(dims: [], keepdim: true)
        #expect(same !== squared && same.item() == 4)
        same.backward()
        #expect(x.grad!.item() == -4)
    }
}
