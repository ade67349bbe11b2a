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
    /// for that infinity), or within `atol` where the value is near 0 and ulps mean little.
    func expectUlps(_ actual: [Float], _ expected: [Float], _ ulps: Float, atol: Float = 0, _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
        var misses: [String] = []
        for (a, e) in zip(actual, expected) {
            let ok = a.isNaN ? e.isNaN : (a == e || (e.isFinite && (Swift.abs(a - e) <= ulps * e.ulp || Swift.abs(a - e) <= atol)))
            if !ok { misses.append("\(a) for \(e)") }
        }
        #expect(misses.isEmpty, "\(what): \(misses.count) off, first \(misses.prefix(3))", sourceLocation: sourceLocation)
    }

    static let unary: [(String, (Tensor) -> Tensor, Float)] = [
        ("asin", { $0.asin() }, 1), ("acos", { $0.acos() }, 1), ("sinh", { $0.sinh() }, 2), ("cosh", { $0.cosh() }, 2),
        ("asinh", { $0.asinh() }, 2), ("acosh", { $0.acosh() }, 2), ("atanh", { $0.atanh() }, 2),
        ("log2", { $0.log2() }, 1), ("log10", { $0.log10() }, 1), ("exp2", { $0.exp2() }, 1),
        ("frac", { $0.frac() }, 0), ("logit", { $0.logit() }, 3), ("logit_eps", { $0.logit(eps: 0.1) }, 3),
        ("sinc", { $0.sinc() }, 4), ("deg2rad", { $0.deg2rad() }, 0), ("rad2deg", { $0.rad2deg() }, 0),
        ("nan_to_num", { $0.nanToNum() }, 0),
        ("nan_to_num_values", { $0.nanToNum(nan: 1.5, posinf: 9, neginf: -8) }, 0),
    ]

    @Test func unaryValuesMatchPyTorch() {
        let cases = object(fixture["unary"])
        #expect(cases.count == Self.unary.count)
        for (name, f, ulps) in Self.unary {
            let c = object(cases[name])
            let x = floats(c["x"])
            // Near a zero of the function a relative measure is meaningless (logit at 0.5, sinc at 3).
            expectUlps(f(Tensor(x, shape: [x.count])).toArray(), floats(c["out"]), ulps, atol: 2e-7, name)
        }
    }

    @Test func unaryGradientsMatchPyTorch() {
        let cases = object(fixture["unary"])
        for (name, f, _) in Self.unary {
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
            expectUlps(f(Tensor(a, shape: [a.count]), Tensor(b, shape: [b.count])).toArray(), floats(c["out"]), ulps,
                       atol: 1e-7, name)
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
