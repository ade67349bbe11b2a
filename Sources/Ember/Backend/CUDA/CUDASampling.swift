/// Grid sampling on the GPU: one thread per grid point, looping over the channels (CUDAKernelSource's
/// `grid_sample2d_f32` and its backward, which adds into the input's gradient atomically).
extension CUDABackend {
    private func sampleArguments(_ g: GridSampleGeometry, into args: inout CUDAKernelArguments) {
        let padding = switch g.padding { case .zeros: 0; case .border: 1; case .reflection: 2 }
        args.int64s([g.batch, g.channels, g.height, g.width, g.outHeight, g.outWidth, g.mode == .bilinear ? 1 : 0, padding,
                     g.alignCorners ? 1 : 0])
    }

    public func gridSample2d(_ input: StridedView, grid: StridedView, _ g: GridSampleGeometry) -> Storage {
        let (image, points) = (contiguous(input), contiguous(grid))
        let out = allocate(count: g.batch * g.channels * g.points, dtype: .float32)
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(image))
        args.pointer(address(points))
        sampleArguments(g, into: &args)
        context.launch(.grid_sample2d_f32, count: g.batch * g.points, args)
        withExtendedLifetime((image, points)) {}
        return out
    }

    public func gridSample2dBackward(_ grad: StridedView, input: StridedView, grid: StridedView, _ g: GridSampleGeometry,
                                     inputGrad: Bool, gridGrad: Bool) -> (input: Storage?, grid: Storage?) {
        let (upstream, image, points) = (contiguous(grad), contiguous(input), contiguous(grid))
        let inputResult = inputGrad ? allocate(count: g.batch * g.channels * g.height * g.width, dtype: .float32) : nil
        let gridResult = gridGrad ? allocate(count: g.batch * g.points * 2, dtype: .float32) : nil
        if let inputResult { fill(inputResult, count: g.batch * g.channels * g.height * g.width, dtype: .float32, value: 0) }
        var args = CUDAKernelArguments()
        args.pointer(inputResult.map { address($0) } ?? 0)
        args.pointer(gridResult.map { address($0) } ?? 0)
        args.pointer(address(upstream))
        args.pointer(address(image))
        args.pointer(address(points))
        sampleArguments(g, into: &args)
        if inputGrad || gridGrad { context.launch(.grid_sample2d_backward_f32, count: g.batch * g.points, args) }
        withExtendedLifetime((upstream, image, points)) {}
        return (inputResult, gridResult)
    }
}
