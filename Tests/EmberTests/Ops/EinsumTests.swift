import Foundation
import Testing
@testable import Ember

/// einsum's parsing and errors (its values and gradients are in the op fixtures: einsum_* in ops.json).
@Suite struct EinsumTests {
    @Test func implicitOutputIsTheSingleLettersInOrder() {
        let a = Tensor.randn([2, 3]), b = Tensor.randn([3, 4])
        expectClose(einsum("ij,jk", a, b).toArray(), a.matmul(b).toArray(), "matrix product")
        // "ba" sorts to "ab": the transpose.
        #expect(einsum("ba", a).shape == [3, 2])
        expectClose(einsum("ba", a).toArray(), a.t().contiguous().toArray(), "transpose")
    }

    @Test func ellipsisBroadcastsAndLeadsTheImplicitOutput() {
        let q = Tensor.randn([2, 1, 3, 4]), k = Tensor.randn([5, 4])
        // Implicit output "...kq" (k before q, as PyTorch orders it): the product, transposed.
        let scores = einsum("...qd,kd", q, k)
        #expect(scores.shape == [2, 1, 5, 3])
        expectClose(scores.toArray(), q.matmul(k.t()).transpose(-1, -2).contiguous().toArray(), "broadcast product")
    }

    static func stderr(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func aTermOfTheWrongRankNamesTheShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ij,jk->ik", Tensor.zeros([2, 3]), Tensor.zeros([3]))
        }
        #expect(Self.stderr(result).contains("einsum(\"ij,jk->ik\"): term \"jk\" names 2 dims but its operand has shape [3]"))
    }

    @Test func summedDimsOfDifferentSizesNameBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ij,jk->ik", Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        #expect(Self.stderr(result).contains("a summed dim has size 3 in one operand and 4 in the other (shapes [2, 3] and [4, 5])"))
    }

    @Test func aDiagonalOfUnequalDimsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ii->i", Tensor.zeros([3, 4]))
        }
        #expect(Self.stderr(result).contains("einsum(\"ii->i\"): a repeated letter spans dims of sizes 3 and 4 "
            + "(operand of shape [3, 4])"))
    }

    @Test func twoEllipsesInATermStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("...a...->a", Tensor.zeros([2, 3, 4]))
        }
        #expect(Self.stderr(result).contains("term \"...a...\" has more than one \"...\""))
    }
}
