import CEmberKernels

/// Fused optimizer updates: one pass over each parameter instead of a dozen tensor ops.
extension CPUBackend {
    public func adamStep(parameter: StridedView, grad: StridedView, expAvg: StridedView, expAvgSq: StridedView,
                         maxExpAvgSq: StridedView?, _ h: AdamHyperparameters) {
        let n = parameter.count
        let p = parameter.storage.floats() + parameter.offset, g = grad.storage.floats() + grad.offset
        let m = expAvg.storage.floats() + expAvg.offset, v = expAvgSq.storage.floats() + expAvgSq.offset
        let vmax = maxExpAvgSq.map { $0.storage.floats() + $0.offset }
        let beta1 = h.beta1, beta2 = h.beta2, eps = h.eps, wd = h.weightDecay
        let stepSize = h.stepSize, bc2 = h.biasCorrection2Sqrt
        let decay = h.decoupledWeightDecay ? 1 - h.lr * wd : 1
        let coupled = h.decoupledWeightDecay ? 0 : wd
        // Memory-bound and run every step: split from 32K elements (the MLP's 200K-weight layer gets both cores).
        Parallel.chunks(n, grain: 1 << 15) { r in
            ember_adam_f32(p + r.lowerBound, g + r.lowerBound, m + r.lowerBound, v + r.lowerBound,
                           vmax.map { $0 + r.lowerBound }, Int64(r.count), beta1, beta2, eps, stepSize, bc2, decay, coupled)
        }
        for view in [parameter, expAvg, expAvgSq] + (maxExpAvgSq.map { [$0] } ?? []) { view.storage.bumpVersion() }
    }

    public func adamStep(_ parameters: [AdamParameterViews], _ hyper: AdamHyperparameters) {
        for item in parameters {
            let step = item.step.storage.floats() + item.step.offset
            step.pointee += 1
            item.step.storage.bumpVersion()
            var h = hyper
            h.step = Int(step.pointee)
            adamStep(parameter: item.parameter, grad: item.grad, expAvg: item.expAvg, expAvgSq: item.expAvgSq,
                     maxExpAvgSq: item.maxExpAvgSq, h)
        }
    }
}
