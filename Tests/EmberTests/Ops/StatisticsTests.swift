import Foundation
import Testing
@testable import Ember

/// Statistics and running extremes against PyTorch (statistics.json, from
/// scripts/make_statistics_fixtures.py): values, indices and gradients.
@Suite("Statistics")
struct StatisticsTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("statistics.json") }

    func cases(_ key: String) -> [[String: Any]] { (fixture[key] as? [Any] ?? []).map { object($0) } }

    /// Runs `f` on the case's input, checks its values (and indices), and the gradient of Σ out·w
    /// (NaN outputs left out, as the fixture's nansum leaves them).
    func check(_ c: [String: Any], _ what: String, _ f: (Tensor) -> (Tensor, Tensor?),
               sourceLocation: SourceLocation = #_sourceLocation) {
        let x = tensor(c["x"], ints(c["x_shape"]), requiresGrad: true)
        let (out, indices) = f(x)
        #expect(out.shape == ints(c["out_shape"]), "\(what) shape", sourceLocation: sourceLocation)
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, rtol: 1e-5, what, sourceLocation: sourceLocation)
        if let indices {
            #expect(indices.toIntArray() == ints(c["indices"]), "\(what) indices", sourceLocation: sourceLocation)
        }
        guard c["grad"] != nil, out.shape == ints(c["out_shape"]) else { return }
        (out * tensor(c["w"], out.shape)).nansum().backward()
        // Where every entry of a row is NaN PyTorch's nanmean passes 0/0 = NaN back; Ember passes 0.
        let expected = zip(floats(c["grad"]), x.grad?.toArray() ?? []).map { e, a in e.isNaN && a == 0 ? 0 : e }
        expectClose(x.grad?.toArray() ?? [], expected, atol: 1e-5, rtol: 1e-5, "\(what) gradient",
                    sourceLocation: sourceLocation)
    }

    @Test func nansumAndNanmeanSkipNaN() {
        let all = cases("nan")
        #expect(all.count == 4)
        for c in all {
            let dims = ints(c["dims"]), keepdim = c["keepdim"] as! Bool
            check(object(c["nansum"]), "nansum \(dims)") { ($0.nansum(dims: dims, keepdim: keepdim), nil) }
            check(object(c["nanmean"]), "nanmean \(dims)") { ($0.nanmean(dims: dims, keepdim: keepdim), nil) }
        }
    }

    @Test func quantilesMatchPyTorch() {
        let all = cases("quantiles")
        #expect(all.count == 120)
        let interpolations: [String: QuantileInterpolation] = [
            "linear": .linear, "lower": .lower, "higher": .higher, "midpoint": .midpoint, "nearest": .nearest,
        ]
        for c in all {
            let dim = (c["dim"] as? NSNumber)?.intValue, keepdim = c["keepdim"] as! Bool
            let interpolation = interpolations[c["interpolation"] as! String]!
            let ignoringNaN = c["fn"] as! String == "nanquantile"
            let what = "\(c["fn"]!) q \(c["q"]!) dim \(String(describing: dim)) keepdim \(keepdim) \(interpolation)"
            check(c, what) { x in
                if let q = c["q"] as? [Any] {
                    let qs = floats(q)
                    return (ignoringNaN ? x.nanquantile(qs, dim: dim, keepdim: keepdim, interpolation: interpolation)
                                        : x.quantile(qs, dim: dim, keepdim: keepdim, interpolation: interpolation), nil)
                }
                let q = floats(c["q"])[0]
                return (ignoringNaN ? x.nanquantile(q, dim: dim, keepdim: keepdim, interpolation: interpolation)
                                    : x.quantile(q, dim: dim, keepdim: keepdim, interpolation: interpolation), nil)
            }
        }
    }

    @Test func kthvalueAndModeMatchPyTorch() {
        for c in cases("kthvalue") {
            let k = c["k"] as! Int, dim = c["dim"] as! Int, keepdim = c["keepdim"] as! Bool
            check(c, "kthvalue \(k) dim \(dim)") { x in
                let r = x.kthvalue(k, dim: dim, keepdim: keepdim)
                return (r.values, r.indices)
            }
        }
        for c in cases("mode") {
            let dim = c["dim"] as! Int, keepdim = c["keepdim"] as! Bool
            check(c, "mode dim \(dim)") { x in
                let r = x.mode(dim: dim, keepdim: keepdim)
                return (r.values, r.indices)
            }
        }
    }

    @Test func runningExtremesAndLogcumsumexpMatchPyTorch() {
        let scans = object(fixture["scans"])
        check(object(scans["cummax1"]), "cummax") { x in let r = x.cummax(dim: 1); return (r.values, r.indices) }
        check(object(scans["cummin1"]), "cummin") { x in let r = x.cummin(dim: 1); return (r.values, r.indices) }
        check(object(scans["cummax0"]), "cummax dim 0") { x in let r = x.cummax(dim: 0); return (r.values, r.indices) }
        check(object(scans["logcumsumexp1"]), "logcumsumexp") { ($0.logcumsumexp(dim: 1), nil) }
        check(object(scans["logcumsumexp0"]), "logcumsumexp dim 0") { ($0.logcumsumexp(dim: 0), nil) }
        check(object(scans["logcumsumexp_neginf"]), "logcumsumexp of −∞ runs") { ($0.logcumsumexp(dim: 1), nil) }
    }

    /// int64 entries compare as integers: 2^24 + 1 and 2^24 are one float32, not one int64.
    @Test func integerEntriesCompareExactly() {
        let big = 1 << 24
        let mode = Tensor([big + 1, big + 1, big]).mode()
        #expect(mode.values.toIntArray() == [big + 1] && mode.indices.toIntArray() == [1])
        let running = Tensor([big + 1, big, big + 2]).cummax(dim: 0)
        #expect(running.values.toIntArray() == [big + 1, big + 1, big + 2] && running.indices.toIntArray() == [0, 0, 2])
        let lowest = Tensor([big + 1, big, big + 2]).cummin(dim: 0)
        #expect(lowest.values.toIntArray() == [big + 1, big, big] && lowest.indices.toIntArray() == [0, 1, 1])
        let sum = Tensor([3, 4, 5]).nansum()
        #expect(sum.dtype == .int64 && sum.toIntArray() == [12])
        let scalar = Tensor.full([], 2.5)
        #expect(scalar.movedim(0, 0).toArray() == [2.5] && scalar.movedim(0, -1).shape == [])
    }

    @Test func compositesMatchPyTorch() {
        let c = object(fixture["composites"])
        let y = tensor(c["x"], [3, 4, 5])
        let extremes = y.aminmax(dims: [1])
        let aminmax = c["aminmax"] as! [Any]
        #expect(extremes.min.toArray() == floats(aminmax[0]) && extremes.max.toArray() == floats(aminmax[1]))
        let varMean = y.varMean(dims: [0, 2]), expectedVarMean = c["var_mean"] as! [Any]
        expectClose(varMean.variance.toArray(), floats(expectedVarMean[0]), "var_mean variance")
        expectClose(varMean.mean.toArray(), floats(expectedVarMean[1]), "var_mean mean")
        let stdMean = y.stdMean(dims: [2], unbiased: false, keepdim: true), expectedStdMean = c["std_mean"] as! [Any]
        #expect(stdMean.std.shape == [3, 4, 1])
        expectClose(stdMean.std.toArray(), floats(expectedStdMean[0]), "std_mean std")
        expectClose(stdMean.mean.toArray(), floats(expectedStdMean[1]), "std_mean mean")
        let counted = y.relu().countNonzero(dims: [1])
        #expect(counted.dtype == .int64 && counted.toIntArray() == ints(c["count_nonzero"]))
        #expect(y.relu().countNonzero().toIntArray() == [c["count_all"] as! Int])
        let moved = y.movedim([0, 2], [2, 0])
        #expect(moved.shape == ints(c["movedim_shape"]) && moved.contiguous().toArray() == floats(c["movedim"]))
        #expect(y.movedim(0, -1).contiguous().toArray() == floats(c["movedim1"]))
    }

    /// logcumsumexp of entries 600 apart: a max-shifted exp–cumsum–log would give −∞ for the early
    /// entries; the scan of logaddexp keeps them, and its gradient is each entry's softmax weight.
    @Test func logcumsumexpStaysFiniteAndDifferentiates() {
        let x = Tensor([-300, 0, 300, -300], shape: [4], requiresGrad: true)
        #expect(x.logcumsumexp(dim: 0).toArray() == [-300, 0, 300, 300])
        let generator = RandomGenerator(seed: 11)
        let base = Tensor.randn([3, 5], generator: generator)
        let weights = Tensor.randn([3, 5], generator: generator)
        let f = { (t: Tensor) in t.logcumsumexp(dim: 1) * weights }
        let leaf = base.detach().requiringGrad()
        f(leaf).sum().backward()
        expectClose(leaf.grad!.toArray(), numericalGradient(of: f, at: base), atol: 2e-3, rtol: 1e-2, "logcumsumexp gradient")
    }

    @Test func emptyAndWrongInputsStopWithAMessage() async {
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0, 3]).quantile(0.5, dim: 1)
        }
        #expect(stderr(empty).contains("quantile: expects a non-empty tensor, got shape [0, 3]"))
        let mode = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 0]).mode(dim: 1)
        }
        #expect(stderr(mode).contains("mode: cannot take the mode of an empty dim (shape [2, 0])"))
        let cov = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 2, 2]).cov()
        }
        #expect(stderr(cov).contains("cov: expects a tensor with at most 2 dims, got shape [2, 2, 2]"))
        let ints = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2] as [Int]).logcumsumexp(dim: 0)
        }
        #expect(stderr(ints).contains("logcumsumexp needs a float32 tensor; convert with .float() first"))
        let order = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2] as [Float]).polygamma(-1)
        }
        #expect(stderr(order).contains("polygamma: n must be non-negative, got -1"))
    }

    @Test func badArgumentsStopWithAMessage() async {
        let q = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2, 3] as [Float]).quantile(1.5)
        }
        #expect(stderr(q).contains("quantile: q values must lie in [0, 1], got 1.5"))
        let k = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2, 3] as [Float]).kthvalue(4)
        }
        #expect(stderr(k).contains("kthvalue: k (4) must be between 1 and the size of dim 0 (3) of shape [3]"))
        let moved = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3, 4]).movedim([0, 1], [2])
        }
        #expect(stderr(moved).contains("movedim: needs as many distinct source dims as distinct destinations"))
    }
}
