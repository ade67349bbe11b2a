import Testing
@testable import Ember

@Suite("maskedFill")
struct MaskedFillTests {
    @Test func fillsWhereTheMaskIsSetAndPassesGradientElsewhere() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        // A row mask broadcast over both rows, from a comparison (float 0/1).
        let mask = Tensor([0, 7, 0], shape: [3]).gt(1)
        let y = x.maskedFill(mask, -1)
        #expect(y.toArray() == [1, -1, 3, 4, -1, 6])
        (y * Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])).sum().backward()
        #expect(x.grad!.toArray() == [1, 0, 3, 4, 0, 6])
        // An int64 mask and −∞ before a softmax: the masked positions get probability 0.
        let scores = Tensor.zeros([1, 4]).maskedFill(Tensor([0, 0, 1, 1], shape: [1, 4]), -.infinity).softmax(dim: 1)
        #expect(scores.toArray() == [0.5, 0.5, 0, 0])
    }

    @Test func whereKeepsInt64BranchesExactAndPromotesMixedOnes() {
        let condition = Tensor([1, 0, 1], shape: [3])
        // Past 2^24, where a float32 round trip would lose the last digit.
        let picked = `where`(condition, Tensor([16_777_217, 2, 3], shape: [3]), Tensor([10, 20, 30], shape: [1, 3]))
        #expect(picked.dtype == .int64 && picked.shape == [1, 3] && picked.toIntArray() == [16_777_217, 20, 3])
        let mixed = `where`(condition, Tensor([1, 2, 3], shape: [3]), Tensor([0.5, 0.25, 0.125] as [Float], shape: [3]))
        #expect(mixed.dtype == .float32 && mixed.toArray() == [1, 0.25, 3])
    }

    @Test func anInt64TensorStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2, 3], shape: [3]).maskedFill(Tensor.ones([3]), 9)
        }
        #expect(stderr(r).contains("maskedFill: needs a float32 tensor, got int64"))
    }

    @Test func aMaskThatDoesNotBroadcastStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).maskedFill(Tensor.zeros([2, 3, 1]), 0)
        }
        #expect(stderr(r).contains("maskedFill: mask of shape [2, 3, 1] does not broadcast to the tensor's shape [2, 3]"))
    }
}
