#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Float math used by kernels, named so that call sites are unambiguous and cheap.
@inline(__always) func _expf(_ x: Float) -> Float { expf(x) }
@inline(__always) func _logf(_ x: Float) -> Float { logf(x) }
@inline(__always) func _sinf(_ x: Float) -> Float { sinf(x) }
@inline(__always) func _cosf(_ x: Float) -> Float { cosf(x) }
@inline(__always) func _tanhf(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func _erff(_ x: Float) -> Float { erff(x) }
@inline(__always) func _powf(_ x: Float, _ y: Float) -> Float { powf(x, y) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) func _log1pf(_ x: Float) -> Float { log1pf(x) }
@inline(__always) func _expm1f(_ x: Float) -> Float { expm1f(x) }
@inline(__always) func _atanf(_ x: Float) -> Float { atanf(x) }
@inline(__always) func _tanf(_ x: Float) -> Float { tanf(x) }
@inline(__always) func _asinf(_ x: Float) -> Float { asinf(x) }
@inline(__always) func _acosf(_ x: Float) -> Float { acosf(x) }
@inline(__always) func _sinhf(_ x: Float) -> Float { sinhf(x) }
@inline(__always) func _coshf(_ x: Float) -> Float { coshf(x) }
@inline(__always) func _asinhf(_ x: Float) -> Float { asinhf(x) }
@inline(__always) func _acoshf(_ x: Float) -> Float { acoshf(x) }
@inline(__always) func _atanhf(_ x: Float) -> Float { atanhf(x) }
@inline(__always) func _log2f(_ x: Float) -> Float { log2f(x) }
@inline(__always) func _log10f(_ x: Float) -> Float { log10f(x) }
@inline(__always) func _exp2f(_ x: Float) -> Float { exp2f(x) }
@inline(__always) func _atan2f(_ y: Float, _ x: Float) -> Float { atan2f(y, x) }
@inline(__always) func _hypotf(_ x: Float, _ y: Float) -> Float { hypotf(x, y) }
@inline(__always) func _fmodf(_ x: Float, _ y: Float) -> Float { fmodf(x, y) }
