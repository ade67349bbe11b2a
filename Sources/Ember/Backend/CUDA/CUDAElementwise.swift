/// Element-wise kernels: one thread per output element, strided inputs read through their merged
/// layout (`CUDAStridedLayout`), so broadcasting and transposed views cost no copies.
extension CUDABackend {
    public func unary(_ op: UnaryOp, _ x: StridedView) -> Storage {
        precondition(x.dtype == .float32, "Ember: \(op) needs a float32 tensor, got \(x.dtype)")
        let n = x.count
        let out = allocate(count: n, dtype: .float32)
        let layout = CUDAStridedLayout(shape: x.shape, operandStrides: [Shape.contiguousStrides(x.shape), x.strides])
        let (code, p1, p2) = op.cudaCode
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(x))
        args.int64(n)
        layout.appendShape(to: &args)
        layout.appendStrides(1, to: &args)
        args.int32(code)
        args.float(p1)
        args.float(p2)
        context.launch(.unary_f32, count: n, args)
        return out
    }

    /// `v` as float32 broadcast to `shape`: itself, or a converted copy.
    private func floatOperand(_ v: StridedView, shape: [Int]) -> StridedView {
        if v.dtype == .float32 { return v }
        return StridedView(storage: convert(v, to: .float32), shape: v.shape, strides: Shape.contiguousStrides(v.shape),
                           offset: 0, dtype: .float32).broadcast(to: shape)
    }

    public func binary(_ op: BinaryOp, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage {
        let n = Shape.count(shape)
        let integer = a.dtype == .int64 && b.dtype == .int64
        if integer && !op.isDefinedForInt64 {
            fatalError("Ember: \(op) is not defined for int64 tensors; convert with .float() first")
        }
        // int64 with float32 computes in float32, as PyTorch promotes.
        let x = integer ? a : floatOperand(a, shape: shape), y = integer ? b : floatOperand(b, shape: shape)
        let out = allocate(count: n, dtype: integer && !op.isComparison ? .int64 : .float32)
        let layout = CUDAStridedLayout(shape: shape, operandStrides: [Shape.contiguousStrides(shape), x.strides, y.strides])
        let (code, p1, p2) = op.cudaCode
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(x))
        args.pointer(address(y))
        args.int64(n)
        layout.appendShape(to: &args)
        layout.appendStrides(1, to: &args)
        layout.appendStrides(2, to: &args)
        args.int32(code)
        if !integer {
            args.float(p1)
            args.float(p2)
        }
        context.launch(integer ? .binary_i64 : .binary_f32, count: n, args)
        withExtendedLifetime((x, y)) {}
        return out
    }

    public func select(_ condition: StridedView, _ a: StridedView, _ b: StridedView, shape: [Int]) -> Storage {
        let c = floatOperand(condition, shape: shape)
        let n = Shape.count(shape)
        let out = allocate(count: n, dtype: .float32)
        let layout = CUDAStridedLayout(shape: shape, operandStrides: [Shape.contiguousStrides(shape), c.strides,
                                                                        a.strides, b.strides])
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(c))
        args.pointer(address(a))
        args.pointer(address(b))
        args.int64(n)
        layout.appendShape(to: &args)
        for operand in 1...3 { layout.appendStrides(operand, to: &args) }
        context.launch(.select_f32, count: n, args)
        withExtendedLifetime(c) {}
        return out
    }

    public func binaryInPlace(_ op: BinaryOp, _ target: StridedView, _ source: StridedView) {
        precondition(target.dtype == .float32 && source.dtype == .float32, "Ember: in-place ops need float32 tensors")
        let src = source.broadcast(to: target.shape)
        let layout = CUDAStridedLayout(shape: target.shape, operandStrides: [target.strides, src.strides])
        let (code, p1, p2) = op.cudaCode
        var args = CUDAKernelArguments()
        args.pointer(address(target))
        args.pointer(address(src))
        args.int64(target.count)
        layout.appendShape(to: &args)
        layout.appendStrides(0, to: &args)
        layout.appendStrides(1, to: &args)
        args.int32(code)
        args.float(p1)
        args.float(p2)
        context.launch(.binary_inplace_f32, count: target.count, args)
        target.storage.bumpVersion()
    }
}
