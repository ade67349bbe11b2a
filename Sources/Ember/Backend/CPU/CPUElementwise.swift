import CEmberKernels

/// Element-wise kernels. Each op is a `switch` outside a tight loop over contiguous rows, so the
/// closure is inlined into the loop and no per-element dispatch or allocation remains.
extension CPUBackend {
    public func unary(_ op: UnaryOp, _ x: StridedView) -> Storage {
        precondition(x.dtype == .float32, "Ember: \(op) needs a float32 tensor, got \(x.dtype)")
        let source = x.isContiguous ? x.storage : copy(x)
        let base = x.isContiguous ? x.offset : 0
        let out = allocate(count: x.count, dtype: .float32)
        withExtendedLifetime(source) {
            unaryKernel(op, source.floats() + base, out.floats(), x.count)
        }
        return out
    }

    func unaryKernel(_ op: UnaryOp, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.chunks(n, grain: op.callsMathFunction ? Self.mathGrain : Parallel.grain) { r in
            Self.unaryLoop(op, x + r.lowerBound, y + r.lowerBound, r.count)
        }
    }

    /// exp, tanh and the like cost about a nanosecond per float even eight at a time, so they are
    /// split over the cores from 16K floats (the 64×256 activations of the MLP: 11 µs on one core).
    static let mathGrain = 1 << 14

    /// The vectorized C kernel (VectorMath.c) that computes `op`, if one does.
    static func mathFunction(_ op: UnaryOp) -> ember_math_function? {
        switch op {
        case .exp: return EMBER_MATH_EXP
        case .log: return EMBER_MATH_LOG
        case .tanh: return EMBER_MATH_TANH
        case .sigmoid: return EMBER_MATH_SIGMOID
        case .gelu: return EMBER_MATH_GELU
        case .sin: return EMBER_MATH_SIN
        case .cos: return EMBER_MATH_COS
        default: return nil
        }
    }

    /// One contiguous run. The `switch` sits outside the loops and each closure literal is inlined
    /// into its loop, so the loops are plain (vectorizable) code with no call per element.
    static func unaryLoop(_ op: UnaryOp, _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        @inline(__always) func map(_ f: (Float) -> Float) {
            for i in 0..<n { y[i] = f(x[i]) }
        }
        if case .softplus(let beta, let threshold) = op {
            // log1p(exp(βx))/β; above the threshold, x itself.
            mapThroughMath(EMBER_MATH_EXP, then: EMBER_MATH_LOG1P, y, x, x, n, scale: beta) { x, _, d in
                x * beta > threshold ? x : d / beta
            }
            return
        }
        if case .silu = op {
            mapThroughMath(EMBER_MATH_SIGMOID, y, x, x, n, scale: 1) { x, _, s in x * s }
            return
        }
        if case .elu(let alpha) = op {
            // exp(x) − 1 cancels near 0; there its series is exact to float precision (as expm1).
            mapThroughMath(EMBER_MATH_EXP, y, x, x, n, scale: 1) { x, _, e in
                x > 0 ? x : alpha * (x > -1.0 / 64 ? x * (1 + x * (0.5 + x * (1.0 / 6 + x * (1.0 / 24)))) : e - 1)
            }
            return
        }
        if let function = mathFunction(op) {
            ember_math_f32(function, x, y, Int64(n))
            return
        }
        switch op {
        case .neg: map { -$0 }
        case .sqrt: ember_sqrt_f32(x, y, Int64(n), 0)
        case .rsqrt: ember_sqrt_f32(x, y, Int64(n), 1)
        case .abs: map { Swift.abs($0) }
        case .sign: map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .square: map { $0 * $0 }
        case .reciprocal: map { 1 / $0 }
        case .relu: map { $0 > 0 ? $0 : 0 }
        case .leakyRelu(let slope): map { $0 > 0 ? $0 : $0 * slope }
        case .addScalar(let s): map { $0 + s }
        case .mulScalar(let s): map { $0 * s }
        case .powScalar(let p):
            if p == 2 { map { $0 * $0 } } else if p == 0.5 { map { $0.squareRoot() } } else { map { _powf($0, p) } }
        case .rsubScalar(let s): map { s - $0 }
        case .rdivScalar(let s): map { s / $0 }
        case .clamp(let lo, let hi): map { Swift.min(Swift.max($0, lo), hi) }
        case .greaterThan(let t): map { $0 > t ? 1 : 0 }
        case .round: map { $0.rounded(.toNearestOrEven) }
        case .floor: map { $0.rounded(.down) }
        case .ceil: map { $0.rounded(.up) }
        case .trunc: map { $0.rounded(.towardZero) }
        case .log1p: map { _log1pf($0) }
        case .expm1: map { _expm1f($0) }
        case .erf: map { _erff($0) }
        case .erfinv: map { inverseErf($0) }
        case .atan: map { _atanf($0) }
        case .tan: map { _tanf($0) }
        case .asin: map { _asinf($0) }
        case .acos: map { _acosf($0) }
        case .sinh: map { _sinhf($0) }
        case .cosh: map { _coshf($0) }
        case .asinh: map { _asinhf($0) }
        case .acosh: map { _acoshf($0) }
        case .atanh: map { _atanhf($0) }
        case .log2: map { _log2f($0) }
        case .log10: map { _log10f($0) }
        case .exp2: map { _exp2f($0) }
        case .lgamma: map { logGamma($0) }
        case .digamma: map { Float(digamma(Double($0))) }
        case .polygamma(let n): map { Float(polygamma(n, Double($0))) }
        case .exp, .log, .tanh, .sigmoid, .gelu, .sin, .cos, .softplus, .silu, .elu: preconditionFailure("computed above")
        }
    }

    public func binary(_ op: BinaryOp, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage {
        let n = Shape.count(shape)
        if a.dtype == .int64 && b.dtype == .int64 {
            return binaryInt64(op, a, b, shape: shape)
        }
        // int64 with float32 computes in float32, as PyTorch promotes (not in int64, which truncates 0.5).
        if a.dtype == .int64 || b.dtype == .int64 {
            return binary(op, floatView(a), floatView(b), shape: shape)
        }
        let out = allocate(count: n, dtype: .float32)
        let outStrides = Shape.contiguousStrides(shape)
        let pa = a.storage.floats() + a.offset, pb = b.storage.floats() + b.offset, po = out.floats()
        let loop = StridedLoop(shape: shape, strides: [outStrides, a.strides, b.strides])
        let sa = loop.innerStride(1), sb = loop.innerStride(2)
        let grain = op.callsMathFunction ? Self.mathGrain : Parallel.grain
        if loop.sizes.count == 2 {
            // Rows a fixed stride apart: blocks of rows per call.
            let len = loop.rowLength, rowStrides = (y: loop.strides[0][0], a: loop.strides[1][0], b: loop.strides[2][0])
            Parallel.chunks(loop.rowCount, grain: Swift.max(1, grain / Swift.max(len, 1))) { rows in
                let r = rows.lowerBound
                Self.binaryRow(op, po + r * rowStrides.y, pa + r * rowStrides.a, sa, pb + r * rowStrides.b, sb, len,
                               rows: rows.count, rowStrides: rowStrides)
            }
            return out
        }
        loop.forEachRowInParallel(grain: grain) { o, count in
            Self.binaryRow(op, po + o[0], pa + o[1], sa, pb + o[2], sb, count)
        }
        return out
    }

    /// One row of a binary op: y[i] = op(a[i·sa], b[i·sb]), with the unit-stride and broadcast-scalar
    /// cases as separate loops so that they vectorize.
    /// With `rows` > 1, the same for consecutive rows `rowStrides` apart (output, a, b): one call, and
    /// one pass through the `switch`, for a whole block of a 2-D broadcast (a bias row added to a batch).
    static func binaryRow(_ op: BinaryOp, _ y: UnsafeMutablePointer<Float>, _ x1: UnsafeMutablePointer<Float>, _ sa: Int,
                          _ x2: UnsafeMutablePointer<Float>, _ sb: Int, _ len: Int,
                          rows: Int = 1, rowStrides: (y: Int, a: Int, b: Int) = (0, 0, 0)) {
        @inline(__always) func map(_ f: (Float, Float) -> Float) {
            for row in 0..<rows {
                let y = y + row * rowStrides.y, x1 = x1 + row * rowStrides.a, x2 = x2 + row * rowStrides.b
                if sa == 1 && sb == 1 {
                    for i in 0..<len { y[i] = f(x1[i], x2[i]) }
                } else if sa == 1 && sb == 0 {
                    let v = x2[0]
                    for i in 0..<len { y[i] = f(x1[i], v) }
                } else if sa == 0 && sb == 1 {
                    let v = x1[0]
                    for i in 0..<len { y[i] = f(v, x2[i]) }
                } else {
                    for i in 0..<len { y[i] = f(x1[i * sa], x2[i * sb]) }
                }
            }
        }
        if rows != 1 && op.callsMathFunction {
            // Those go through a buffer per row (mapThroughMath): one row at a time.
            for row in 0..<rows {
                binaryRow(op, y + row * rowStrides.y, x1 + row * rowStrides.a, sa, x2 + row * rowStrides.b, sb, len)
            }
            return
        }
        switch op {
        case .add: map { $0 + $1 }
        case .sub: map { $0 - $1 }
        case .mul: map { $0 * $1 }
        case .div: map { $0 / $1 }
        case .pow: map { _powf($0, $1) }
        case .maximum: map { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .minimum: map { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case .equal: map { $0 == $1 ? 1 : 0 }
        case .notEqual: map { $0 != $1 ? 1 : 0 }
        case .less: map { $0 < $1 ? 1 : 0 }
        case .lessEqual: map { $0 <= $1 ? 1 : 0 }
        case .greater: map { $0 > $1 ? 1 : 0 }
        case .greaterEqual: map { $0 >= $1 ? 1 : 0 }
        case .reluBackward: map { $1 > 0 ? $0 : 0 }
        case .leakyReluBackward(let slope): map { $1 > 0 ? $0 : $0 * slope }
        case .linearCombination(let a, let b): map { a * $0 + b * $1 }
        case .atan2: map { _atan2f($0, $1) }
        case .hypot: map { _hypotf($0, $1) }
        case .copysign: map { Float(signOf: $1, magnitudeOf: $0) }
        case .fmod: map { _fmodf($0, $1) }
        case .remainder: map { pythonRemainder($0, $1) }
        case .floorDivide: map { pythonFloorDivide($0, $1) }
        case .sigmoidBackward: map { $0 * $1 * (1 - $1) }
        case .tanhBackward: map { $0 * (1 - $1 * $1) }
        case .geluBackward where sa == 1 && sb == 1:
            mapThroughMath(EMBER_MATH_GELU_DERIVATIVE, y, x1, x2, len, scale: 1) { g, _, d in g * d }
        case .softplusBackward(let beta, let threshold) where sa == 1 && sb == 1:
            mapThroughMath(EMBER_MATH_SIGMOID, y, x1, x2, len, scale: beta) { g, x, d in x * beta > threshold ? g : g * d }
        case .siluBackward where sa == 1 && sb == 1:
            mapThroughMath(EMBER_MATH_SIGMOID, y, x1, x2, len, scale: 1) { g, x, s in g * s * (1 + x * (1 - s)) }
        case .eluBackward(let alpha) where sa == 1 && sb == 1:
            mapThroughMath(EMBER_MATH_EXP, y, x1, x2, len, scale: 1) { g, x, e in x > 0 ? g : g * alpha * e }
        case .geluBackward:
            map { g, x in
                let cdf = 0.5 * (1 + _erff(x * 0.70710678118654752))
                let pdf = _expf(-0.5 * x * x) * 0.39894228040143268
                return g * (cdf + x * pdf)
            }
        case .softplusBackward(let beta, let threshold):
            map { g, x in x * beta > threshold ? g : g / (1 + _expf(-x * beta)) }
        case .clampBackward(let lo, let hi): map { $1 >= lo && $1 <= hi ? $0 : 0 }
        case .siluBackward:
            map { g, x in
                let s = 1 / (1 + _expf(-x))
                return g * s * (1 + x * (1 - s))
            }
        case .eluBackward(let alpha): map { g, x in x > 0 ? g : g * alpha * _expf(x) }
        }
    }

    /// y[i] = combine(g[i], x[i], d[i]) with d = function(scale·x[i]) (then `second` of that), the
    /// functions vectorized (VectorMath.c), through a buffer on the stack, a block at a time (so y
    /// may be g or x itself).
    @inline(__always)
    static func mapThroughMath(_ function: ember_math_function, then second: ember_math_function? = nil,
                               _ y: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                               _ x: UnsafeMutablePointer<Float>, _ len: Int, scale: Float,
                               _ combine: (Float, Float, Float) -> Float) {
        let block = 512
        withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { buffer in
            let d = buffer.baseAddress!
            var start = 0
            while start < len {
                let count = Swift.min(block, len - start)
                // Pointers to the block, so the loops index with i alone: an overflow-checked
                // `start + i` per element kept them from vectorizing (scalar, 3× slower).
                let xs = x + start, gs = g + start, ys = y + start
                for i in 0..<count { d[i] = xs[i] * scale }
                ember_math_f32(function, d, d, Int64(count))
                if let second { ember_math_f32(second, d, d, Int64(count)) }
                for i in 0..<count { ys[i] = combine(gs[i], xs[i], d[i]) }
                start += count
            }
        }
    }

    /// Integer element-wise ops: arithmetic stays int64, comparisons give float32 0/1.
    private func binaryInt64(_ op: BinaryOp, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage {
        let ia = a.dtype == .int64 ? a : StridedView(storage: convert(a, to: .int64), shape: a.shape,
            strides: Shape.contiguousStrides(a.shape), offset: 0, dtype: .int64).broadcast(to: shape)
        let ib = b.dtype == .int64 ? b : StridedView(storage: convert(b, to: .int64), shape: b.shape,
            strides: Shape.contiguousStrides(b.shape), offset: 0, dtype: .int64).broadcast(to: shape)
        let n = Shape.count(shape)
        let loop = StridedLoop(shape: shape, strides: [Shape.contiguousStrides(shape), ia.strides, ib.strides])
        let len = loop.rowLength, sa = loop.innerStride(1), sb = loop.innerStride(2)
        let pa = ia.storage.int64s() + ia.offset, pb = ib.storage.int64s() + ib.offset
        func run<O>(_ out: UnsafeMutablePointer<O>, _ f: (Int64, Int64) -> O) {
            loop.forEachRow(0..<loop.rowCount) { _, o in
                for i in 0..<len { out[o[0] + i] = f(pa[o[1] + i * sa], pb[o[2] + i * sb]) }
            }
        }
        if op.isComparison {
            let out = allocate(count: n, dtype: .float32)
            switch op {
            case .equal: run(out.floats()) { $0 == $1 ? 1 : 0 }
            case .notEqual: run(out.floats()) { $0 != $1 ? 1 : 0 }
            case .less: run(out.floats()) { $0 < $1 ? 1 : 0 }
            case .lessEqual: run(out.floats()) { $0 <= $1 ? 1 : 0 }
            case .greater: run(out.floats()) { $0 > $1 ? 1 : 0 }
            default: run(out.floats()) { $0 >= $1 ? 1 : 0 }
            }
            return out
        }
        let out = allocate(count: n, dtype: .int64)
        switch op {
        case .add: run(out.int64s()) { $0 &+ $1 }
        case .sub: run(out.int64s()) { $0 &- $1 }
        case .mul: run(out.int64s()) { $0 &* $1 }
        case .maximum: run(out.int64s()) { Swift.max($0, $1) }
        case .minimum: run(out.int64s()) { Swift.min($0, $1) }
        case .div: run(out.int64s()) { $1 == 0 ? 0 : truncatingDivide($0, $1) }
        case .fmod: run(out.int64s()) { $1 == 0 ? 0 : truncatingRemainder($0, $1) }
        case .remainder: run(out.int64s()) { $1 == 0 ? 0 : pythonRemainder($0, $1) }
        case .floorDivide: run(out.int64s()) { $1 == 0 ? 0 : pythonFloorDivide($0, $1) }
        default: fatalError("Ember: \(op) is not defined for int64 tensors; convert with .float() first")
        }
        return out
    }

    /// `v` as float32: itself, or a converted contiguous copy.
    private func floatView(_ v: StridedView) -> StridedView {
        if v.dtype == .float32 { return v }
        return StridedView(storage: convert(v, to: .float32), shape: v.shape, strides: Shape.contiguousStrides(v.shape),
                           offset: 0, dtype: .float32)
    }

    public func select(_ condition: StridedView, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage {
        let c = condition.dtype == .float32 ? condition : StridedView(storage: convert(condition, to: .float32),
            shape: condition.shape, strides: Shape.contiguousStrides(condition.shape), offset: 0, dtype: .float32)
            .broadcast(to: shape)
        let loop = StridedLoop(shape: shape, strides: [Shape.contiguousStrides(shape), c.strides, a.strides, b.strides])
        if a.dtype == .int64 {
            // Integer branches (indices, shapes): element by element with their strides.
            let out = allocate(count: Shape.count(shape), dtype: .int64)
            let po = out.int64s(), pc = c.storage.floats() + c.offset
            let pa = a.storage.int64s() + a.offset, pb = b.storage.int64s() + b.offset
            let sc = loop.innerStride(1), sa = loop.innerStride(2), sb = loop.innerStride(3)
            loop.forEachRowInParallel(grain: Parallel.grain) { o, count in
                let y = po + o[0], cond = pc + o[1], x1 = pa + o[2], x2 = pb + o[3]
                for i in 0..<count { y[i] = cond[i * sc] != 0 ? x1[i * sa] : x2[i * sb] }
            }
            return out
        }
        let out = allocate(count: Shape.count(shape), dtype: .float32)
        let sc = loop.innerStride(1), sa = loop.innerStride(2), sb = loop.innerStride(3)
        let po = out.floats(), pc = c.storage.floats() + c.offset
        let pa = a.storage.floats() + a.offset, pb = b.storage.floats() + b.offset
        loop.forEachRowInParallel(grain: Parallel.grain) { o, count in
            let y = po + o[0], cond = pc + o[1], x1 = pa + o[2], x2 = pb + o[3]
            // Contiguous rows, or a single value for either side (a masked fill): loops the compiler
            // vectorizes; anything else element by element with its strides.
            if sc == 1 && sa == 1 && sb == 1 {
                for i in 0..<count { y[i] = cond[i] != 0 ? x1[i] : x2[i] }
            } else if sc == 1 && sa == 1 && sb == 0 {
                let other = x2[0]
                for i in 0..<count { y[i] = cond[i] != 0 ? x1[i] : other }
            } else if sc == 1 && sa == 0 && sb == 1 {
                let value = x1[0]
                for i in 0..<count { y[i] = cond[i] != 0 ? value : x2[i] }
            } else {
                for i in 0..<count { y[i] = cond[i * sc] != 0 ? x1[i * sa] : x2[i * sb] }
            }
        }
        return out
    }

    public func binaryInPlace(_ op: BinaryOp, _ target: StridedView, _ source: StridedView) {
        precondition(target.dtype == .float32 && source.dtype == .float32, "Ember: in-place ops need float32 tensors")
        let src = source.broadcast(to: target.shape)
        let loop = StridedLoop(shape: target.shape, strides: [target.strides, src.strides])
        let st = loop.innerStride(0), ss = loop.innerStride(1)
        let pt = target.storage.floats() + target.offset, ps = source.storage.floats() + source.offset
        loop.forEachRowInParallel(grain: Parallel.grain) { o, count in
            let t = pt + o[0], s = ps + o[1]
            if st == 1, ss == 0 || ss == 1, let (a, b) = op.asLinearCombination(source: s, sourceStride: ss),
               t + count <= s || s + (ss == 0 ? 1 : count) <= t {
                ember_axpby_f32(t, s, Int64(count), a, b, Int32(ss))   // vectorized; Swift's aliased loop stays scalar
            } else if st == 1 {
                Self.binaryRow(op, t, t, 1, s, ss, count)
            } else if !op.isMultiply, let (a, b) = op.asLinearCombination(source: s, sourceStride: ss) {
                // A strided target, as when a select or slice on the last dim adds its gradient back:
                // a plain loop (a call of the general kernel per element cost ~10× more). Not for a
                // product with one value, which may sit in the target and must be re-read as it changes.
                if b == 0 {
                    for i in 0..<count { t[i * st] *= a }
                } else {
                    for i in 0..<count { t[i * st] = a * t[i * st] + b * s[i * ss] }
                }
            } else {
                // A strided target with another op (rare): element by element through the same kernel.
                for i in 0..<count { Self.binaryRow(op, t + i * st, t + i * st, 1, s + i * ss, 0, 1) }
            }
        }
        target.storage.bumpVersion()
    }
}

private extension UnaryOp {
    /// Whether the op computes exp, tanh or the like per element (a nanosecond each even vectorized).
    var callsMathFunction: Bool {
        switch self {
        case .exp, .log, .tanh, .sigmoid, .gelu, .sin, .cos, .softplus, .silu, .elu, .tan, .atan, .erf, .erfinv, .log1p,
             .expm1, .asin, .acos, .sinh, .cosh, .asinh, .acosh, .atanh, .log2, .log10, .exp2, .lgamma, .digamma, .polygamma:
            return true
        default: return false
        }
    }
}

private extension BinaryOp {
    var isMultiply: Bool { if case .mul = self { return true } else { return false } }

    /// The op as target = a·target + b·source, where it is one: additions, subtractions, products
    /// with a single value (stride 0) and linear combinations.
    func asLinearCombination(source: UnsafeMutablePointer<Float>, sourceStride: Int) -> (Float, Float)? {
        switch self {
        case .linearCombination(let a, let b): return (a, b)
        case .add: return (1, 1)
        case .sub: return (1, -1)
        case .mul where sourceStride == 0: return (source[0], 0)
        default: return nil
        }
    }

    /// Whether the op computes exp, erf, atan2 or the like per element (a nanosecond or more each).
    var callsMathFunction: Bool {
        switch self {
        case .geluBackward, .softplusBackward, .siluBackward, .eluBackward, .atan2, .hypot: return true
        default: return false
        }
    }
}
