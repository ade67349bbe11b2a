import Foundation
import Testing
@testable import Ember

/// Linalg against PyTorch (linalg.json, from scripts/make_linalg_fixtures.py, references in float64),
/// against finite differences, first and second order, and its error messages.
@Suite("Linear algebra")
struct LinalgTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("linalg.json") }

    /// The fixture tensor `key` of case `c` (with its `key_shape`).
    func value(_ c: [String: Any], _ key: String, requiresGrad: Bool = false) -> Tensor {
        tensor(c[key], ints(c[key + "_shape"]), requiresGrad: requiresGrad)
    }

    func cases(_ name: String) -> [[String: Any]] { (fixture[name] as? [Any] ?? []).map(object) }

    /// Float32 linear algebra against float64 references.
    func close(_ actual: Tensor, _ expected: Any?, _ what: String, atol: Float = 1e-4, rtol: Float = 1e-3,
               sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(actual.toArray(), floats(expected), atol: atol, rtol: rtol, what, sourceLocation: sourceLocation)
    }

    /// Checks first derivatives of `f` at `inputs` against finite differences, and second derivatives:
    /// the gradient of ⟨f, r⟩, recorded, against finite differences of that gradient.
    func checkDerivatives(_ what: String, _ inputs: [Tensor], eps: Float = 1e-3, atol: Float = 2e-3, rtol: Float = 2e-2,
                          sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor) {
        #expect(throws: Never.self, "\(what): first derivatives", sourceLocation: sourceLocation) {
            try Autograd.gradcheck(f, inputs: inputs, eps: eps, atol: atol, rtol: rtol)
        }
        #expect(throws: Never.self, "\(what): second derivatives", sourceLocation: sourceLocation) {
            try Autograd.gradcheck({ xs in
                // The finite-difference side runs without a graph; the first gradient needs one.
                enableGrad {
                    let out = f(xs)
                    let weights = Tensor((0..<out.count).map { Float(Foundation.cos(Double($0) * 0.9 + 0.2)) }, shape: out.shape)
                    return Tensor.cat(Autograd.grad(of: (out * weights).sum(), wrt: xs, createGraph: true).map { $0.reshape([-1]) })
                }
            }, inputs: inputs, eps: eps, atol: atol, rtol: rtol)
        }
    }

    @Test func invMatchesPyTorchAndFiniteDifferences() {
        for c in cases("inv") {
            let a = value(c, "a", requiresGrad: true)
            let out = Linalg.inv(a)
            close(out, c["out"], "inv \(a.shape)")
            (out * value(c, "upstream")).sum().backward()
            close(a.grad!, c["grad_a"], "inv \(a.shape) grad")
        }
        let a = Tensor([[2, 0.5, -1], [0.3, 3, 0.2], [-0.4, 1, 2.5]], requiresGrad: true)
        checkDerivatives("inv", [a]) { Linalg.inv($0[0]) }
        expectClose(a.inverse().matmul(a).toArray(), Tensor.eye(3).toArray(), atol: 1e-5, "A⁻¹·A")
    }

    @Test func solveMatchesPyTorchWithBroadcastVectorsAndRightSides() {
        for c in cases("solve") {
            let a = value(c, "a", requiresGrad: true), b = value(c, "b", requiresGrad: true)
            let out = Linalg.solve(a, b, left: c["left"] as! Bool)
            #expect(out.shape == ints(c["out_shape"]))
            close(out, c["out"], "solve \(a.shape) \(b.shape)")
            (out * value(c, "upstream")).sum().backward()
            close(a.grad!, c["grad_a"], "solve \(a.shape) \(b.shape) grad A")
            close(b.grad!, c["grad_b"], "solve \(a.shape) \(b.shape) grad B")
        }
        let a = Tensor([[2, 0.5, -1], [0.3, 3, 0.2], [-0.4, 1, 2.5]], requiresGrad: true)
        let b = Tensor([[1, -0.5], [0.25, 2], [-1, 0.75]], requiresGrad: true)
        checkDerivatives("solve", [a, b]) { Linalg.solve($0[0], $0[1]) }
        // x·A = b for a row vector x (PyTorch refuses this case).
        let row = Tensor([0.5, -1, 2] as [Float])
        expectClose(Linalg.solve(a, row, left: false).unsqueeze(0).matmul(a).toArray(), row.toArray(), atol: 1e-5, "x·A = b")
    }

    @Test func solveTriangularReadsOneTriangleOnEitherSide() {
        for c in cases("solve_triangular") {
            let (upper, left, unit) = (c["upper"] as! Bool, c["left"] as! Bool, c["unitriangular"] as! Bool)
            let a = value(c, "a", requiresGrad: true), b = value(c, "b", requiresGrad: true)
            let out = Linalg.solveTriangular(a, b, upper: upper, left: left, unitriangular: unit)
            let what = "solveTriangular upper \(upper) left \(left) unit \(unit)"
            close(out, c["out"], what)
            (out * value(c, "upstream")).sum().backward()
            close(a.grad!, c["grad_a"], "\(what) grad A")
            close(b.grad!, c["grad_b"], "\(what) grad B")
            checkDerivatives(what, [a.detach().select(0, 0).requiringGrad(true), b.detach().select(0, 1).requiringGrad(true)]) {
                Linalg.solveTriangular($0[0], $0[1], upper: upper, left: left, unitriangular: unit)
            }
        }
    }

    @Test func detAndSlogdetMatchPyTorchSingularMatricesIncluded() {
        let c = object(fixture["det"])
        let a = value(c, "a", requiresGrad: true)
        let out = Linalg.det(a)
        close(out, c["out"], "det")
        #expect(out.toArray()[1] == 0, "the singular matrix's determinant is exactly 0")
        (out * value(c, "upstream")).sum().backward()
        close(a.grad!, c["grad_a"], "det grad (the singular matrix's is its cofactors)")

        let s = object(fixture["slogdet"])
        let b = value(s, "a", requiresGrad: true)
        let (sign, logAbsDet) = Linalg.slogdet(b)
        close(sign, s["sign"], "slogdet sign")
        close(logAbsDet, s["logabsdet"], "slogdet log|det|")
        (logAbsDet * value(s, "upstream")).sum().backward()
        close(b.grad!, s["grad_a"], "slogdet grad")

        let x = Tensor([[2, 0.5, -1], [0.3, 3, 0.2], [-0.4, 1, 2.5]], requiresGrad: true)
        checkDerivatives("det", [x], rtol: 3e-2) { $0[0].det() }
        checkDerivatives("slogdet", [x]) { Linalg.slogdet($0[0]).logAbsDet }
        let singular = Linalg.slogdet(Tensor([[1, 2], [2, 4]] as [[Float]]))
        #expect(singular.sign.item() == 0 && singular.logAbsDet.item() == -.infinity)
    }

    @Test func choleskyMatchesPyTorchLowerAndUpper() {
        for c in cases("cholesky") {
            let upper = c["upper"] as! Bool
            let a = value(c, "a", requiresGrad: true)
            let out = Linalg.cholesky(a, upper: upper)
            close(out, c["out"], "cholesky upper \(upper)")
            (out * value(c, "upstream")).sum().backward()
            close(a.grad!, c["grad_a"], "cholesky upper \(upper) grad")
        }
        // Through a symmetric positive-definite A = X·Xᵀ + I, so that every perturbation stays valid.
        let x = Tensor([[1, 0.2, -0.5], [0.4, 1.5, 0.1], [-0.3, 0.6, 1.2]], requiresGrad: true)
        checkDerivatives("cholesky", [x]) { xs in Linalg.cholesky(xs[0].matmul(xs[0].mT) + Tensor.eye(3)) }
    }

    @Test func eighMatchesPyTorchUpToEigenvectorSigns() {
        for c in cases("eigh") {
            let upper = c["upper"] as! Bool
            let a = value(c, "a", requiresGrad: true)
            let (values, vectors) = Linalg.eigh(a, upper: upper)
            close(values, c["values"], "eigh upper \(upper) values")
            close(vectors.abs(), c["abs_vectors"], "eigh upper \(upper) |vectors|")
            ((values * value(c, "w")).sum() + (vectors * vectors * value(c, "c")).sum()).backward()
            close(a.grad!, c["grad_a"], "eigh upper \(upper) grad")
        }
        let x = Tensor([[1, 0.2, -0.5], [0.4, -1.5, 0.1], [-0.3, 0.6, 0.7]], requiresGrad: true)
        checkDerivatives("eigh", [x]) { xs in
            let (values, vectors) = Linalg.eigh(xs[0] + xs[0].mT)
            return Tensor.cat([values, (vectors * vectors).reshape([-1])])
        }
        // Repeated eigenvalues: d(λ₁ + λ₂ + λ₃) = d trace, whatever basis LAPACK picks for the eigenspace.
        let repeated = Tensor([[2, 0, 0], [0, 2, 0], [0, 0, 5]], requiresGrad: true)
        Linalg.eigvalsh(repeated).sum().backward()
        expectClose(repeated.grad!.toArray(), Tensor.eye(3).toArray(), atol: 1e-6, "eigvalsh gradient at repeated eigenvalues")
    }

    @Test func qrMatchesPyTorchTallWideAndBatched() {
        for c in cases("qr") {
            let a = value(c, "a", requiresGrad: true)
            let (q, r) = Linalg.qr(a)
            close(q, c["q"], "qr \(a.shape) Q")
            close(r, c["r"], "qr \(a.shape) R")
            ((q * value(c, "gq")).sum() + (r * value(c, "gr")).sum()).backward()
            close(a.grad!, c["grad_a"], "qr \(a.shape) grad")
        }
        for shape in [[4, 3], [3, 4]] {
            let x = Tensor.randn(shape, generator: RandomGenerator(seed: 11)).requiringGrad(true)
            checkDerivatives("qr \(shape)", [x]) { xs in
                let (q, r) = Linalg.qr(xs[0])
                return Tensor.cat([q.reshape([-1]), r.reshape([-1])])
            }
        }
    }

    @Test func svdMatchesPyTorchUpToSingularVectorSigns() {
        for c in cases("svd") {
            let a = value(c, "a", requiresGrad: true)
            let (u, s, vh) = Linalg.svd(a)
            close(s, c["s"], "svd \(a.shape) S")
            close(u.abs(), c["abs_u"], "svd \(a.shape) |U|")
            close(vh.abs(), c["abs_vh"], "svd \(a.shape) |Vᵀ|")
            expectClose(((u * s.unsqueeze(-2)).matmul(vh)).toArray(), a.toArray(), atol: 1e-5, "svd \(a.shape) U·S·Vᵀ = A")
            ((s * value(c, "w")).sum() + (u * u * value(c, "cu")).sum() + (vh * vh * value(c, "cv")).sum()).backward()
            close(a.grad!, c["grad_a"], "svd \(a.shape) grad")
        }
        for shape in [[4, 3], [3, 4]] {
            let x = Tensor.randn(shape, generator: RandomGenerator(seed: 12)).requiringGrad(true)
            checkDerivatives("svd \(shape)", [x]) { xs in
                let (u, s, vh) = Linalg.svd(xs[0])
                return Tensor.cat([s, (u * u).reshape([-1]), (vh * vh).reshape([-1])])
            }
        }
        // At 2I every singular value repeats: the polar factor U·Vᵀ still has its gradient, (C − Cᵀ)/4.
        let doubled = (Tensor.eye(3) * 2).requiringGrad(true)
        let weights = Tensor([[0.3, -1, 0.5], [2, 0.1, -0.7], [0.4, 1.5, -0.2]] as [[Float]])
        let (pu, _, pvh) = Linalg.svd(doubled)
        (pu.matmul(pvh) * weights).sum().backward()
        expectClose(doubled.grad!.toArray(), ((weights - weights.mT) / 4).toArray(), atol: 1e-6, "polar factor gradient at 2I")
        // The nuclear norm's gradient at the identity (all singular values equal) is U·Vᵀ = I.
        let identity = Tensor.eye(3).requiringGrad(true)
        Linalg.svdvals(identity).sum().backward()
        expectClose(identity.grad!.toArray(), Tensor.eye(3).toArray(), atol: 1e-6, "svdvals gradient at repeated values")
    }

    @Test func lstsqPinvMatrixPowerAndRankMatchPyTorch() {
        for c in cases("lstsq") {
            let a = value(c, "a", requiresGrad: true), b = value(c, "b", requiresGrad: true)
            let out = Linalg.lstsq(a, b)
            close(out, c["out"], "lstsq \(a.shape)")
            (out * value(c, "upstream")).sum().backward()
            close(a.grad!, c["grad_a"], "lstsq \(a.shape) grad A")
            close(b.grad!, c["grad_b"], "lstsq \(a.shape) grad B")
        }
        let p = object(object(fixture["pinv"])["full"])
        let a = value(p, "a", requiresGrad: true)
        let pseudo = Linalg.pinv(a)
        close(pseudo, p["out"], "pinv")
        (pseudo * value(p, "upstream")).sum().backward()
        close(a.grad!, p["grad_a"], "pinv grad")
        // Singular values 1.7, 1.4 and 1.2: second differences of a worse-conditioned matrix drown in float32 rounding.
        let tall = Tensor([[1.5, 0.2, -0.3], [0.1, -1.2, 0.4], [0.3, 0.5, 1.1], [-0.6, 0.2, 0.7]] as [[Float]], requiresGrad: true)
        checkDerivatives("pinv", [tall]) { Linalg.pinv($0[0]) }
        let deficient = object(object(fixture["pinv"])["deficient"])
        close(Linalg.pinv(value(deficient, "a")), deficient["out"], "pinv of a rank-deficient matrix")

        for c in cases("matrix_power") {
            let exponent = c["exponent"] as! Int
            let a = value(c, "a", requiresGrad: true)
            let out = Linalg.matrixPower(a, exponent)
            close(out, c["out"], "matrixPower \(exponent)")
            guard exponent != 0 else { continue }   // the identity: no graph, as it depends on nothing
            (out * value(c, "upstream")).sum().backward()
            close(a.grad ?? Tensor.zeros(a.shape), c["grad_a"], "matrixPower \(exponent) grad")
        }
        let r = object(fixture["matrix_rank"])
        #expect(Linalg.matrixRank(value(r, "a")).toIntArray() == ints(r["ranks"]))
    }

    @Test func edgeShapesEmptyBatchesAndBroadcasting() {
        // 1×1 matrices, an empty batch and empty matrices.
        #expect(Linalg.inv(Tensor([[4]] as [[Float]])).item() == 0.25)
        #expect(Linalg.det(Tensor([[-3]] as [[Float]])).item() == -3)
        #expect(Linalg.inv(Tensor.zeros([0, 3, 3])).shape == [0, 3, 3])
        #expect(Linalg.det(Tensor.zeros([2, 0, 0])).toArray() == [1, 1])
        let (q, r) = Linalg.qr(Tensor.zeros([3, 0]))
        #expect(q.shape == [3, 0] && r.shape == [0, 0])
        let (u, s, vh) = Linalg.svd(Tensor.zeros([0, 4]))
        #expect(u.shape == [0, 0] && s.shape == [0] && vh.shape == [0, 4])
        // A batch of wide matrices.
        let wide = Tensor.randn([2, 2, 3], generator: RandomGenerator(seed: 5))
        let (wu, ws, wvh) = Linalg.svd(wide)
        #expect(wu.shape == [2, 2, 2] && ws.shape == [2, 2] && wvh.shape == [2, 2, 3])
        expectClose((wu * ws.unsqueeze(-2)).matmul(wvh).toArray(), wide.toArray(), atol: 1e-5, "batched wide U·S·Vᵀ")
        // One triangular matrix against a batch of right sides.
        let triangle = Tensor([[2, 0], [1, 4]] as [[Float]])
        let rhs = Tensor.randn([3, 2, 5], generator: RandomGenerator(seed: 6))
        let x = Linalg.solveTriangular(triangle, rhs, upper: false)
        #expect(x.shape == [3, 2, 5])
        expectClose(triangle.matmul(x).toArray(), rhs.toArray(), atol: 1e-5, "broadcast triangular solve")
        // The identity for exponent 0, still in the graph with a zero gradient.
        let a = Tensor([[1, 2], [3, 4]] as [[Float]], requiresGrad: true)
        Linalg.matrixPower(a, 0).sum().backward()
        #expect(a.grad?.toArray() == [0, 0, 0, 0])
        // pinv at an invertible matrix with repeated singular values is the inverse, gradient included.
        let b = (Tensor.eye(3) * 2).requiringGrad(true), c = (Tensor.eye(3) * 2).requiringGrad(true)
        let weights = Tensor([[0.3, -1, 0.5], [2, 0.1, -0.7], [0.4, 1.5, -0.2]] as [[Float]])
        (Linalg.pinv(b) * weights).sum().backward()
        (Linalg.inv(c) * weights).sum().backward()
        expectClose(b.grad!.toArray(), c.grad!.toArray(), atol: 1e-6, "pinv gradient at 2I")
    }

    /// Matrices up to SmallLU.maxOrder go through SmallLU's C loops, larger ones through LAPACK: the
    /// block-diagonal [[A, 0], [0, I]] (just past the limit) has inverse [[A⁻¹, 0], [0, I]], solves
    /// [B; 0] to [A⁻¹B; 0] and has A's determinant, so each path checks the other on the same 12×12
    /// matrices.
    @Test func smallMatricesAndLAPACKAgree() {
        let generator = RandomGenerator(seed: 31)
        let size = SmallLU.maxOrder + 4, rest = size - 12
        let a = Tensor.randn([3, 12, 12], generator: generator), b = Tensor.randn([3, 12, 5], generator: generator)
        var blocks = Tensor.zeros([3, size, size])
        for k in 0..<3 {
            let block = Tensor.cat([Tensor.cat([a[k], Tensor.zeros([12, rest])], dim: 1),
                                    Tensor.cat([Tensor.zeros([rest, 12]), Tensor.eye(rest)], dim: 1)], dim: 0)
            blocks = blocks.indexAdd(dim: 0, index: Tensor([k]), source: block.unsqueeze(0))
        }
        let inverse = Linalg.inv(blocks)
        expectClose(inverse.narrow(1, start: 0, length: 12).narrow(2, start: 0, length: 12).contiguous().toArray(),
                    Linalg.inv(a).toArray(), atol: 1e-4, rtol: 1e-3, "inv")
        let padded = Tensor.cat([b, Tensor.zeros([3, rest, 5])], dim: 1)
        expectClose(Linalg.solve(blocks, padded).narrow(1, start: 0, length: 12).contiguous().toArray(),
                    Linalg.solve(a, b).toArray(), atol: 1e-4, rtol: 1e-3, "solve")
        expectClose(Linalg.det(blocks).toArray(), Linalg.det(a).toArray(), atol: 1e-3, rtol: 1e-4, "det")
        let (sign, logs) = Linalg.slogdet(blocks), (smallSign, smallLogs) = Linalg.slogdet(a)
        #expect(sign.toArray() == smallSign.toArray())
        expectClose(logs.toArray(), smallLogs.toArray(), atol: 1e-4, "slogdet")
        // Triangular solves: C loops up to the limit, BLAS past it (the triangles of the block-diagonal
        // matrix hold those of `a`).
        let wide = Tensor.cat([b.mT, Tensor.zeros([3, 5, rest])], dim: 2)
        for upper in [false, true] {
            for unitriangular in [false, true] {
                let small = Linalg.solveTriangular(a, b, upper: upper, unitriangular: unitriangular)
                let large = Linalg.solveTriangular(blocks, padded, upper: upper, unitriangular: unitriangular)
                expectClose(large.narrow(1, start: 0, length: 12).contiguous().toArray(), small.toArray(), atol: 1e-4,
                            rtol: 1e-3, "solveTriangular left, upper \(upper), unitriangular \(unitriangular)")
                let smallRight = Linalg.solveTriangular(a, b.mT, upper: upper, left: false, unitriangular: unitriangular)
                let largeRight = Linalg.solveTriangular(blocks, wide, upper: upper, left: false, unitriangular: unitriangular)
                expectClose(largeRight.narrow(2, start: 0, length: 12).contiguous().toArray(), smallRight.toArray(),
                            atol: 1e-4, rtol: 1e-3, "solveTriangular right, upper \(upper), unitriangular \(unitriangular)")
            }
        }
        // Both paths find a singular matrix (a zero column makes a pivot exactly zero).
        let columns = Tensor((0..<size).map { $0 == 3 ? Float(0) : 1 }, shape: [1, size])
        let singular = a[0] * columns.narrow(1, start: 0, length: 12), singularBlock = blocks[0] * columns
        #expect(Linalg.det(singular).item() == 0 && Linalg.det(singularBlock).item() == 0)
        #expect(Linalg.slogdet(singular).sign.item() == 0 && Linalg.slogdet(singularBlock).logAbsDet.item() == -.infinity)
        // A subnormal pivot divides (its reciprocal would overflow), as LAPACK's reference sgetf2: x = [0, 1]
        // (PyTorch 2.15 on this machine answers [nan, 1]) and log|det| = log(5e-40), as PyTorch's.
        let tiny = Tensor([[1e-39, 1], [5e-40, 1]] as [[Float]])
        expectClose(Linalg.solve(tiny, Tensor([1, 1] as [Float])).toArray(), [0, 1], atol: 1e-6, "subnormal pivot")
        let (tinySign, tinyLog) = Linalg.slogdet(tiny)
        #expect(tinySign.item() == 1)
        expectClose([tinyLog.item()], [-90.4940], atol: 2e-4, rtol: 0, "log|det| with a subnormal pivot")
    }

    @Test func errorsNameTheMatrixAndTheProblem() async {
        let singular = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.inv(Tensor([1, 0, 0, 1, 1, 2, 2, 4] as [Float], shape: [2, 2, 2]))
        }
        #expect(stderr(singular).contains("linalg.inv: matrix [1] of the batch is singular"))
        let large = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let size = SmallLU.maxOrder + 1
            _ = Linalg.solve(Tensor.zeros([2, size, size]) + Tensor.eye(size), Tensor.zeros([size, 1]))
            _ = Linalg.inv(Tensor.zeros([2, size, size]))
        }
        #expect(stderr(large).contains("linalg.inv: matrix [0] of the batch is singular (pivot 0 of its LU factorization is zero)"))
        let indefinite = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.cholesky(Tensor([[1, 2], [2, 1]] as [[Float]]))
        }
        #expect(stderr(indefinite).contains("linalg.cholesky: the matrix is not positive-definite (its leading minor of order 2"))
        let square = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.det(Tensor.zeros([2, 3]))
        }
        #expect(stderr(square).contains("linalg.det: expected square matrices, got shape [2, 3]"))
        let rows = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.solve(Tensor.eye(3), Tensor.zeros([4, 2]))
        }
        #expect(stderr(rows).contains("linalg.solve: A of shape [3, 3] must be square and match B of shape [4, 2] (its rows must be 3)"))
        let tall = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linalg.lstsq(Tensor.zeros([4, 2]), Tensor.zeros([3]))
        }
        #expect(stderr(tall).contains("linalg.lstsq: expected A [..., m, n] and B [..., m, k] or [..., m] with the same m, got shapes [4, 2] and [3]"))
        let logOfZero = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([[1, 2], [2, 4]] as [[Float]], requiresGrad: true)
            Linalg.slogdet(a).logAbsDet.backward()
        }
        #expect(stderr(logOfZero).contains("linalg.slogdet: the gradient of log|det| is infinite at a singular matrix, and the matrix is singular"))
        let secondOrder = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([[1, 2], [2, 4]] as [[Float]], requiresGrad: true)
            _ = Autograd.grad(of: Linalg.det(a), wrt: [a], createGraph: true)
        }
        #expect(stderr(secondOrder).contains("linalg.det: second derivatives at a singular matrix are not supported"))
    }
}
