import Foundation

/// The log-gamma function's derivatives, as PyTorch computes them (Cephes' algorithms, in double):
/// digamma ψ(x) = d/dx log Γ(x), and the Hurwitz zeta function, from which ψ⁽ⁿ⁾(x) =
/// (−1)ⁿ⁺¹ n! ζ(n + 1, x). Needed by the Gamma, Beta, Dirichlet and Poisson distributions.

/// ψ(x): 1/x steps up to 10, then the asymptotic series; negative x by reflection. ψ(±0) = ∓∞ and
/// ψ at a negative integer is NaN, as `torch.digamma`.
func digamma(_ value: Double) -> Double {
    var x = value
    if x == 0 { return Double(signOf: -x, magnitudeOf: .infinity) }
    if x < 0 {
        if x == x.rounded(.towardZero) { return .nan }
        // ψ(1 − x) − ψ(x) = π cot(πx), with the fractional part of x for an accurate tangent.
        let fraction = x - x.rounded(.towardZero)
        return digamma(1 - x) - Double.pi / Foundation.tan(Double.pi * fraction)
    }
    var result = 0.0
    while x < 10 {
        result -= 1 / x
        x += 1
    }
    if x == 10 { return result + 2.25175258906672110764 }   // ψ(10)
    var series = 0.0
    if x < 1e17 {
        let z = 1 / (x * x)
        let coefficients = [8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
                            -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
                            8.33333333333333333333e-2]
        series = z * coefficients.reduce(0) { $0 * z + $1 }
    }
    return result + Foundation.log(x) - 0.5 / x - series
}

/// The Hurwitz zeta function ζ(s, q) = Σₖ (k + q)^−s for s > 1: nine or more terms summed, then the
/// Euler–Maclaurin tail. ∞ at s = 1 or q a non-positive integer; NaN for s < 1; 0 at q = ∞.
func hurwitzZeta(_ s: Double, _ q: Double) -> Double {
    let epsilon = 1.11022302462515654042e-16
    if s == 1 { return .infinity }
    if s < 1 { return .nan }
    if q == .infinity { return 0 }   // every term vanishes (PyTorch's float32 series gives NaN for n ≥ 2)
    if q <= 0 {
        if q == q.rounded(.down) { return .infinity }
        if s != s.rounded(.down) { return .nan }   // a negative base to a fractional power
    }
    var sum = Foundation.pow(q, -s), a = q, term = 0.0, i = 0
    while i < 9 || a <= 9 {
        i += 1
        a += 1
        term = Foundation.pow(a, -s)
        sum += term
        if Swift.abs(term) < epsilon * Swift.abs(sum) { return sum }
    }
    let w = a
    sum += term * w / (s - 1) - 0.5 * term
    // Bernoulli-number terms of the Euler–Maclaurin formula: B₂ₖ/(2k)! in their reciprocals.
    let divisors = [12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                    -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                    1.8152105401943546773e17, -7.1661652561756670113e18]
    var factor = 1.0, k = 0.0
    for divisor in divisors {
        factor *= s + k
        term /= w
        let t = factor * term / divisor
        sum += t
        if Swift.abs(t / sum) < epsilon { return sum }
        k += 1
        factor *= s + k
        term /= w
        k += 1
    }
    return sum
}

/// ψ⁽ⁿ⁾(x) for n ≥ 1: (−1)ⁿ⁺¹ n! ζ(n + 1, x), like `torch.polygamma`. Trigamma at negative x by
/// reflection, ψ′(x) = π²/sin²(πx) − ψ′(1 − x): ζ's series would step from x up to 9 one by one
/// (a million steps at x = −10⁶, and digamma's gradient is trigamma).
func polygamma(_ n: Int, _ x: Double) -> Double {
    if n == 1 && x < 0 && x != x.rounded(.down) {
        let s = Foundation.sin(Double.pi * (x - x.rounded(.down)))
        return Double.pi * Double.pi / (s * s) - hurwitzZeta(2, 1 - x)
    }
    let factorial = (1...Swift.max(n, 1)).reduce(1.0) { $0 * Double($1) }
    return (n % 2 == 0 ? -1.0 : 1.0) * factorial * hurwitzZeta(Double(n + 1), x)
}

/// log |Γ(x)| in float32 (glibc's reentrant form: the sign goes to a local, not the global `signgam`).
@inline(__always)
func logGamma(_ x: Float) -> Float {
    var sign: Int32 = 0
    return lgammaf_r(x, &sign)
}
