import CEmberKernels

/// Softmax and log-softmax over the last axis, numerically stable (the row maximum is subtracted).
extension CPUBackend {
    public func softmax(_ x: StridedView, rows: Int, cols: Int, log: Bool) -> Storage {
        let source = x.isContiguous ? x.storage : copy(x)
        let p = source.floats() + (x.isContiguous ? x.offset : 0)
        let out = allocate(count: rows * cols, dtype: .float32)
        let y = out.floats()
        withExtendedLifetime(source) {
            Parallel.chunks(rows, grain: max(1, Self.mathGrain / max(cols, 1))) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * range.count) { scratch in
                    let maxima = scratch.baseAddress!, sums = maxima + range.count
                    let x0 = p + range.lowerBound * cols, y0 = y + range.lowerBound * cols
                    Self.exponentiateRows(x0, into: y0, rows: range.count, cols: cols, maxima: maxima, sums: sums)
                    for r in 0..<range.count {
                        let xr = x0 + r * cols, yr = y0 + r * cols
                        if log {
                            let shift = maxima[r] + _logf(sums[r])
                            for j in 0..<cols { yr[j] = xr[j] - shift }
                        } else {
                            let scale = 1 / sums[r]
                            for j in 0..<cols { yr[j] *= scale }
                        }
                    }
                }
            }
        }
        return out
    }

    /// y = exp(x − max(x)) for each of `rows` rows of `cols` (vectorized, see VectorMath.c); writes
    /// each row's maximum and the sum of its y. Narrow rows (a classifier's 10 logits) go through one
    /// call of the kernel for all of them, since a call per row would mostly pay for the call.
    static func exponentiateRows(_ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int,
                                 cols: Int, maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
        if cols >= 64 {
            for r in 0..<rows {
                maxima[r] = ember_max_f32(x + r * cols, Int64(cols))
                sums[r] = ember_exp_sum_f32(x + r * cols, y + r * cols, Int64(cols), maxima[r])
            }
            return
        }
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            var m = -Float.infinity
            for j in 0..<cols where xr[j] > m { m = xr[j] }
            maxima[r] = m
            for j in 0..<cols { yr[j] = xr[j] - m }
        }
        ember_math_f32(EMBER_MATH_EXP, y, y, Int64(rows * cols))
        for r in 0..<rows {
            let yr = y + r * cols
            var total: Float = 0
            for j in 0..<cols { total += yr[j] }
            sums[r] = total
        }
    }

    public func softmaxBackward(_ y: StridedView, _ grad: StridedView, rows: Int, cols: Int, log: Bool) -> Storage {
        let (ys, yp) = contiguousFloats(y), (gs, gp) = contiguousFloats(grad)
        let out = allocate(count: rows * cols, dtype: .float32)
        let dx = out.floats()
        withExtendedLifetime((ys, gs)) {
            for r in 0..<rows {
                let yr = yp + r * cols, gr = gp + r * cols, dr = dx + r * cols
                if log {
                    // d/dx log_softmax: g - softmax * sum(g)
                    var total: Float = 0
                    for j in 0..<cols { total += gr[j] }
                    ember_math_f32(EMBER_MATH_EXP, yr, dr, Int64(cols))
                    for j in 0..<cols { dr[j] = gr[j] - dr[j] * total }
                } else {
                    // d/dx softmax: y * (g - sum(g * y))
                    var dot: Float = 0
                    for j in 0..<cols { dot += gr[j] * yr[j] }
                    for j in 0..<cols { dr[j] = yr[j] * (gr[j] - dot) }
                }
            }
        }
        return out
    }
}

/// Fused softmax + negative log-likelihood: one pass per row forward, one backward.
extension CPUBackend {
    public func crossEntropy(_ logits: StridedView, targets: StridedView, rows: Int, cols: Int, ignoreIndex: Int)
        -> (losses: Storage, softmax: Storage) {
        let source = logits.isContiguous ? logits.storage : copy(logits)
        let x = source.floats() + (logits.isContiguous ? logits.offset : 0)
        let labels = targets.isContiguous ? targets.storage : copy(targets)
        let t = labels.int64s() + (targets.isContiguous ? targets.offset : 0)
        let losses = allocate(count: rows, dtype: .float32), softmax = allocate(count: rows * cols, dtype: .float32)
        let l = losses.floats(), p = softmax.floats()
        withExtendedLifetime((source, labels)) {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * rows) { scratch in
                let maxima = scratch.baseAddress!, sums = maxima + rows
                Self.exponentiateRows(x, into: p, rows: rows, cols: cols, maxima: maxima, sums: sums)
                for r in 0..<rows {
                    let pr = p + r * cols, scale = 1 / sums[r]
                    for j in 0..<cols { pr[j] *= scale }
                    let target = Int(t[r])
                    if target == ignoreIndex {
                        l[r] = 0
                        continue
                    }
                    guard target >= 0 && target < cols else {
                        fatalError("Ember: crossEntropy: target \(target) at position \(r) is out of bounds for \(cols) classes")
                    }
                    // -log softmax = log(sum) + max - x, computed without the rounded probability.
                    l[r] = _logf(sums[r]) + maxima[r] - x[r * cols + target]
                }
            }
        }
        return (losses, softmax)
    }

    public func crossEntropyMean(_ losses: StridedView, targets: StridedView, rows: Int, ignoreIndex: Int)
        -> (mean: Storage, kept: Storage) {
        let source = losses.isContiguous ? losses.storage : copy(losses)
        let labels = targets.isContiguous ? targets.storage : copy(targets)
        let l = source.floats() + (losses.isContiguous ? losses.offset : 0)
        let t = labels.int64s() + (targets.isContiguous ? targets.offset : 0)
        var sum: Float = 0, count: Float = 0
        withExtendedLifetime((source, labels)) {
            for r in 0..<rows where t[r] != Int64(ignoreIndex) {
                sum += l[r]
                count += 1
            }
        }
        let mean = allocate(count: 1, dtype: .float32), kept = allocate(count: 1, dtype: .float32)
        mean.floats().pointee = sum / count
        kept.floats().pointee = count
        return (mean, kept)
    }

    public func crossEntropyBackward(softmax: StridedView, targets: StridedView, grad: StridedView, divisor: StridedView?,
                                     rows: Int, cols: Int, ignoreIndex: Int) -> Storage {
        let labels = targets.isContiguous ? targets.storage : copy(targets)
        let gradient = grad.isContiguous ? grad.storage : copy(grad)
        let t = labels.int64s() + (targets.isContiguous ? targets.offset : 0)
        let g = gradient.floats() + (grad.isContiguous ? grad.offset : 0)
        let gStride = grad.count == 1 ? 0 : 1   // one value for every row
        let divide = divisor.map { $0.storage.floats()[$0.offset] } ?? 1
        let p = softmax.storage.floats() + softmax.offset
        let out = allocate(count: rows * cols, dtype: .float32)
        let dx = out.floats()
        withExtendedLifetime((labels, gradient)) {
            for r in 0..<rows {
                let target = Int(t[r])
                let dr = dx + r * cols, pr = p + r * cols
                if target == ignoreIndex {
                    dr.update(repeating: 0, count: cols)
                    continue
                }
                let scale = divisor == nil ? g[r * gStride] : g[r * gStride] / divide
                for j in 0..<cols { dr[j] = pr[j] * scale }
                dr[target] -= scale
            }
        }
        return out
    }
}
