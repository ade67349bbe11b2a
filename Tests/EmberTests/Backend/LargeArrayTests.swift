import Foundation
import Testing
@testable import Ember

/// Arrays large enough to be split over the cores. A contiguous array merges into one long row,
/// which is cut into stretches (one per thread); every element must still be computed once, with
/// broadcast operands and in-place targets read at the right offsets.
@Suite("Large arrays split over the cores")
struct LargeArrayTests {
    static let n = 3 * Parallel.grain + 5   // not a multiple of the pieces

    static func ramp(_ count: Int, _ scale: Float = 1e-3) -> Tensor {
        Tensor((0..<count).map { Float($0 % 1000) * scale - 0.5 }, shape: [count])
    }

    @Test func binaryOpsOnOneLongRow() {
        let a = Self.ramp(Self.n), b = Self.ramp(Self.n, 2e-3)
        let av = a.toArray(), bv = b.toArray()
        #expect((a + b).toArray() == zip(av, bv).map { $0 + $1 })
        #expect((a * 3).toArray() == av.map { $0 * 3 })            // a broadcast scalar: stride 0
        #expect((2 - a).toArray() == av.map { 2 - $0 })
    }

    @Test func inPlaceOnOneLongRow() {
        let a = Self.ramp(Self.n), b = Self.ramp(Self.n, 2e-3)
        let want = zip(a.toArray(), b.toArray()).map { $0 + $1 }
        a.add_(b)
        #expect(a.toArray() == want)
    }

    @Test func copiesOfOneLongRow() {
        let a = Self.ramp(Self.n)
        let target = Tensor.zeros([Self.n])
        target.copy_(a)
        #expect(target.toArray() == a.toArray())
        // A view with an offset: the stretches start from it.
        let tail = a[7..<Self.n].contiguous()
        #expect(tail.toArray() == Array(a.toArray()[7...]))
    }

    /// No rows but long ones: nothing to compute, and nothing written past the empty result.
    @Test func emptyTensorsWithLongRows() {
        let a = Tensor.zeros([0, Self.n]), row = Tensor.ones([1, Self.n])
        #expect((a + row).shape == [0, Self.n])
        a.add_(Tensor.ones([Self.n]))
        let view = Tensor.zeros([2, 2 * Self.n]).narrow(0, start: 0, length: 0).narrow(1, start: 0, length: Self.n)
        #expect(view.contiguous().shape == [0, Self.n])
        #expect(a.sum().item() == 0)
    }

    @Test func wholeTensorSumAndExtremes() {
        let a = Self.ramp(Self.n)
        let values = a.toArray()
        let want = values.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(a.sum().item()) - want) <= 1e-6 * max(1, abs(want)) + 1e-3)
        // Max and min reduce each stretch and combine; a NaN in the last stretch wins.
        var withNaN = values
        withNaN[Self.n - 2] = .nan
        #expect(Tensor(withNaN, shape: [Self.n]).sum().item().isNaN)
        let shifted = Tensor(values.map { $0 + 1 }, shape: [Self.n])
        #expect(shifted.sum().item() > Float(want))
    }
}

/// 2-D broadcasts go through the binary kernel a block of rows per call: each row must read its own
/// stretch of every operand, whichever operand is broadcast.
@Suite("Blocks of rows in binary ops")
struct BinaryRowBlockTests {
    @Test(arguments: [(64, 256), (1024, 300), (3, 5), (0, 7)])
    func broadcastsAlongRowsAndColumns(rows: Int, cols: Int) {
        let a = Tensor((0..<(rows * cols)).map { Float($0 % 97) * 0.5 }, shape: [rows, cols])
        let row = Tensor((0..<cols).map { Float($0) - 3 }, shape: [cols])
        let column = Tensor((0..<rows).map { Float($0) * 2 }, shape: [rows, 1])
        let av = a.toArray()
        #expect((a + row).toArray() == av.indices.map { av[$0] + Float($0 % cols) - 3 })
        #expect((row - a).toArray() == av.indices.map { Float($0 % cols) - 3 - av[$0] })
        #expect((a * column).toArray() == av.indices.map { av[$0] * Float($0 / cols) * 2 })
        // A transposed operand: rows of the result read columns of it.
        let t = Tensor((0..<(rows * cols)).map { Float($0) }, shape: [cols, rows]).t()
        let tv = t.contiguous().toArray()
        #expect((a + t).toArray() == av.indices.map { av[$0] + tv[$0] })
        // GELU's backward (a math function per element) on a block of rows.
        let x = a.detach().requiringGrad()
        x.gelu().sum().backward()
        #expect(x.grad!.shape == [rows, cols])
    }
}
