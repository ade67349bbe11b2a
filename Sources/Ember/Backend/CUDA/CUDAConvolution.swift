/// im2col / col2im and max pooling on the GPU, with the CPU backend's column layout
/// ([C·kh·kw, N·outH·outW], batch-inner), so the convolution ops above are shared unchanged.
extension CUDABackend {
    private func geometryArguments(_ g: ConvGeometry, into args: inout CUDAKernelArguments) {
        args.int64s([g.batch, g.channels, g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW,
                     g.padH, g.padW, g.dilationH, g.dilationW, g.outHeight, g.outWidth])
    }

    public func im2col(_ x: StridedView, _ g: ConvGeometry) -> Storage {
        let source = contiguous(x)
        let count = g.channels * g.kernelH * g.kernelW * g.batch * g.outHeight * g.outWidth
        let out = allocate(count: count, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(source))
        geometryArguments(g, into: &args)
        context.launch(.im2col_f32, count: count, args)
        withExtendedLifetime(source) {}
        return out
    }

    public func col2im(_ columns: StridedView, _ g: ConvGeometry) -> Storage {
        let source = contiguous(columns)
        let count = g.batch * g.channels * g.height * g.width
        let out = allocate(count: count, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(source))
        geometryArguments(g, into: &args)
        context.launch(.col2im_f32, count: count, args)
        withExtendedLifetime(source) {}
        return out
    }

    public func maxPool2d(_ x: StridedView, _ g: ConvGeometry) -> (values: Storage, indices: Storage) {
        let source = contiguous(x)
        let count = g.batch * g.channels * g.outHeight * g.outWidth
        let values = allocate(count: count, dtype: .float32), indices = allocate(count: count, dtype: .int64)
        var args = CUDAKernelArguments()
        args.pointer(address(values))
        args.pointer(address(indices))
        args.pointer(address(source))
        geometryArguments(g, into: &args)
        context.launch(.max_pool2d_f32, count: count, args)
        withExtendedLifetime(source) {}
        return (values, indices)
    }
}
