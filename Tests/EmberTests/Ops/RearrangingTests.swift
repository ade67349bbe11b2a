import Foundation
import Testing
@testable import Ember

/// Rearranging, joining and combinatorial ops against PyTorch (rearranging.json, from
/// scripts/make_rearranging_fixtures.py): values, shapes and the gradients of Σ out·w.
@Suite("Rearranging and joining")
struct RearrangingTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("rearranging.json") }

    static let ops: [String: ([Tensor]) -> [Tensor]] = [
        "rot90_1": { [$0[0].rot90()] },
        "rot90_2": { [$0[0].rot90(2, dims: [1, 2])] },
        "rot90_-1": { [$0[0].rot90(-1, dims: [2, 0])] },
        "rot90_4": { [$0[0].rot90(4)] },
        "fliplr": { [$0[0].fliplr()] },
        "flipud": { [$0[0].flipud()] },
        "tile": { [$0[0].tile(2)] },
        "tile_more": { [$0[0].tile(2, 1, 3)] },
        "repeat_interleave": { [$0[0].repeatInterleave(2)] },
        "repeat_interleave_dim": { [$0[0].repeatInterleave(3, dim: 1)] },
        "repeat_interleave_counts": { [$0[0].repeatInterleave([1, 0, 2], dim: 1)] },
        "diag_embed": { [$0[0].diagEmbed()] },
        "diag_embed_offset": { [$0[0].diagEmbed(offset: 1, dim1: 0, dim2: 2)] },
        "diag_embed_negative": { [$0[0].diagEmbed(offset: -2)] },
        "diag": { [$0[0].diag(offset: 1)] },
        "hstack": { [Tensor.hstack($0)] },
        "hstack_1d": { [Tensor.hstack($0)] },
        "vstack": { [Tensor.vstack($0)] },
        "dstack": { [Tensor.dstack($0)] },
        "column_stack": { [Tensor.columnStack($0)] },
        "block_diag": { [Tensor.blockDiag($0)] },
        "split": { $0[0].split(sizes: [1, 3, 0, 1], dim: 1) },
        "tensor_split": { $0[0].tensorSplit(3, dim: 1) },
        "tensor_split_indices": { $0[0].tensorSplit(indices: [1, 4, 9, 2]) },
        "atleast": { [$0[0].atleast1d(), $0[0].atleast2d(), $0[0].atleast3d(), $0[1].atleast2d(), $0[1].atleast3d(),
                      $0[2].atleast3d()] },
        "cartesian_prod": { [Tensor.cartesianProd($0)] },
        "combinations": { [$0[0].combinations()] },
        "combinations_3": { [$0[0].combinations(r: 3)] },
        "combinations_replacement": { [$0[0].combinations(r: 2, withReplacement: true)] },
        "combinations_none": { [$0[0].combinations(r: 5)] },
        "combinations_replacement_5": { [$0[0].combinations(r: 5, withReplacement: true)] },
        "repeat_interleave_one_count": { [$0[0].repeatInterleave([2], dim: 0)] },
        "diag_embed_int_offset": { [$0[0].diagEmbed(offset: -1, dim1: 2, dim2: 0)] },
        "tensordot": { [Tensor.tensordot($0[0], $0[1], dims: 2)] },
        "tensordot_pairs": { [Tensor.tensordot($0[0], $0[1], dims: ([0, 2], [2, 1]))] },
        "tensordot_0": { [Tensor.tensordot($0[0], $0[1], dims: 0)] },
        "take": { [$0[0].take(Tensor([0, -1, 5, 2, 5, 3], shape: [3, 2]))] },
        "cov": { [$0[0].cov()] },
        "cov_population": { [$0[0].cov(correction: 0)] },
        "cov_1d": { [$0[0].cov()] },
        "corrcoef": { [$0[0].corrcoef()] },
        "cov_one_variable": { [$0[0].cov()] },
        "corrcoef_one_variable": { [$0[0].corrcoef()] },
    ]

    @Test func opsMatchPyTorch() {
        let cases = object(fixture["cases"])
        #expect(cases.count == Self.ops.count)
        for (name, op) in Self.ops.sorted(by: { $0.key < $1.key }) {
            let c = object(cases[name])
            let shapes = (c["shapes"] as! [Any]).map { ints($0) }
            let inputs = zip(c["inputs"] as! [Any], shapes).map { tensor($0, $1, requiresGrad: true) }
            let outs = op(inputs)
            let expectedShapes = (c["out_shapes"] as! [Any]).map { ints($0) }
            #expect(outs.map(\.shape) == expectedShapes, "\(name) shapes")
            guard outs.map(\.shape) == expectedShapes else { continue }
            for (i, (out, expected)) in zip(outs, c["outs"] as! [Any]).enumerated() {
                expectClose(out.toArray(), floats(expected), atol: 1e-5, rtol: 1e-5, "\(name) output \(i)")
            }
            let ws = zip(c["ws"] as! [Any], expectedShapes).map { tensor($0, $1) }
            zip(outs, ws).map { ($0 * $1).sum() }.reduce(Tensor.zeros([]), +).backward()
            for (i, (x, expected)) in zip(inputs, c["grads"] as! [Any]).enumerated() {
                expectClose(x.grad?.toArray() ?? Array(repeating: 0, count: x.count), floats(expected), atol: 1e-5,
                            rtol: 1e-5, "\(name) gradient \(i)")
            }
        }
    }

    @Test func triangleIndicesMatchPyTorch() {
        let indices = object(fixture["indices"])
        for (r, c, o) in [(3, 3, 0), (4, 3, 1), (3, 5, -1), (2, 4, 3), (3, 2, -5), (0, 3, 0)] {
            for (name, made) in [("tril", Tensor.trilIndices(r, c, offset: o)), ("triu", Tensor.triuIndices(r, c, offset: o))] {
                let expected = indices["\(name)_\(r)_\(c)_\(o)"] as! [[Int]]
                #expect(made.dtype == .int64 && made.shape == [2, expected[0].count], "\(name) \(r) \(c) \(o)")
                #expect(made.toIntArray() == expected.flatMap { $0 }, "\(name) \(r) \(c) \(o)")
            }
        }
    }

    /// A diagonal of infinities stays off the other entries (a product with an identity would put
    /// ∞·0 = NaN there), and int64 entries embed as int64.
    @Test func diagEmbedPicksEntries() {
        let x = Tensor([.infinity, 2], shape: [2])
        #expect(x.diagEmbed().toArray() == [.infinity, 0, 0, 2])
        #expect(x.diag(offset: -1).toArray() == [0, 0, 0, .infinity, 0, 0, 0, 2, 0])
        let ints = Tensor([3, 4] as [Int]).diagEmbed(offset: 1)
        #expect(ints.dtype == .int64 && ints.toIntArray() == [0, 3, 0, 0, 0, 4, 0, 0, 0])
        #expect(Tensor.zeros([2, 0]).diagEmbed().shape == [2, 0, 0])
    }

    /// Edge cases PyTorch answers without an error: r = 0 combinations (an empty vector), blocks of
    /// int64 and float32 (float32), and a scalar split at dim 0 refused with a message.
    @Test func edgeCasesFollowPyTorch() {
        #expect(Tensor([1, 2, 3] as [Float]).combinations(r: 0).shape == [0])
        let blocks = Tensor.blockDiag([Tensor([1, 2], shape: [1, 2]).long(), Tensor([0.5], shape: [1, 1])])
        #expect(blocks.dtype == .float32 && blocks.toArray() == [1, 2, 0, 0, 0, 0.5])
        #expect(Tensor.blockDiag([Tensor([1, 2], shape: [1, 2]).long()]).dtype == .int64)
        let column = Tensor([1, 2, 3] as [Float]).atleast2d()
        #expect(column.shape == [1, 3] && Tensor([1, 2, 3] as [Float]).atleast3d().shape == [1, 3, 1])
        #expect(Tensor.full([], 4).repeatInterleave(3).toArray() == [4, 4, 4])
    }

    /// A contracted dim of size 1 against one of 4 broadcasts, as PyTorch's: out[i, k, m] =
    /// a[i, 0, k]·Σₗ b[l, m] = a[i, 0, k]·(30 + 4m); the gradient of b is a's sum for every l.
    @Test func tensordotBroadcastsSizeOneDims() {
        let a = Tensor((0..<6).map(Float.init), shape: [3, 1, 2], requiresGrad: true)
        let b = Tensor((0..<20).map(Float.init), shape: [4, 5], requiresGrad: true)
        let out = Tensor.tensordot(a, b, dims: ([1], [0]))
        #expect(out.shape == [3, 2, 5])
        var expected: [Float] = []
        for i in 0..<3 { for k in 0..<2 { for m in 0..<5 { expected.append(Float(2 * i + k) * Float(30 + 4 * m)) } } }
        #expect(out.toArray() == expected)
        out.sum().backward()
        #expect(b.grad!.toArray() == Array(repeating: 15, count: 20))
        #expect(a.grad!.toArray() == Array(repeating: 190, count: 6))
        #expect(Tensor.tensordot(b.detach()[0..<1], a.detach(), dims: ([0], [1])).shape == [5, 3, 2])
    }

    @Test func wrongRanksAndListsStopWithMessages() async {
        let lr = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3]).fliplr()
        }
        #expect(stderr(lr).contains("fliplr: needs a tensor with at least 2 dims, got shape [3]"))
        let ud = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.full([], 1).flipud()
        }
        #expect(stderr(ud).contains("flipud: needs a tensor with at least 1 dim, got shape []"))
        let rot = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).rot90(1, dims: [0])
        }
        #expect(stderr(rot).contains("rot90: needs two dims of a tensor with at least 2 dims, got dims [0] for shape [2, 3]"))
        let embed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).diagEmbed(dim1: 1, dim2: -2)
        }
        #expect(stderr(embed).contains("diagEmbed: dim1 and dim2 must differ, got 1 and -2"))
        let block = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.blockDiag([Tensor.zeros([1, 2, 3])])
        }
        #expect(stderr(block).contains("blockDiag: expects tensors with at most 2 dims, got shape [1, 2, 3]"))
        let stack = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.hstack([])
        }
        #expect(stderr(stack).contains("hstack: expects a non-empty list of tensors"))
        let product = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.cartesianProd([Tensor.zeros([2, 2])])
        }
        #expect(stderr(product).contains("cartesianProd: expects one or more 1-D tensors, got shapes [[2, 2]]"))
        let combos = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3]).combinations(r: -1)
        }
        #expect(stderr(combos).contains("combinations: r must be non-negative, got -1"))
        let triangle = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.trilIndices(-1, 3)
        }
        #expect(stderr(triangle).contains("triangle indices: rows and columns must be non-negative, got -1 and 3"))
        let sections = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4]).tensorSplit(0)
        }
        #expect(stderr(sections).contains("tensorSplit: sections must be positive, got 0"))
    }

    @Test func badArgumentsStopWithMessagesNamingShapes() async {
        let split = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 5]).split(sizes: [2, 2], dim: 1)
        }
        #expect(stderr(split).contains("split: sizes [2, 2] must be non-negative and add up to 5, the size of dim 1 of shape [2, 5]"))
        let take = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).take(Tensor([6] as [Int]))
        }
        #expect(stderr(take).contains("take: index 6 is out of range for a tensor of 6 entries (shape [2, 3])"))
        let dot = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.tensordot(Tensor.zeros([2, 3]), Tensor.zeros([4, 2]), dims: 1)
        }
        #expect(stderr(dot).contains("tensordot: dims [1] of shape [2, 3] and [0] of shape [4, 2] must be distinct and pair up"))
        let counts = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).repeatInterleave([1, 2], dim: 1)
        }
        #expect(stderr(counts).contains("repeatInterleave: needs one non-negative repeat count per entry of dim 1 (3), got [1, 2]"))
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.full([], 1).tensorSplit(2)
        }
        #expect(stderr(scalar).contains("tensorSplit: expects a tensor with at least 1 dim, got shape []"))
        let scalarDim = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.full([], 1).repeatInterleave(2, dim: 0)
        }
        #expect(stderr(scalarDim).contains("repeatInterleave: a scalar has no dim 0; leave dim nil to repeat it as a vector"))
        let floatIndices = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).take(Tensor([1, 2] as [Float]))
        }
        #expect(stderr(floatIndices).contains("take: expects int64 indices, got float32"))
        let rotate = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).rot90(1, dims: [1, -1])
        }
        #expect(stderr(rotate).contains("rot90: the two dims must differ, got [1, -1]"))
    }
}
