import CEmberKernels
import Foundation
import Testing
@testable import Ember

/// The vectorized element-wise functions (VectorMath.c, glibc's libmvec where present) against the
/// same functions in double precision: every length's tail, special values, in place, and the ops
/// that use them.
@Suite("Vector math", .serialized)
struct VectorMathTests {
    static let functions: [(ember_math_function, String, (Double) -> Double)] = [
        (EMBER_MATH_EXP, "exp", { Foundation.exp($0) }),
        (EMBER_MATH_LOG, "log", { Foundation.log($0) }),
        (EMBER_MATH_TANH, "tanh", { Foundation.tanh($0) }),
        (EMBER_MATH_SIGMOID, "sigmoid", { 1 / (1 + Foundation.exp(-$0)) }),
        (EMBER_MATH_ERF, "erf", { Foundation.erf($0) }),
        (EMBER_MATH_GELU, "gelu", { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }),
        (EMBER_MATH_GELU_DERIVATIVE, "gelu'", { geluDerivative($0) }),
        (EMBER_MATH_SIN, "sin", { Foundation.sin($0) }),
        (EMBER_MATH_COS, "cos", { Foundation.cos($0) }),
        (EMBER_MATH_LOG1P, "log1p", { Foundation.log1p($0) }),
    ]

    static func geluDerivative(_ x: Double) -> Double {
        0.5 * (1 + Foundation.erf(x / 2.0.squareRoot())) + x * Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
    }

    /// Inputs in each function's domain: 1,003 values (not a multiple of 8) over [lo, hi].
    static func inputs(_ name: String) -> [Float] {
        let (lo, hi): (Float, Float) = switch name {
        case "log": (1e-6, 1e6)
        case "log1p": (-0.999, 100)
        case "exp": (-87, 88)
        case "sin", "cos": (-50, 50)
        default: (-12, 12)
        }
        return (0..<1003).map { lo + (hi - lo) * Float($0) / 1002 }
    }

    /// Within a few float ulps of the double-precision value, or `absolute` of it near zero (where
    /// relative error means little: sin near π, erf near 0). GELU's x/2 · (1 + erf(x/√2)) loses bits to
    /// cancellation for negative x, in PyTorch's float formula as here, so it gets 1e-6.
    static func close(_ got: Float, _ want: Double, absolute: Double = 1e-7) -> Bool {
        if want.isNaN { return got.isNaN }
        if want.isInfinite { return Double(got) == want }
        return abs(Double(got) - want) <= 5e-7 * abs(want) + absolute
    }

    static func absoluteTolerance(_ name: String) -> Double { name.hasPrefix("gelu") ? 1e-6 : 1e-7 }

    @Test(arguments: [true, false])
    func everyFunctionMatchesDoublePrecision(vectorized: Bool) {
        // Off: the libm fallback that machines without AVX2 or libmvec run (on this thread only).
        ember_vector_math_set_enabled(vectorized ? 1 : 0)
        defer { ember_vector_math_set_enabled(1) }
        for (function, name, reference) in Self.functions {
            let x = Self.inputs(name)
            var y = [Float](repeating: .nan, count: x.count)
            ember_math_f32(function, x, &y, Int64(x.count))
            let bad = zip(x, y).filter { !Self.close($1, reference(Double($0)), absolute: Self.absoluteTolerance(name)) }
            #expect(bad.isEmpty, "\(name) (vectorized \(vectorized)): \(bad.count) values off, first \(bad.first.map { "\($0) → \($1)" } ?? "")")
        }
        let x = (0..<1003).map { Float($0) / 25 - 20 }
        var e = [Float](repeating: 0, count: x.count)
        let sum = ember_exp_sum_f32(x, &e, Int64(x.count), 3)
        let want = x.map { Foundation.exp(Double($0) - 3) }
        #expect(zip(e, want).allSatisfy { Self.close($0, $1) })
        #expect(abs(Double(sum) - want.reduce(0, +)) < 1e-5 * Double(sum))
    }

    /// Lengths 0 to 17 cover no vector, one, and every partial last vector; nothing past n is written.
    @Test func everyTailLengthIsComputedAndNothingBeyond() {
        for n in 0...17 {
            let x = (0..<n).map { Float($0) * 0.37 - 2 }
            var y = [Float](repeating: 99, count: n + 3)
            ember_math_f32(EMBER_MATH_TANH, x, &y, Int64(n))
            for i in 0..<n { #expect(Self.close(y[i], Foundation.tanh(Double(x[i]))), "n \(n), i \(i)") }
            #expect(Array(y[n...]) == [99, 99, 99], "n \(n)")
            var e = [Float](repeating: 99, count: n + 1)
            let sum = ember_exp_sum_f32(x, &e, Int64(n), 1.5)
            let want = x.map { Foundation.exp(Double($0) - 1.5) }
            for i in 0..<n { #expect(Self.close(e[i], want[i]), "exp sum n \(n), i \(i)") }
            #expect(abs(Double(sum) - want.reduce(0, +)) <= 1e-5 * max(1, want.reduce(0, +)), "n \(n)")
            #expect(e[n] == 99)
        }
    }

    @Test func specialValues() {
        let x: [Float] = [.infinity, -.infinity, .nan, 0, -0.0, 100, -100, 1e-30, -1e-30]
        for (function, name, reference) in Self.functions where name != "sin" && name != "cos" {
            var y = [Float](repeating: 7, count: x.count)
            ember_math_f32(function, x, &y, Int64(x.count))
            for (value, result) in zip(x, y) {
                let want = reference(Double(value))
                // libm and libmvec agree on the float result; double precision gives the limit.
                #expect(Self.close(result, Double(Float(want))) || (want.isNaN && result.isNaN),
                        "\(name)(\(value)) = \(result), want \(want)")
            }
        }
    }

    @Test func inPlaceIsAllowed() {
        var x: [Float] = (0..<20).map { Float($0) / 4 - 2 }
        let want = x.map { 1 / (1 + Foundation.exp(-Double($0))) }
        x.withUnsafeMutableBufferPointer { ember_math_f32(EMBER_MATH_SIGMOID, $0.baseAddress, $0.baseAddress, 20) }
        #expect(zip(x, want).allSatisfy { Self.close($0, $1) })
    }

    @Test func maxSkipsNaNsAndCoversTails() {
        for n in 0...19 {
            var x = (0..<n).map { Float(($0 * 7) % 11) - 5 }
            if n > 3 { x[2] = .nan }
            let want = x.filter { !$0.isNaN }.max() ?? -.infinity
            #expect(ember_max_f32(x, Int64(n)) == want, "n \(n)")
        }
    }

    /// The tensor ops that use these kernels, split over threads at large sizes.
    @Test func tensorOpsUseThem() {
        let x = Tensor.randn([300, 257]) * 3
        let values = x.toArray()
        let checks: [(String, Tensor, (Double) -> Double)] = [
            ("exp", x.exp(), { Foundation.exp($0) }),
            ("sigmoid", x.sigmoid(), { 1 / (1 + Foundation.exp(-$0)) }),
            ("tanh", x.tanh(), { Foundation.tanh($0) }),
            ("gelu", x.gelu(), { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }),
            ("softplus", x.softplus(), { $0 > 20 ? $0 : Foundation.log1p(Foundation.exp($0)) }),
        ]
        for (name, result, reference) in checks {
            let bad = zip(values, result.toArray()).filter {
                !Self.close($1, reference(Double($0)), absolute: Self.absoluteTolerance(name))
            }
            #expect(bad.isEmpty, "\(name): \(bad.count) values off")
        }
        // The backward passes of GELU and softplus, which use them too.
        let leaf = x.detach().requiringGrad()
        (leaf.gelu() + leaf.softplus(beta: 2)).sum().backward()
        let gradient = leaf.grad!.toArray()
        let bad = zip(values, gradient).filter { value, got in
            let v = Double(value)
            return !Self.close(got, Self.geluDerivative(v) + 1 / (1 + Foundation.exp(-2 * v)), absolute: 1e-6)
        }
        #expect(bad.isEmpty, "gelu' + softplus': \(bad.count) values off, first \(bad.first.map { "\($0)" } ?? "")")
        let rows = x.softmax(dim: 1).toArray()
        for r in [0, 150, 299] {
            let row = values[r * 257..<(r + 1) * 257].map(Double.init)
            let m = row.max()!, total = row.map { Foundation.exp($0 - m) }.reduce(0, +)
            for j in 0..<257 { #expect(Self.close(rows[r * 257 + j], Foundation.exp(row[j] - m) / total)) }
        }
    }

    /// On x86-64 Linux with AVX2 and FMA (this project's machines) the kernels run eight at a time:
    /// exp, log, sin and cos with any glibc since 2.22 (tanh, erf and log1p need 2.35).
    @Test func vectorizedWhereTheMachineCan() {
        #if os(Linux) && arch(x86_64)
        guard ember_small_gemm_available() != 0 else { return }
        for (function, name, _) in Self.functions where ["exp", "log", "sin", "cos", "sigmoid"].contains(name) {
            #expect(ember_vector_math_available(function) != 0, "\(name) is computed one float at a time")
        }
        #endif
    }
}
