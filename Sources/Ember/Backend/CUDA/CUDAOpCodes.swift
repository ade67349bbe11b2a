/// The op codes of `cudaKernelSource`'s `unaryOp` and `binaryOp` switches, with their scalar
/// parameters (p1, p2).
extension UnaryOp {
    var cudaCode: (Int32, Float, Float) {
        switch self {
        case .neg: return (0, 0, 0)
        case .exp: return (1, 0, 0)
        case .log: return (2, 0, 0)
        case .sqrt: return (3, 0, 0)
        case .rsqrt: return (4, 0, 0)
        case .abs: return (5, 0, 0)
        case .sign: return (6, 0, 0)
        case .square: return (7, 0, 0)
        case .reciprocal: return (8, 0, 0)
        case .relu: return (9, 0, 0)
        case .sigmoid: return (10, 0, 0)
        case .tanh: return (11, 0, 0)
        case .gelu: return (12, 0, 0)
        case .softplus(let beta, let threshold): return (13, beta, threshold)
        case .leakyRelu(let slope): return (14, slope, 0)
        case .sin: return (15, 0, 0)
        case .cos: return (16, 0, 0)
        case .addScalar(let s): return (17, s, 0)
        case .mulScalar(let s): return (18, s, 0)
        case .powScalar(let p): return (19, p, 0)
        case .rsubScalar(let s): return (20, s, 0)
        case .rdivScalar(let s): return (21, s, 0)
        case .clamp(let lo, let hi): return (22, lo, hi)
        case .greaterThan(let t): return (23, t, 0)
        case .silu: return (24, 0, 0)
        case .elu(let alpha): return (25, alpha, 0)
        case .round: return (26, 0, 0)
        case .floor: return (27, 0, 0)
        case .ceil: return (28, 0, 0)
        case .trunc: return (29, 0, 0)
        case .log1p: return (30, 0, 0)
        case .expm1: return (31, 0, 0)
        case .erf: return (32, 0, 0)
        case .atan: return (33, 0, 0)
        case .tan: return (34, 0, 0)
        case .erfinv: return (35, 0, 0)
        case .asin: return (36, 0, 0)
        case .acos: return (37, 0, 0)
        case .sinh: return (38, 0, 0)
        case .cosh: return (39, 0, 0)
        case .asinh: return (40, 0, 0)
        case .acosh: return (41, 0, 0)
        case .atanh: return (42, 0, 0)
        case .log2: return (43, 0, 0)
        case .log10: return (44, 0, 0)
        case .exp2: return (45, 0, 0)
        case .lgamma: return (46, 0, 0)
        case .digamma: return (47, 0, 0)
        case .polygamma(let n): return (48, Float(n), 0)
        }
    }
}

extension BinaryOp {
    var cudaCode: (Int32, Float, Float) {
        switch self {
        case .add: return (0, 0, 0)
        case .sub: return (1, 0, 0)
        case .mul: return (2, 0, 0)
        case .div: return (3, 0, 0)
        case .pow: return (4, 0, 0)
        case .maximum: return (5, 0, 0)
        case .minimum: return (6, 0, 0)
        case .equal: return (7, 0, 0)
        case .notEqual: return (8, 0, 0)
        case .less: return (9, 0, 0)
        case .lessEqual: return (10, 0, 0)
        case .greater: return (11, 0, 0)
        case .greaterEqual: return (12, 0, 0)
        case .reluBackward: return (13, 0, 0)
        case .leakyReluBackward(let slope): return (14, slope, 0)
        case .sigmoidBackward: return (15, 0, 0)
        case .tanhBackward: return (16, 0, 0)
        case .geluBackward: return (17, 0, 0)
        case .softplusBackward(let beta, let threshold): return (18, beta, threshold)
        case .clampBackward(let lo, let hi): return (19, lo, hi)
        case .siluBackward: return (20, 0, 0)
        case .eluBackward(let alpha): return (21, alpha, 0)
        case .linearCombination(let a, let b): return (22, a, b)
        case .atan2: return (23, 0, 0)
        case .hypot: return (24, 0, 0)
        case .copysign: return (25, 0, 0)
        case .fmod: return (26, 0, 0)
        case .remainder: return (27, 0, 0)
        case .floorDivide: return (28, 0, 0)
        }
    }

    /// Whether the int64 kernel defines this op (arithmetic and comparisons).
    var isDefinedForInt64: Bool {
        switch self {
        case .add, .sub, .mul, .div, .maximum, .minimum, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual,
             .fmod, .remainder, .floorDivide:
            return true
        default:
            return false
        }
    }
}
