import Testing
@testable import Ember

/// Copies that swap the last two dimensions go through the blocked transpose kernel (Transpose.c):
/// full 8×8 blocks, partial edge blocks, thin planes (split by columns when rows are few), batches
/// of planes, offsets and strided sources.
@Suite("Transposing copies")
struct TransposeCopyTests {
    /// Element (i, j) of a rows × cols matrix made contiguous from its transpose.
    static func check(rows: Int, cols: Int) {
        let source = Tensor((0..<(rows * cols)).map { Float($0) }, shape: [cols, rows])
        let copied = source.t().contiguous().toArray()
        var want = [Float](repeating: 0, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols { want[i * cols + j] = Float(j * rows + i) } }
        #expect(copied == want, "\(rows)×\(cols)")
    }

    @Test(arguments: [(8, 8), (13, 37), (1, 20), (20, 1), (64, 256), (600, 515), (3, 100_000), (100_000, 3)])
    func matrices(rows: Int, cols: Int) { Self.check(rows: rows, cols: cols) }

    @Test func batchesOfPlanes() {
        for batch in [1, 3, 17] {
            let x = Tensor((0..<(batch * 9 * 12)).map { Float($0) }, shape: [batch, 9, 12])
            let y = x.transpose(1, 2).contiguous()
            #expect(y.shape == [batch, 12, 9])
            let values = y.toArray()
            var ok = true
            for b in 0..<batch { for i in 0..<12 { for j in 0..<9 where values[(b * 12 + i) * 9 + j] != Float((b * 9 + j) * 12 + i) { ok = false } } }
            #expect(ok, "batch \(batch)")
        }
    }

    /// A transposed slice: the source starts at an offset and its rows are further apart than its width.
    @Test func stridedSource() {
        let big = Tensor((0..<(40 * 50)).map { Float($0) }, shape: [40, 50])
        let window = big[3..<30].transpose(0, 1)[5..<45]   // [40, 27] view of columns 5..<45 of rows 3..<30
        let copied = window.contiguous().toArray()
        var want: [Float] = []
        for i in 5..<45 { for j in 3..<30 { want.append(Float(j * 50 + i)) } }
        #expect(copied == want)
    }

    @Test func integersStillCopy() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(x.dtype == .int64 && x.t().contiguous().toIntArray() == [1, 4, 2, 5, 3, 6])
    }
}
