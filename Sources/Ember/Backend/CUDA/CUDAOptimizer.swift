/// Fused optimizer updates: one kernel per parameter, the CPU kernel's arithmetic.
extension CUDABackend {
    public func adamStep(parameter: StridedView, grad: StridedView, expAvg: StridedView, expAvgSq: StridedView,
                         maxExpAvgSq: StridedView?, _ h: AdamHyperparameters) {
        var args = CUDAKernelArguments()
        args.pointer(address(parameter))
        args.pointer(address(grad))
        args.pointer(address(expAvg))
        args.pointer(address(expAvgSq))
        args.pointer(maxExpAvgSq.map { address($0) } ?? 0)
        args.int64(parameter.count)
        args.float(h.beta1)
        args.float(h.beta2)
        args.float(h.eps)
        args.float(h.stepSize)
        args.float(h.biasCorrection2Sqrt)
        args.float(h.decoupledWeightDecay ? 1 - h.lr * h.weightDecay : 1)
        args.float(h.decoupledWeightDecay ? 0 : h.weightDecay)
        context.launch(.adam_f32, count: parameter.count, args)
        for view in [parameter, expAvg, expAvgSq] + (maxExpAvgSq.map { [$0] } ?? []) { view.storage.bumpVersion() }
    }
}
