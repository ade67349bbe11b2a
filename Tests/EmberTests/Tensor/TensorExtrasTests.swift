import Foundation
import Testing
@testable import Ember

/// Norms, cross products, cdist, kron, trace, lerp, logdet, searchsorted, bucketize and histc against
/// PyTorch (tensor_extras.json, from scripts/make_tensor_extras_fixtures.py).
@Suite("Norms, distances and buckets")
struct TensorExtrasTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("tensor_extras.json") }

    static let ops: [String: ([Tensor]) -> Tensor] = [
        "vector_norm_2_all": { Linalg.vectorNorm($0[0]) },
        "vector_norm_3_dims": { Linalg.vectorNorm($0[0], ord: 3, dims: [0, 2]) },
        "vector_norm_inf_keepdim": { Linalg.vectorNorm($0[0], ord: .infinity, dims: [1], keepdim: true) },
        "vector_norm_-inf": { Linalg.vectorNorm($0[0], ord: -.infinity, dims: [-1]) },
        "vector_norm_-1.5": { Linalg.vectorNorm($0[0], ord: -1.5, dims: [1]) },
        "vector_norm_1_keepdim_dims": { Linalg.vectorNorm($0[0], ord: 1, dims: [2, 0], keepdim: true) },
        "matrix_norm_fro": { Linalg.matrixNorm($0[0]) },
        "matrix_norm_nuc": { Linalg.matrixNorm($0[0], ord: .nuclear) },
        "matrix_norm_1": { Linalg.matrixNorm($0[0], ord: .one) },
        "matrix_norm_-1": { Linalg.matrixNorm($0[0], ord: .minusOne) },
        "matrix_norm_2": { Linalg.matrixNorm($0[0], ord: .two, keepdim: true) },
        "matrix_norm_-2": { Linalg.matrixNorm($0[0], ord: .minusTwo) },
        "matrix_norm_inf": { Linalg.matrixNorm($0[0], ord: .infinity) },
        "matrix_norm_-inf": { Linalg.matrixNorm($0[0], ord: .minusInfinity) },
        "cross": { Linalg.cross($0[0], $0[1]) },
        "cross_dim0_broadcast": { Linalg.cross($0[0], $0[1], dim: 0) },
        "cdist_2_small": { cdist($0[0], $0[1]) },
        "cdist_2_mm": { cdist($0[0], $0[1]) },
        "cdist_1": { cdist($0[0], $0[1], p: 1) },
        "cdist_3_batched": { cdist($0[0], $0[1], p: 3) },
        "cdist_inf": { cdist($0[0], $0[1], p: .infinity) },
        "kron_2d": { $0[0].kron($0[1]) },
        "kron_mixed_rank": { $0[0].kron($0[1]) },
        "trace": { $0[0].trace() },
        "lerp_tensor_weight": { $0[0].lerp($0[1], weight: $0[2]) },
        "logdet": { Linalg.logdet($0[0].matmul($0[0].mT) + Tensor.eye(3)) },
    ]

    @Test func valuesAndGradientsMatchPyTorch() {
        let cases = (fixture["differentiable"] as? [Any] ?? []).map { object($0) }
        #expect(cases.count == Self.ops.count)
        for c in cases {
            let name = c["name"] as! String
            guard let op = Self.ops[name] else {
                Issue.record("no op for \(name)")
                continue
            }
            let inputs = (c["inputs"] as! [Any]).map { object($0) }.map {
                tensor($0["values"], ints($0["shape"]), requiresGrad: true)
            }
            let out = op(inputs)
            #expect(out.shape == ints(c["out_shape"]), "\(name) shape")
            guard out.shape == ints(c["out_shape"]) else { continue }
            expectClose(out.toArray(), floats(c["out"]), atol: 1e-4, rtol: 1e-4, "\(name) value")
            (out * tensor(c["w"], out.shape)).sum().backward()
            for (i, (input, grad)) in zip(inputs, c["grads"] as! [Any]).enumerated() {
                expectClose(input.grad?.toArray() ?? [], floats(grad), atol: 2e-4, rtol: 1e-3, "\(name) gradient \(i)")
            }
        }
    }

    @Test func scalarLerpAndLogdetSigns() {
        let lerp = object(fixture["lerp_scalar"])
        let a = tensor(lerp["a"], [3]), b = tensor(lerp["b"], [3])
        #expect(a.lerp(b, weight: 0.25).toArray() == floats(lerp["out"]))
        let signs = object(fixture["logdet_signs"])
        let out = Linalg.logdet(tensor(signs["a"], [3, 2, 2])).toArray()
        // det −1 gives NaN, det 6 its log, a singular matrix −∞.
        #expect(out[0].isNaN && out[2] == -.infinity)
        expectClose([out[1]], [floats(signs["out"])[1]], "log 6")
    }

    @Test func searchsortedAndBucketizeMatchPyTorch() {
        let c = object(fixture["searchsorted"])
        let sorted = tensor(c["sorted_1d"], [6]), values = tensor(c["values"], [2, 3])
        #expect(searchsorted(sorted, values).toIntArray() == ints(c["left"]))
        #expect(searchsorted(sorted, values, right: true).toIntArray() == ints(c["right"]))
        #expect(searchsorted(sorted, values).shape == [2, 3] && searchsorted(sorted, values).dtype == .int64)
        let rows = tensor(c["sorted_2d"], [2, 4]), rowValues = tensor(c["values_2d"], [2, 3])
        #expect(searchsorted(rows, rowValues).toIntArray() == ints(c["left_2d"]))
        #expect(searchsorted(rows, rowValues, right: true).toIntArray() == ints(c["right_2d"]))
        #expect(bucketize(values, boundaries: sorted).toIntArray() == ints(c["bucketize"]))
        #expect(bucketize(values, boundaries: sorted, right: true).toIntArray() == ints(c["bucketize_right"]))
        // NaN sorts after every number.
        #expect(searchsorted(sorted, Tensor([Float.nan], shape: [1])).toIntArray() == [6])
    }

    @Test func histcMatchesPyTorch() {
        let c = object(fixture["histc"])
        let x = tensor(c["x"], [500])
        #expect(x.histc(bins: 10, min: -3, max: 3).toArray() == floats(c["bins10"]))
        #expect(x.histc(bins: 7).toArray() == floats(c["own_range"]))
        #expect(Tensor([2, 2, 2] as [Float], shape: [3]).histc(bins: 4).toArray() == [0, 0, 3, 0])
    }

    /// The cross product is orthogonal to both factors; cdist's two Euclidean paths agree; kron of
    /// identities is an identity.
    @Test func identities() {
        let generator = RandomGenerator(seed: 3)
        let a = Tensor.randn([5, 3], generator: generator), b = Tensor.randn([5, 3], generator: generator)
        let c = Linalg.cross(a, b)
        expectClose((c * a).sum(dim: -1).toArray(), [Float](repeating: 0, count: 5), atol: 1e-5, "c·a")
        let x = Tensor.randn([30, 4], generator: generator), y = Tensor.randn([20, 4], generator: generator)
        expectClose(cdist(x, y).toArray(), cdist(x.narrow(0, start: 0, length: 25), y)
            .toArray() + cdist(x.narrow(0, start: 25, length: 5), y).toArray(), atol: 1e-4, "matrix product vs differences")
        #expect(Tensor.eye(2).kron(Tensor.eye(3)).toArray() == Tensor.eye(6).toArray())
        expectClose([Linalg.matrixNorm(x, ord: .frobenius).item()], [x.norm().item()], "Frobenius = the 2-norm of all entries")
    }

    /// The review's cases, each checked against PyTorch 2.15 by hand.
    @Test func edgeCasesAsPyTorch() {
        // cdist's matrix-product path: rows at distance 0 get a finite gradient, close to the differences path's.
        let x = Tensor.randn([30, 4], generator: RandomGenerator(seed: 4)).requiringGrad()
        cdist(x, x).sum().backward()
        let viaProduct = x.grad!.toArray()
        #expect(viaProduct.allSatisfy { $0.isFinite })
        let y = x.detach().requiringGrad()
        (y.unsqueeze(-2) - y.unsqueeze(-3)).norm(dim: -1).sum().backward()
        expectClose(viaProduct, y.grad!.toArray(), atol: 1e-2, rtol: 1e-2, "coinciding rows")
        #expect(cdist(Tensor.zeros([2, 0]), Tensor.zeros([3, 0]), p: .infinity).toArray() == [Float](repeating: 0, count: 6))
        // vectorNorm: no dims means all of them; a negative order is 0 at a zero entry, with a zero gradient.
        let m = Tensor([[1, 2], [3, 4]] as [[Float]])
        expectClose([Linalg.vectorNorm(m, dims: []).item()], [5.4772256], "dims []")
        let z = Tensor([0, 1, 2] as [Float], shape: [3]).requiringGrad()
        let negative = Linalg.vectorNorm(z, ord: -1.5)
        #expect(negative.item() == 0)
        negative.backward()
        #expect(z.grad!.toArray() == [0, 0, 0])
        // searchsorted: NaN entries and values move right, by PyTorch's comparison.
        let withNaN = Tensor([1, 2, .nan] as [Float], shape: [3]), probes = Tensor([.nan, 5, 2] as [Float], shape: [3])
        #expect(searchsorted(withNaN, probes).toIntArray() == [3, 3, 1])
        #expect(searchsorted(withNaN, probes, right: true).toIntArray() == [3, 3, 3])
        #expect(searchsorted(Tensor([1, .nan, .nan, .nan] as [Float], shape: [4]), Tensor([5] as [Float], shape: [1])).toIntArray() == [4])
        // histc: positions in float (0.7 is on an edge of 10 bins over [0, 1]: bin 7), min == max takes the data's range.
        #expect(Tensor([0.7] as [Float], shape: [1]).histc(bins: 10, min: 0, max: 1).toArray()[7] == 1)
        #expect(Tensor([1, 2, 4] as [Float], shape: [3]).histc(bins: 4, min: 3, max: 3).toArray() == [1, 1, 0, 1])
        // lerp: a weight of 1 gives the end exactly.
        #expect(Tensor([1e8] as [Float], shape: [1]).lerp(Tensor([1] as [Float], shape: [1]), weight: 1).item() == 1)
        #expect(Tensor([1e8] as [Float], shape: [1]).lerp(Tensor([1] as [Float], shape: [1]), weight: Tensor([1] as [Float], shape: [1])).item() == 1)
    }

    /// First and second derivatives against finite differences (the README says "differentiable, twice").
    @Test func derivativesAgainstFiniteDifferences() throws {
        let generator = RandomGenerator(seed: 8)
        let x = (Tensor.rand([3, 4], generator: generator) + 0.5).requiringGrad()
        let y = Tensor.randn([3, 3], generator: generator).requiringGrad()
        let v = Tensor.randn([2, 3], generator: generator).requiringGrad()
        let cases: [(inputs: [Tensor], f: ([Tensor]) -> Tensor)] = [
            ([x], { Linalg.vectorNorm($0[0], ord: 3, dims: [1]) }),
            ([x], { Linalg.vectorNorm($0[0], ord: -1.5) }),
            ([x], { Linalg.matrixNorm($0[0], ord: .nuclear) }),
            ([y, v], { Linalg.cross($0[0].narrow(0, start: 0, length: 2), $0[1]) }),
            ([y, v], { cdist($0[0], $0[1]) }),
        ]
        for (inputs, f) in cases {
            try Autograd.gradcheck(f, inputs: inputs, eps: 1e-3, atol: 3e-3, rtol: 2e-2)
            try Autograd.gradcheck({ xs in
                enableGrad {
                    Tensor.cat(Autograd.grad(of: f(xs).square().sum(), wrt: xs, createGraph: true).map { $0.reshape([-1]) })
                }
            }, inputs: inputs, eps: 1e-3, atol: 5e-3, rtol: 3e-2)
        }
    }

    @Test func badInputsNameTheProblem() async {
        let cross = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.cross(Tensor.zeros([2, 4]), Tensor.zeros([2, 4]))
        }
        #expect(stderr(cross).contains("linalg.cross: expects two tensors of one rank with size 3 along dim -1, got shapes [2, 4] and [2, 4]"))
        let cdistShapes = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = cdist(Tensor.zeros([3, 4]), Tensor.zeros([2, 5]))
        }
        #expect(stderr(cdistShapes).contains("cdist: expects x1 [..., P, M] and x2 [..., R, M] with one M"))
        let unsorted = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = searchsorted(Tensor.zeros([2, 3]), Tensor.zeros([3, 1]))
        }
        #expect(stderr(unsorted).contains("searchsorted: expects a float32 1-D sorted sequence, or one whose leading dims equal the values'"))
        let repeated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.vectorNorm(Tensor.zeros([2, 3]), dims: [1, -1])
        }
        #expect(stderr(repeated).contains("linalg.vectorNorm: dims [1, -1] repeat a dim of the shape [2, 3]"))
        let infinite = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, .infinity] as [Float], shape: [2]).histc(bins: 4)
        }
        #expect(stderr(infinite).contains("histc: the elements' range is not finite (they hold inf or NaN); pass min and max"))
    }
}
