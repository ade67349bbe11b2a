/// Softmax and log-softmax over the last axis, numerically stable (the row maximum is subtracted).
extension CPUBackend {
    public func softmax(_ x: StridedView, rows: Int, cols: Int, log: Bool) -> Storage {
        let source = x.isContiguous ? x.storage : copy(x)
        let p = source.floats() + (x.isContiguous ? x.offset : 0)
        let out = allocate(count: rows * cols, dtype: .float32)
        let y = out.floats()
        withExtendedLifetime(source) {
            Parallel.chunks(rows, grain: max(1, Parallel.grain / max(cols, 1))) { range in
                for r in range {
                    let xr = p + r * cols, yr = y + r * cols
                    var maxValue = -Float.infinity
                    for j in 0..<cols where xr[j] > maxValue { maxValue = xr[j] }
                    var sum: Float = 0
                    for j in 0..<cols {
                        let e = _expf(xr[j] - maxValue)
                        yr[j] = e
                        sum += e
                    }
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
                    for j in 0..<cols { dr[j] = gr[j] - _expf(yr[j]) * total }
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
