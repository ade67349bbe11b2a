import Foundation

/// The inverse error function in float32: Giles' single-precision approximation ("Approximating the
/// erfinv function", GPU Computing Gems, 2011) refined by one Newton step in double, which leaves it
/// within an ulp of the exact value. ±1 give ±∞ and |x| > 1 gives NaN, as `torch.erfinv`.
@inline(__always)
func inverseErf(_ x: Float) -> Float {
    guard abs(x) < 1 else { return abs(x) == 1 ? Float.infinity * x : .nan }
    let y = Double(x)
    var w = -Foundation.log((1 - y) * (1 + y))
    var p: Double
    if w < 5 {
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    } else {
        w = w.squareRoot() - 3
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    }
    var r = p * y
    // Newton on erf(r) = y; erf's derivative is 2/√π·e^(−r²).
    r -= (Foundation.erf(r) - y) / (1.1283791670955126 * Foundation.exp(-r * r))
    return Float(r)
}
