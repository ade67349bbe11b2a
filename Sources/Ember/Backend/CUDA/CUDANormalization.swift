/// Layer normalization: one block per row, as the softmax family; the weight and bias gradients sum
/// each column over the rows in blocks of 32 columns × 8 row lanes.
extension CUDABackend {
    public func layerNorm(_ x: StridedView, weight: StridedView?, bias: StridedView?, rows: Int, cols: Int, eps: Float)
        -> (output: Storage, mean: Storage, rstd: Storage) {
        let source = contiguous(x), w = weight.map(contiguous), b = bias.map(contiguous)
        let output = allocate(count: rows * cols, dtype: .float32)
        let mean = allocate(count: rows, dtype: .float32), rstd = allocate(count: rows, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(output))
        args.pointer(address(mean))
        args.pointer(address(rstd))
        args.pointer(address(source))
        args.pointer(w.map(address) ?? address(source))     // not read without the flag
        args.pointer(b.map(address) ?? address(source))
        args.int64(rows)
        args.int64(cols)
        args.float(eps)
        args.int32(w == nil ? 0 : 1)
        args.int32(b == nil ? 0 : 1)
        context.launch(.layer_norm_rows, blocks: Swift.min(rows, 65535), threads: Self.rowThreads(cols), args)
        withExtendedLifetime((source, w, b)) {}
        return (output, mean, rstd)
    }

    public func layerNormBackward(_ grad: StridedView, _ x: StridedView, mean: StridedView, rstd: StridedView,
                                  weight: StridedView?, rows: Int, cols: Int, parameterGrads: Bool)
        -> (input: Storage, weight: Storage?, bias: Storage?) {
        let g = contiguous(grad), xs = contiguous(x), m = contiguous(mean), r = contiguous(rstd), w = weight.map(contiguous)
        let input = allocate(count: rows * cols, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(input))
        args.pointer(address(g))
        args.pointer(address(xs))
        args.pointer(address(m))
        args.pointer(address(r))
        args.pointer(w.map(address) ?? address(g))
        args.int64(rows)
        args.int64(cols)
        args.int32(w == nil ? 0 : 1)
        context.launch(.layer_norm_backward_rows, blocks: Swift.min(rows, 65535), threads: Self.rowThreads(cols), args)
        var weightGrad: Storage? = nil, biasGrad: Storage? = nil
        if parameterGrads {
            let dw = allocate(count: cols, dtype: .float32), db = allocate(count: cols, dtype: .float32)
            var columnArgs = CUDAKernelArguments()
            columnArgs.pointer(address(dw))
            columnArgs.pointer(address(db))
            columnArgs.pointer(address(g))
            columnArgs.pointer(address(xs))
            columnArgs.pointer(address(m))
            columnArgs.pointer(address(r))
            columnArgs.int64(rows)
            columnArgs.int64(cols)
            context.launch(.layer_norm_param_grads, blocks: Swift.min((cols + 31) / 32, 65535), threads: 32, threadsY: 8,
                           columnArgs)
            (weightGrad, biasGrad) = (dw, db)
        }
        withExtendedLifetime((g, xs, m, r, w)) {}
        return (input, weightGrad, biasGrad)
    }
}
