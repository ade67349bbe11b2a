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
                for r in range {
                    let xr = p + r * cols, yr = y + r * cols
                    let (maxValue, sum) = Self.exponentiateRow(xr, into: yr, cols)
                    if log {
                        let shift = maxValue + _logf(sum)
                        for j in 0..<cols { yr[j] = xr[j] - shift }
                    } else {
                        let scale = 1 / sum
                        for j in 0..<cols { yr[j] *= scale }
                    }
                }
            }
        }
        return out
    }

    /// y = exp(x − max(x)) for one row (vectorized, see VectorMath.c); returns the maximum and the sum of y.
    @inline(__always)
    static func exponentiateRow(_ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, _ cols: Int)
        -> (max: Float, sum: Float) {
        let maxValue = ember_max_f32(x, Int64(cols))
        return (maxValue, ember_exp_sum_f32(x, y, Int64(cols), maxValue))
    }

    public func softmaxBackward(_ y: StridedView, _ grad: StridedView, rows: Int, cols: Int, log: Bool) -> Storage {
        let ys = y.isContiguous ? y.storage : copy(y)
        let gs = grad.isContiguous ? grad.storage : copy(grad)
        let yp = ys.floats() + (y.isContiguous ? y.offset : 0)
        let gp = gs.floats() + (grad.isContiguous ? grad.offset : 0)
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
            for r in 0..<rows {
                let xr = x + r * cols, pr = p + r * cols
                let (maxValue, sum) = Self.exponentiateRow(xr, into: pr, cols)
                let scale = 1 / sum
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
                l[r] = _logf(sum) + maxValue - xr[target]
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
