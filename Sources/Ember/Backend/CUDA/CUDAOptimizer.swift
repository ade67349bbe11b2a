/// Fused optimizer updates with the CPU kernel's arithmetic.
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

    /// The parameters per launch: `ADAM_LIST` in the kernel source, whose argument struct holds them.
    static let adamListCapacity = 12

    /// One launch per dozen parameters, each with its own range of blocks, which count its step on the device.
    public func adamStep(_ parameters: [AdamParameterViews], _ h: AdamHyperparameters) {
        let capacity = Self.adamListCapacity
        for start in stride(from: 0, to: parameters.count, by: capacity) {
            let group = parameters[start..<Swift.min(start + capacity, parameters.count)]
            var args = CUDAKernelArguments()
            args.int64(group.count)
            let padding = [Int](repeating: 0, count: capacity - group.count)
            args.int64s(group.map { $0.parameter.count } + padding)
            // Blocks per parameter: one element per thread, up to 1,024 blocks (then grid-stride).
            let blocks = group.map { Swift.max(1, Swift.min(($0.parameter.count + 255) / 256, 1024)) }
            let firstBlocks = blocks.reduce(into: [0]) { $0.append($0.last! + $1) }
            args.int64s(firstBlocks + [Int](repeating: firstBlocks.last!, count: capacity - group.count))
            let columns: [(AdamParameterViews) -> StridedView?] = [
                { $0.parameter }, { $0.grad }, { $0.expAvg }, { $0.expAvgSq }, { $0.maxExpAvgSq }, { $0.step }]
            for column in columns {
                args.int64s(group.map { item in column(item).map { Int(address($0)) } ?? 0 } + padding)
            }
            args.pointer(context.adamArrivals)
            args.float(h.lr)
            args.float(h.beta1)
            args.float(h.beta2)
            args.float(h.eps)
            args.float(h.decoupledWeightDecay ? 1 - h.lr * h.weightDecay : 1)
            args.float(h.decoupledWeightDecay ? 0 : h.weightDecay)
            context.launch(.adam_foreach_f32, blocks: firstBlocks.last!, threads: 256, args)
            for item in group {
                for view in [item.parameter, item.expAvg, item.expAvgSq, item.step] + (item.maxExpAvgSq.map { [$0] } ?? []) {
                    view.storage.bumpVersion()
                }
            }
        }
    }
}
