/// Reductions and the softmax family. Row-wise work runs one block per row, its threads striding
/// over the row and combining through shared memory.
extension CUDABackend {
    /// Threads per block for a row of `cols` elements: a power of two from 32 to 256.
    static func rowThreads(_ cols: Int) -> Int {
        var threads = 32
        while threads < cols && threads < 256 { threads *= 2 }
        return threads
    }

    static func reduceCode(_ op: ReduceOp) -> Int32 {
        switch op {
        case .sum: return 0
        case .max: return 1
        case .min: return 2
        }
    }

    public func reduce(_ op: ReduceOp, _ x: StridedView, outer: Int, size: Int, inner: Int) -> Storage {
        let source = contiguous(x)
        let out = allocate(count: outer * inner, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(source))
        if inner == 1 {
            args.int64(outer)
            args.int64(size)
            args.int32(Self.reduceCode(op))
            context.launch(.reduce_rows, blocks: Swift.min(outer, 65535), threads: Self.rowThreads(size), args)
        } else {
            args.int64(outer)
            args.int64(size)
            args.int64(inner)
            args.int32(Self.reduceCode(op))
            context.launch(.reduce_cols, blocks: Swift.min(outer * ((inner + 31) / 32), 65535), threads: 32, threadsY: 8, args)
        }
        withExtendedLifetime(source) {}
        return out
    }

    public func reduceWithIndices(_ op: ReduceOp, _ x: StridedView, outer: Int, size: Int, inner: Int)
        -> (values: Storage, indices: Storage) {
        let source = contiguous(x)
        let values = allocate(count: outer * inner, dtype: .float32)
        let indices = allocate(count: outer * inner, dtype: .int64)
        var args = CUDAKernelArguments()
        args.pointer(address(values))
        args.pointer(address(indices))
        args.pointer(address(source))
        args.int64(outer)
        args.int64(size)
        args.int64(inner)
        args.int32(Self.reduceCode(op))
        context.launch(.reduce_index, count: outer * inner, args)
        withExtendedLifetime(source) {}
        return (values, indices)
    }

    public func softmax(_ x: StridedView, rows: Int, cols: Int, log: Bool) -> Storage {
        let source = contiguous(x)
        let out = allocate(count: rows * cols, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(source))
        args.int64(rows)
        args.int64(cols)
        args.int32(log ? 1 : 0)
        context.launch(.softmax_rows, blocks: Swift.min(rows, 65535), threads: Self.rowThreads(cols), args)
        withExtendedLifetime(source) {}
        return out
    }

    public func softmaxBackward(_ y: StridedView, _ grad: StridedView, rows: Int, cols: Int, log: Bool) -> Storage {
        let ys = contiguous(y), gs = contiguous(grad)
        let out = allocate(count: rows * cols, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(ys))
        args.pointer(address(gs))
        args.int64(rows)
        args.int64(cols)
        args.int32(log ? 1 : 0)
        context.launch(.softmax_backward_rows, blocks: Swift.min(rows, 65535), threads: Self.rowThreads(cols), args)
        withExtendedLifetime((ys, gs)) {}
        return out
    }

    public func crossEntropy(_ logits: StridedView, targets: StridedView, rows: Int, cols: Int, ignoreIndex: Int)
        -> (losses: Storage, softmax: Storage) {
        let x = contiguous(logits), t = int64Indices(targets)
        let losses = allocate(count: rows, dtype: .float32), softmax = allocate(count: rows * cols, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(losses))
        args.pointer(address(softmax))
        args.pointer(address(x))
        args.pointer(address(t))
        args.int64(rows)
        args.int64(cols)
        args.int64(ignoreIndex)
        args.pointer(context.errorRecord)
        context.launch(.cross_entropy_rows, blocks: Swift.min(rows, 65535), threads: Self.rowThreads(cols), args)
        withExtendedLifetime((x, t)) {}
        return (losses, softmax)
    }

    public func crossEntropyMean(_ losses: StridedView, targets: StridedView, rows: Int, ignoreIndex: Int)
        -> (mean: Storage, kept: Storage) {
        let l = contiguous(losses), t = int64Indices(targets)
        let mean = allocate(count: 1, dtype: .float32), kept = allocate(count: 1, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(mean))
        args.pointer(address(kept))
        args.pointer(address(l))
        args.pointer(address(t))
        args.int64(rows)
        args.int64(ignoreIndex)
        context.launch(.cross_entropy_mean, blocks: 1, threads: 256, args)
        withExtendedLifetime((l, t)) {}
        return (mean, kept)
    }

    public func crossEntropyBackward(softmax: StridedView, targets: StridedView, grad: StridedView, divisor: StridedView?,
                                     rows: Int, cols: Int, ignoreIndex: Int) -> Storage {
        let p = contiguous(softmax), t = int64Indices(targets)
        // The upstream gradient is one value per row, often a broadcast scalar (stride 0).
        let g = grad.count == 1 ? grad : contiguous(grad)
        let out = allocate(count: rows * cols, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(p))
        args.pointer(address(t))
        args.pointer(address(g))
        args.int64(grad.count == 1 ? 0 : 1)
        args.pointer(divisor.map { address($0) } ?? 0)
        args.int64(rows)
        args.int64(cols)
        args.int64(ignoreIndex)
        context.launch(.cross_entropy_backward, count: rows * cols, args)
        withExtendedLifetime((p, t, g)) {}
        return out
    }
}
