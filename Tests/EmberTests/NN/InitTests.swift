import Foundation
import Testing
@testable import Ember

/// `Init` against PyTorch (init.json, from scripts/make_init_fixtures.py: erfinv, eye, dirac, gains)
/// and, for the random initializers, against the distributions they promise.
@Suite("Initializers")
struct InitTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("init.json") }

    /// Mean and standard deviation of a tensor's values.
    func moments(_ t: Tensor) -> (mean: Double, std: Double) {
        let values = t.toArray().map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    @Test func erfinvMatchesPyTorch() {
        let x = Tensor(floats(fixture["erfinv_x"]))
        let (actual, expected) = (x.erfinv().toArray(), floats(fixture["erfinv"]))
        #expect(actual.count == expected.count && actual.count > 2000)
        for (a, e) in zip(actual, expected) where !(a.isNaN && e.isNaN) {
            #expect(a == e || abs(a - e) <= e.ulp, "erfinv: \(a), PyTorch \(e)")   // within one unit in the last place
        }
        let inside = Tensor(floats(fixture["erfinv_grad_x"]), requiresGrad: true)
        inside.erfinv().sum().backward()
        expectClose(inside.grad!.toArray(), floats(fixture["erfinv_grad"]), atol: 0, rtol: 2e-6, "erfinv gradient")
        // erf undoes it.
        let u = Tensor.rand([1000], low: -0.999, high: 0.999, generator: RandomGenerator(seed: 1))
        expectClose(u.erfinv().erf().toArray(), u.toArray(), atol: 2e-7, rtol: 0, "erf(erfinv(u))")
    }

    @Test func eyeDiracAndGainsMatchPyTorch() {
        for c in (fixture["eye"] as? [Any] ?? []).map({ object($0) }) {
            let shape = ints(c["shape"])
            #expect(Init.eye(Tensor.randn(shape)).toArray() == floats(c["values"]), "eye \(shape)")
        }
        let diracs = (fixture["dirac"] as? [Any] ?? []).map { object($0) }
        #expect(diracs.count == 6)
        for c in diracs {
            let (shape, groups) = (ints(c["shape"]), c["groups"] as! Int)
            #expect(Init.dirac(Tensor.randn(shape), groups: groups).toArray() == floats(c["values"]), "dirac \(shape) \(groups)")
        }
        for (name, gain) in object(fixture["gain"]) {
            #expect(abs(Init.gain(name) - (gain as! NSNumber).floatValue) < 1e-6, "gain \(name)")
        }
        for pair in fixture["gain_leaky"] as? [[Double]] ?? [] {
            #expect(abs(Init.gain("leaky_relu", param: Float(pair[0])) - Float(pair[1])) < 1e-6)
        }
    }

    /// A Dirac weight makes a same-padded convolution the identity on its first channels.
    @Test func diracWeightPassesChannelsThrough() {
        let x = Tensor.randn([2, 3, 5, 5], generator: RandomGenerator(seed: 3))
        let weight = Init.dirac(Tensor.zeros([3, 3, 3, 3]))
        expectClose(conv2d(x, weight: weight, padding: .same).toArray(), x.toArray(), atol: 1e-6, "dirac conv")
    }

    @Test func truncNormalStaysInsideWithTheTruncatedMoments() {
        let (mean, std, a, b): (Double, Double, Double, Double) = (0.5, 2, -1, 4)
        let t = Init.truncNormal(Tensor.zeros([100_000]), mean: Float(mean), std: Float(std), a: Float(a), b: Float(b),
                                 generator: RandomGenerator(seed: 5))
        let values = t.toArray()
        #expect(values.allSatisfy { $0 >= Float(a) && $0 <= Float(b) })
        // The moments of N(mean, std²) truncated to [a, b].
        func pdf(_ z: Double) -> Double { Foundation.exp(-z * z / 2) / (2 * Double.pi).squareRoot() }
        func cdf(_ z: Double) -> Double { (1 + Foundation.erf(z / 2.0.squareRoot())) / 2 }
        let (alpha, beta) = ((a - mean) / std, (b - mean) / std)
        let z = cdf(beta) - cdf(alpha)
        let shift = (pdf(alpha) - pdf(beta)) / z
        let expectedMean = mean + std * shift
        let expectedStd = std * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - shift * shift).squareRoot()
        let (m, s) = moments(t)
        #expect(abs(m - expectedMean) < 0.01 && abs(s - expectedStd) < 0.01,
                "mean \(m) (expected \(expectedMean)), std \(s) (expected \(expectedStd))")
        // Far into the tail nothing is rejected and nothing escapes the window.
        let tail = Init.truncNormal(Tensor.zeros([1000]), a: 3, b: 3.5, generator: RandomGenerator(seed: 6)).toArray()
        #expect(tail.allSatisfy { $0 >= 3 && $0 <= 3.5 } && Set(tail).count > 900)
    }

    @Test func orthogonalRowsOrColumnsAreOrthonormalTimesTheGain() {
        for shape in [[6, 4], [4, 6], [3, 2, 2, 2], [5, 5]] {
            let t = Init.orthogonal(Tensor.zeros(shape), gain: 2, generator: RandomGenerator(seed: 8)).reshape([shape[0], -1])
            let (rows, cols) = (t.shape[0], t.shape[1])
            let gram = rows >= cols ? t.mT.matmul(t) : t.matmul(t.mT)
            let n = min(rows, cols)
            expectClose(gram.toArray(), Tensor.eye(n).toArray().map { $0 * 4 }, atol: 1e-4, "orthogonal \(shape)")
        }
        // Q's signs follow R's diagonal, so entries are spread symmetrically, not biased.
        var firstEntries: [Float] = []
        let generator = RandomGenerator(seed: 9)
        for _ in 0..<400 { firstEntries.append(Init.orthogonal(Tensor.zeros([3, 3]), generator: generator).toArray()[0]) }
        #expect(abs(firstEntries.reduce(0, +) / 400) < 0.08)
    }

    @Test func sparseZeroesTheFractionOfEachColumn() {
        let t = Init.sparse(Tensor.zeros([10, 300]), sparsity: 0.1, std: 0.5, generator: RandomGenerator(seed: 10))
        let values = t.toArray()
        for col in 0..<300 {
            #expect((0..<10).count { values[$0 * 300 + col] == 0 } == 1, "column \(col)")   // ⌈0.1 · 10⌉, as PyTorch
        }
        let nonzero = values.filter { $0 != 0 }.map(Double.init)
        let std = (nonzero.reduce(0) { $0 + $1 * $1 } / Double(nonzero.count)).squareRoot()
        #expect(abs(std - 0.5) < 0.03)
    }

    /// The fan-based initializers have PyTorch's bounds and spreads.
    @Test func fanBasedInitializersHaveTheirBoundsAndSpreads() {
        let generator = RandomGenerator(seed: 12)
        let shape = [200, 50, 3, 3]   // fan-in 450, fan-out 1800
        let xavier = Init.xavierUniform(Tensor.zeros(shape), gain: 2, generator: generator)
        let xavierBound = 2 * (6.0 / 2250).squareRoot()
        #expect(xavier.toArray().allSatisfy { abs(Double($0)) <= xavierBound })
        #expect(abs(moments(xavier).std - xavierBound / 3.0.squareRoot()) < 0.003)
        let normal = Init.xavierNormal(Tensor.zeros(shape), generator: generator)
        #expect(abs(moments(normal).std - (2.0 / 2250).squareRoot()) < 0.001)
        let kaiming = Init.kaimingUniform(Tensor.zeros(shape), a: Float(5).squareRoot(), generator: generator)
        #expect(kaiming.toArray().allSatisfy { abs(Double($0)) <= 1 / 450.0.squareRoot() + 1e-7 })
        let relu = Init.kaimingNormal(Tensor.zeros(shape), fanOut: true, nonlinearity: "relu", generator: generator)
        #expect(abs(moments(relu).std - (2.0 / 1800).squareRoot()) < 0.001)
    }

    @Test func badShapesStopWithMessages() async {
        let eye = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Init.eye(Tensor.zeros([2, 2, 2]))
        }
        #expect(stderr(eye).contains("Init.eye: needs a 2-D tensor, got [2, 2, 2]"))
        let dirac = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Init.dirac(Tensor.zeros([5, 2, 3]), groups: 2)
        }
        #expect(stderr(dirac).contains("Init.dirac: needs a 3-, 4- or 5-D weight whose first dim divides into 2 groups, got [5, 2, 3]"))
        let orthogonal = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Init.orthogonal(Tensor.zeros([4]))
        }
        #expect(stderr(orthogonal).contains("Init.orthogonal: needs a tensor with at least 2 dims, got [4]"))
        let truncated = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Init.truncNormal(Tensor.zeros([4]), a: 1, b: -1)
        }
        #expect(stderr(truncated).contains("Init.truncNormal: needs a < b and std > 0, got a 1.0, b -1.0, std 1.0"))
        let sparse = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Init.sparse(Tensor.zeros([4, 2]), sparsity: 1.5)
        }
        #expect(stderr(sparse).contains("Init.sparse: needs a 2-D tensor and a sparsity in [0, 1], got [4, 2] and 1.5"))
    }
}
