import Foundation
import Testing
@testable import Ember

/// The element-wise math beyond the basics against PyTorch's float32 results (math.json, from
/// scripts/make_math_fixtures.py): values, edge values and gradients.
@Suite("Element-wise math")
struct ElementwiseMathTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("math.json") }

    /// Each element within `ulps` units in the last place of PyTorch's (a NaN for a NaN, an infinity
    /// for that infinity, a zero of the same sign for a zero), or within `atol` for the functions that
    /// cross zero inside their domain, where ulps of a result near 0 mean little.
    func expectUlps(_ actual: [Float], _ expected: [Float], _ ulps: Float, atol: Float = 0, _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
        var misses: [String] = []
        for (a, e) in zip(actual, expected) {
            let ok = a.isNaN ? e.isNaN
                : e == 0 ? (a == 0 && a.sign == e.sign) || (e.sign == .plus && Swift.abs(a) <= atol)
                : a == e || (e.isFinite && (Swift.abs(a - e) <= ulps * e.ulp || Swift.abs(a - e) <= atol))
            if !ok { misses.append("\(a) for \(e)") }
        }
        #expect(misses.isEmpty, "\(what): \(misses.count) off, first \(misses.prefix(3))", sourceLocation: sourceLocation)
    }

    /// Name, function, ulps, and an absolute tolerance for those that cross zero inside their domain
    /// (logit at 0.5, sinc at the integers).
    static let unary: [(String, (Tensor) -> Tensor, Float, Float)] = [
        ("asin", { $0.asin() }, 1, 0), ("acos", { $0.acos() }, 1, 0), ("sinh", { $0.sinh() }, 2, 0),
        ("cosh", { $0.cosh() }, 2, 0), ("asinh", { $0.asinh() }, 2, 0), ("acosh", { $0.acosh() }, 2, 0),
        ("atanh", { $0.atanh() }, 2, 0), ("log2", { $0.log2() }, 1, 0), ("log10", { $0.log10() }, 1, 0),
        ("exp2", { $0.exp2() }, 1, 0), ("frac", { $0.frac() }, 0, 0), ("logit", { $0.logit() }, 3, 2e-7),
        ("logit_eps", { $0.logit(eps: 0.1) }, 3, 2e-7), ("sinc", { $0.sinc() }, 4, 2e-7),
        ("lgamma", { $0.lgamma() }, 2, 1e-6), ("digamma", { $0.digamma() }, 8, 1e-6),
        // PyTorch's float32 polygamma loses digits near its poles; Ember's is computed in double.
        ("polygamma1", { $0.polygamma(1) }, 64, 0), ("polygamma3", { $0.polygamma(3) }, 64, 0),
        ("deg2rad", { $0.deg2rad() }, 0, 0), ("rad2deg", { $0.rad2deg() }, 0, 0), ("nan_to_num", { $0.nanToNum() }, 0, 0),
        ("nan_to_num_values", { $0.nanToNum(nan: 1.5, posinf: 9, neginf: -8) }, 0, 0),
    ]

    @Test func unaryValuesMatchPyTorch() {
        let cases = object(fixture["unary"])
        #expect(cases.count == Self.unary.count)
        for (name, f, ulps, atol) in Self.unary {
            let c = object(cases[name])
            let x = floats(c["x"])
            expectUlps(f(Tensor(x, shape: [x.count])).toArray(), floats(c["out"]), ulps, atol: atol, name)
        }
    }

    @Test func unaryGradientsMatchPyTorch() {
        let cases = object(fixture["unary"])
        for (name, f, _, _) in Self.unary {
            let c = object(cases[name])
            let values = floats(c["grad_x"])
            let x = Tensor(values, shape: [values.count], requiresGrad: true)
            (f(x) * Tensor(floats(c["w"]), shape: [values.count])).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad"]), atol: 1e-5, rtol: 2e-5, "\(name) gradient")
        }
    }

    static let binary: [(String, (Tensor, Tensor) -> Tensor, Float)] = [
        ("atan2", { $0.atan2($1) }, 1), ("hypot", { $0.hypot($1) }, 1), ("copysign", { $0.copysign($1) }, 0),
        ("logaddexp", { $0.logaddexp($1) }, 2), ("logaddexp2", { $0.logaddexp2($1) }, 2), ("xlogy", { $0.xlogy($1) }, 4),
        ("fmod", { $0.fmod($1) }, 0), ("remainder", { $0.remainder($1) }, 0), ("floor_divide", { $0.floorDivide($1) }, 0),
        ("div_trunc", { $0.div($1, roundingMode: .trunc) }, 0),
    ]

    @Test func binaryValuesMatchPyTorch() {
        let cases = object(fixture["binary"])
        for (name, f, ulps) in Self.binary {
            let c = object(cases[name])
            let a = floats(c["a"]), b = floats(c["b"])
            // logaddexp crosses zero where a ≈ −b; the divisions' results are exact.
            expectUlps(f(Tensor(a, shape: [a.count]), Tensor(b, shape: [b.count])).toArray(), floats(c["out"]), ulps,
                       atol: name.hasPrefix("logaddexp") ? 1e-7 : 0, name)
        }
    }

    @Test func binaryGradientsMatchPyTorchWithBroadcasting() {
        let cases = object(fixture["binary"])
        for (name, f, _) in Self.binary {
            let c = object(cases[name])
            let a = Tensor(floats(c["ga"]), shape: [6, 5], requiresGrad: true)
            let b = Tensor(floats(c["gb"]), shape: [5], requiresGrad: true)
            let out = f(a, b)
            #expect(out.shape == [6, 5], "\(name) shape")
            (out * Tensor(floats(c["w"]), shape: [6, 5])).sum().backward()
            let expectedA = floats(c["grad_a"]), expectedB = floats(c["grad_b"])
            // PyTorch defines no derivative for floor_divide; Ember's is zero, as for div's rounding modes.
            expectClose(a.grad!.toArray(), expectedA.isEmpty ? Array(repeating: 0, count: 30) : expectedA, atol: 1e-5,
                        rtol: 2e-5, "\(name) gradient of a")
            expectClose(b.grad!.toArray(), expectedB.isEmpty ? Array(repeating: 0, count: 5) : expectedB, atol: 1e-5,
                        rtol: 2e-5, "\(name) gradient of b")
        }
    }

    @Test func integerDivisionKeepsInt64AndPythonSigns() {
        let c = object(object(fixture["binary"])["int64"])
        let a = Tensor(ints(c["a"])), b = Tensor(ints(c["b"]))
        for (key, out) in [("fmod", a.fmod(b)), ("remainder", a.remainder(b)), ("floor_divide", a.floorDivide(b)),
                           ("div_trunc", a.div(b, roundingMode: .trunc)), ("fmod_scalar", a.fmod(3)),
                           ("remainder_scalar", a.remainder(3))] {
            #expect(out.dtype == .int64, "\(key) dtype")
            #expect(out.toIntArray() == ints(c[key]), "\(key)")
        }
    }

    /// The scalar and rounding-mode spellings give what the tensor forms give.
    @Test func scalarOperandsAndRoundingModes() {
        let a = Tensor([-7, 7.5, -0.5], shape: [3]), b = Tensor([2, -2, 2], shape: [3])
        #expect(a.div(b, roundingMode: .floor).toArray() == a.floorDivide(b).toArray())
        #expect(a.div(b, roundingMode: .floor).toArray() == [-4, -4, -1])
        #expect(a.floorDivide(2).toArray() == [-4, 3, -1])
        #expect(a.copysign(-1).toArray() == [-7, -7.5, -0.5])
        #expect(a.fmod(2).toArray() == [-1, 1.5, -0.5] && a.remainder(2).toArray() == [1, 1.5, 1.5])
    }

    /// Int64.min by −1 wraps (PyTorch's results) instead of trapping, and a zero divisor gives 0.
    @Test func integerDivisionByMinusOneAndZero() {
        let c = object(object(fixture["binary"])["int64_overflow"])
        let int64s = { (key: String) in (c[key] as! [String]).map { Int($0)! } }
        let a = Tensor(int64s("a")), b = Tensor(int64s("b"))
        #expect(a.fmod(b).toIntArray() == int64s("fmod"))
        #expect(a.remainder(b).toIntArray() == int64s("remainder"))
        #expect(a.floorDivide(b).toIntArray() == int64s("floor_divide"))
        #expect(a.div(b, roundingMode: .trunc).toIntArray() == [Int.min, Int.min / 3, -5, 5, -Int.max])
        let zero = Tensor([0, 0, 0] as [Int])
        let dividends = Tensor([7, -7, 0] as [Int])
        for out in [dividends.fmod(zero), dividends.remainder(zero), dividends.floorDivide(zero)] {
            #expect(out.toIntArray() == [0, 0, 0])
        }
    }

    /// Integer operands of the functions whose results are not integers compute in float32, as
    /// PyTorch promotes; an int64 tensor has no NaN or infinity to find or replace.
    @Test func integerOperandsArePromoted() {
        let c = object(object(fixture["binary"])["promoted"])
        let a = Tensor(ints(c["a"])), b = Tensor(ints(c["b"]))
        for (key, out) in [("atan2", a.atan2(b)), ("hypot", a.hypot(b)), ("copysign", a.copysign(b)),
                           ("xlogy", a.xlogy(Tensor(ints(c["b"]).map(abs)))), ("logaddexp", a.logaddexp(b))] {
            #expect(out.dtype == .float32, "\(key) dtype")
            expectUlps(out.toArray(), floats(c[key]), 2, key)
        }
        #expect(a.isInf().toArray() == floats(c["isinf"]) && a.isFinite().toArray() == floats(c["isfinite"]))
        #expect(a.nanToNum().dtype == .int64 && a.nanToNum().toIntArray() == ints(c["nan_to_num"]))
    }

    /// Gradients at the special points of their formulas equal PyTorch's, NaN and ±∞ included: sinc
    /// near 0, logit at and outside its domain's ends, copysign at ±0, hypot of a subnormal and at the
    /// origin, a rounded division by 0, fmod by 0.
    @Test func edgeGradientsMatchPyTorch() {
        let cases = object(fixture["edge_gradients"])
        let unary: [(String, (Tensor) -> Tensor)] = [
            ("sinc", { $0.sinc() }), ("logit", { $0.logit() }), ("logit_eps", { $0.logit(eps: 0.1) }),
        ]
        for (name, f) in unary {
            let c = object(cases[name])
            let x = Tensor(floats(c["x"]), shape: [floats(c["x"]).count], requiresGrad: true)
            f(x).sum().backward()
            expectUlps(x.grad!.toArray(), floats(c["grad"]), 2, "\(name) gradient")
        }
        let binary: [(String, (Tensor, Tensor) -> Tensor)] = [
            ("copysign", { $0.copysign($1) }), ("hypot", { $0.hypot($1) }),
            ("div_trunc", { $0.div($1, roundingMode: .trunc) }), ("fmod", { $0.fmod($1) }),
        ]
        for (name, f) in binary {
            let c = object(cases[name])
            let a = Tensor(floats(c["a"]), shape: [floats(c["a"]).count], requiresGrad: true)
            let b = Tensor(floats(c["b"]), shape: [floats(c["b"]).count], requiresGrad: true)
            f(a, b).sum().backward()
            expectUlps(a.grad!.toArray(), floats(c["grad_a"]), 2, "\(name) gradient of a")
            expectUlps(b.grad!.toArray(), floats(c["grad_b"]), 2, "\(name) gradient of b")
        }
    }

    /// Where PyTorch's float32 series break down, Ember's double ones give the limits: ψ⁽ⁿ⁾(∞) = 0,
    /// trigamma(1e-30) = 1e60 (∞ in float32), lgamma at the poles ∞.
    @Test func gammaFunctionsAtTheirLimits() {
        let x = Tensor([.infinity, 1e-30, 0, -3], shape: [4])
        #expect(x.polygamma(1).toArray() == [0, .infinity, .infinity, .infinity])
        #expect(Tensor([.infinity], shape: [1]).polygamma(3).toArray() == [0])
        #expect(x.lgamma().toArray() == [.infinity, Float(69.07755), .infinity, .infinity])
        #expect(x.digamma().toArray()[0] == .infinity && x.digamma().toArray()[3].isNaN)
        // Trigamma far below 0 by reflection (the series would take a million steps): π² − ψ′(10⁶ + 1.5).
        let far = Tensor([-1_000_000.5], shape: [1]).polygamma(1).item()
        #expect(Swift.abs(far - 9.869603) < 1e-5)
    }

    @Test func floatTestsMatchPyTorch() {
        let c = object(fixture["tests"])
        let x = Tensor(floats(c["x"]), shape: [floats(c["x"]).count])
        for (key, out) in [("isnan", x.isNaN()), ("isinf", x.isInf()), ("isposinf", x.isPosInf()),
                           ("isneginf", x.isNegInf()), ("isfinite", x.isFinite())] {
            #expect(out.toArray() == floats(c[key]), "\(key)")
        }
    }

    /// Finite differences where the gradient has a special point: sinc at 0, logaddexp at a tie,
    /// hypot and atan2 on the axes, and the gradient of nanToNum only where the input was finite.
    @Test func gradientsMatchFiniteDifferences() {
        let x = Tensor([-1.3, -0.4, 0, 0.7, 2.2], shape: [5])
        let y = Tensor([0.9, -0.4, 1.5, -2, 0.2], shape: [5])
        let cases: [(String, (Tensor) -> Tensor)] = [
            ("sinc", { $0.sinc() }), ("logaddexp", { $0.logaddexp(y) }), ("logaddexp2", { $0.logaddexp2(y) }),
            ("hypot", { $0.hypot(y) }), ("atan2 of y", { y.atan2($0) }), ("atan2 of x", { $0.atan2(y) }),
            ("xlogy of y", { y.abs().xlogy($0.abs() + 0.5) }),
        ]
        for (name, f) in cases {
            let leaf = x.detach().requiringGrad()
            f(leaf).sum().backward()
            expectClose(leaf.grad!.toArray(), numericalGradient(of: f, at: x, h: 1e-2), atol: 2e-3, rtol: 1e-2, name)
        }
        let v = Tensor([1, .nan, .infinity, -2, -.infinity], shape: [5], requiresGrad: true)
        v.nanToNum().sum().backward()
        #expect(v.grad!.toArray() == [1, 0, 0, 1, 0])
    }
}
