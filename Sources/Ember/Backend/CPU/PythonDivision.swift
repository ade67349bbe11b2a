/// Division rounded down and its remainder, as Python's `//` and `%` (and `torch.floor_divide`,
/// `torch.remainder`): the remainder takes the divisor's sign, and a = b·(a // b) + a % b.

/// a % b with the sign of b, from C's fmod as PyTorch computes it (a − b·floor(a/b) would lose the
/// remainder's low bits when a/b is large).
@inline(__always)
func pythonRemainder(_ a: Float, _ b: Float) -> Float {
    let m = _fmodf(a, b)
    return m != 0 && (b < 0) != (m < 0) ? m + b : m
}

/// a // b from the exact quotient of a − fmod(a, b), stepped down when the remainder's sign differs
/// from b's, so that the rounding of a / b does not leak through: in float32 −0.3 // 0.1 is −4 (the
/// exact quotient is −3.00000007) though −0.3 / 0.1 rounds to −3. A zero keeps the sign of a / b.
@inline(__always)
func pythonFloorDivide(_ a: Float, _ b: Float) -> Float {
    guard b != 0 else { return a / b }
    let m = _fmodf(a, b)
    var q = (a - m) / b
    if m != 0 && (b < 0) != (m < 0) { q -= 1 }
    guard q != 0 else { return Float(signOf: a / b, magnitudeOf: 0) }
    let f = q.rounded(.down)
    return q - f > 0.5 ? f + 1 : f
}

// The int64 versions leave b = 0 to the caller. b = −1 is answered first: Int64.min % −1 and
// Int64.min / −1 trap in Swift, where PyTorch gives 0 and Int64.min (wrapping).

@inline(__always)
func pythonRemainder(_ a: Int64, _ b: Int64) -> Int64 {
    if b == -1 { return 0 }
    let r = a % b
    return r != 0 && (r < 0) != (b < 0) ? r + b : r
}

@inline(__always)
func pythonFloorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    if b == -1 { return 0 &- a }
    let q = a / b
    return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q
}

/// C's a % b (the sign of a), and a / b toward zero, without the Int64.min, −1 trap.
@inline(__always)
func truncatingRemainder(_ a: Int64, _ b: Int64) -> Int64 { b == -1 ? 0 : a % b }

@inline(__always)
func truncatingDivide(_ a: Int64, _ b: Int64) -> Int64 { b == -1 ? 0 &- a : a / b }
