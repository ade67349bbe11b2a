import Foundation

extension CUDABackend {
    /// Host-side cost of each step of an op's launch path, in microseconds per call (for
    /// `ember device --bench`): where the time of a small op goes.
    public func launchPathProfile(calls: Int = 5000) -> [(String, Double)] {
        func time(_ body: () -> Void) -> Double {
            for _ in 0..<100 { body() }
            synchronize()
            let start = Date()
            for _ in 0..<calls { body() }
            synchronize()
            return Date().timeIntervalSince(start) / Double(calls) * 1e6
        }
        let storage = allocate(count: 1, dtype: .float32)
        let shape = [64, 256], strides = Shape.contiguousStrides(shape)
        return [
            ("cuCtxSetCurrent", time { context.makeCurrent() }),
            ("Device.backend lookup", time { _ = device.backend }),
            ("strided layout", time { _ = CUDAStridedLayout(shape: shape, operandStrides: [strides, strides]) }),
            ("argument buffer", time {
                var args = CUDAKernelArguments()
                args.pointer(1)
                args.int64(1)
                args.float(0)
                _ = args
            }),
            ("allocate + free", time { _ = allocate(count: 64 * 256, dtype: .float32) }),
            ("launch (fill 1 element)", time { fill(storage, count: 1, dtype: .float32, value: 0) }),
        ]
    }
}
