/// Fused optimizer updates: one pass over each parameter instead of a dozen tensor ops.
extension CPUBackend {
    public func adamStep(parameter: StridedView, grad: StridedView, expAvg: StridedView, expAvgSq: StridedView,
                         maxExpAvgSq: StridedView?, _ h: AdamHyperparameters) {
        let n = parameter.count
        let p = parameter.storage.floats() + parameter.offset, g = grad.storage.floats() + grad.offset
        let m = expAvg.storage.floats() + expAvg.offset, v = expAvgSq.storage.floats() + expAvgSq.offset
        let vmax = maxExpAvgSq.map { $0.storage.floats() + $0.offset }
        let beta1 = h.beta1, beta2 = h.beta2, eps = h.eps, wd = h.weightDecay
        let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
        let stepSize = h.stepSize, bc2 = h.biasCorrection2Sqrt
        let decay = h.decoupledWeightDecay ? 1 - h.lr * wd : 1
        let coupled = h.decoupledWeightDecay ? 0 : wd
        Parallel.chunks(n) { r in
            if let vmax {
                for i in r {
                    let pi = p[i] * decay
                    let gi = g[i] + coupled * pi
                    let mi = m[i] + (gi - m[i]) * oneMinusBeta1
                    let vi = v[i] * beta2 + oneMinusBeta2 * gi * gi
                    let wi = Swift.max(vmax[i], vi)
                    m[i] = mi; v[i] = vi; vmax[i] = wi
                    p[i] = pi - stepSize * (mi / (wi.squareRoot() / bc2 + eps))
                }
            } else {
                for i in r {
                    let pi = p[i] * decay
                    let gi = g[i] + coupled * pi
                    let mi = m[i] + (gi - m[i]) * oneMinusBeta1
                    let vi = v[i] * beta2 + oneMinusBeta2 * gi * gi
                    m[i] = mi; v[i] = vi
                    p[i] = pi - stepSize * (mi / (vi.squareRoot() / bc2 + eps))
                }
            }
        }
        for view in [parameter, expAvg, expAvgSq] + (maxExpAvgSq.map { [$0] } ?? []) { view.storage.bumpVersion() }
    }
}
