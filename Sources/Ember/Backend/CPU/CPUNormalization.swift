/// Layer normalization, one pass per row forward and one backward, instead of the nine element-wise
/// ops and two reductions it takes when composed.
extension CPUBackend {
    public func layerNorm(_ x: StridedView, weight: StridedView?, bias: StridedView?, rows: Int, cols: Int, eps: Float)
        -> (output: Storage, mean: Storage, rstd: Storage) {
        let (xs, xp) = contiguousFloats(x)
        let w = weight.map(contiguousFloats), b = bias.map(contiguousFloats)
        let (wp, bp) = (w?.floats, b?.floats)
        let output = allocate(count: rows * cols, dtype: .float32)
        let mean = allocate(count: rows, dtype: .float32), rstd = allocate(count: rows, dtype: .float32)
        let y = output.floats(), means = mean.floats(), rstds = rstd.floats()
        let n = Float(cols)
        withExtendedLifetime((xs, w?.storage, b?.storage)) {
            Parallel.chunks(rows, grain: Swift.max(1, Parallel.grain / Swift.max(cols, 1))) { range in
                for r in range {
                    let xr = xp + r * cols, yr = y + r * cols
                    let m = Self.rowSum(xr, cols) { x in x } / n
                    // Two passes: no cancellation when |mean| ≫ std.
                    let s = 1 / (Self.rowSum(xr, cols) { x in (x - m) * (x - m) } / n + eps).squareRoot()
                    means[r] = m
                    rstds[r] = s
                    switch (wp, bp) {
                    case let (w?, b?): for j in 0..<cols { yr[j] = (xr[j] - m) * s * w[j] + b[j] }
                    case let (w?, nil): for j in 0..<cols { yr[j] = (xr[j] - m) * s * w[j] }
                    case let (nil, b?): for j in 0..<cols { yr[j] = (xr[j] - m) * s + b[j] }
                    case (nil, nil): for j in 0..<cols { yr[j] = (xr[j] - m) * s }
                    }
                }
            }
        }
        return (output, mean, rstd)
    }

    public func layerNormBackward(_ grad: StridedView, _ x: StridedView, mean: StridedView, rstd: StridedView,
                                  weight: StridedView?, rows: Int, cols: Int, parameterGrads: Bool)
        -> (input: Storage, weight: Storage?, bias: Storage?) {
        let (gs, gp) = contiguousFloats(grad), (xs, xp) = contiguousFloats(x)
        let (ms, mp) = contiguousFloats(mean), (rs, rp) = contiguousFloats(rstd)
        let w = weight.map(contiguousFloats), wp = w?.floats
        let input = allocate(count: rows * cols, dtype: .float32)
        let dx = input.floats()
        let n = Float(cols)
        var weightGrad: Storage? = nil, biasGrad: Storage? = nil
        withExtendedLifetime((gs, xs, ms, rs, w?.storage)) {
            // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·weight and x̂ the normalized input.
            Parallel.chunks(rows, grain: Swift.max(1, Parallel.grain / Swift.max(cols, 1))) { range in
                for r in range {
                    let gr = gp + r * cols, xr = xp + r * cols, dr = dx + r * cols
                    let m = mp[r], s = rp[r]
                    let a: Float, b: Float
                    if let w = wp {
                        a = Self.rowSum(gr, w, cols) { g, w in g * w } / n
                        b = Self.rowSum(gr, w, xr, cols) { g, w, x in g * w * (x - m) } * s / n
                    } else {
                        a = Self.rowSum(gr, cols) { g in g } / n
                        b = Self.rowSum(gr, xr, cols) { g, x in g * (x - m) } * s / n
                    }
                    if let w = wp {
                        for j in 0..<cols { dr[j] = s * (gr[j] * w[j] - a - (xr[j] - m) * s * b) }
                    } else {
                        for j in 0..<cols { dr[j] = s * (gr[j] - a - (xr[j] - m) * s * b) }
                    }
                }
            }
            guard parameterGrads else { return }
            // dweight = Σ_rows g·x̂, dbias = Σ_rows g: split over blocks of 16 columns (whole cache lines,
            // so two threads never write the same one), each part summing every row.
            let dwStorage = allocate(count: cols, dtype: .float32), dbStorage = allocate(count: cols, dtype: .float32)
            let dw = dwStorage.floats(), db = dbStorage.floats()
            let blocks = (cols + 15) / 16
            Parallel.chunks(blocks, grain: Swift.max(1, Parallel.grain / Swift.max(16 * rows, 1))) { blockRange in
                let columns = (blockRange.lowerBound * 16)..<Swift.min(blockRange.upperBound * 16, cols)
                for j in columns { dw[j] = 0; db[j] = 0 }
                for r in 0..<rows {
                    let gr = gp + r * cols, xr = xp + r * cols, m = mp[r], s = rp[r]
                    for j in columns {
                        dw[j] += gr[j] * (xr[j] - m) * s
                        db[j] += gr[j]
                    }
                }
            }
            weightGrad = dwStorage
            biasGrad = dbStorage
        }
        return (input, weightGrad, biasGrad)
    }

    /// Σ f(a[j]) over a row, in eight lanes.
    @inline(__always)
    static func rowSum(_ a: UnsafePointer<Float>, _ n: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) -> Float {
        rowSum(a, a, a, n) { x, _, _ in f(x) }
    }

    /// Σ f(a[j], b[j]) over a row, in eight lanes.
    @inline(__always)
    static func rowSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int,
                       _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> Float {
        rowSum(a, b, b, n) { x, y, _ in f(x, y) }
    }

    /// Σ f(a[j], b[j], c[j]) over a row, in eight lanes (a single float accumulator would wait on
    /// each add); the tail past a multiple of 8 goes one element at a time.
    @inline(__always)
    static func rowSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ n: Int,
                       _ f: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> Float {
        var lanes = SIMD8<Float>()
        var j = 0
        while j + 8 <= n {
            lanes += f(UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self),
                       UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self),
                       UnsafeRawPointer(c + j).loadUnaligned(as: SIMD8<Float>.self))
            j += 8
        }
        var total = lanes.sum()
        while j < n {
            total += f(SIMD8(repeating: a[j]), SIMD8(repeating: b[j]), SIMD8(repeating: c[j]))[0]
            j += 1
        }
        return total
    }
}
