/// Index-select, gather and their adjoints over contiguous [outer, size, inner] arrays. A bad index
/// is recorded on the device and reported at the next synchronisation (see `CUDAContext`).
extension CUDABackend {
    private func indexArguments(_ out: Storage, _ x: StridedView, _ indices: StridedView,
                                outer: Int, size: Int, inner: Int, picks: Int) -> CUDAKernelArguments {
        var args = CUDAKernelArguments()
        args.pointer(address(out))
        args.pointer(address(x))
        args.pointer(address(indices))
        args.int64(outer)
        args.int64(size)
        args.int64(inner)
        args.int64(picks)
        args.pointer(context.errorRecord)
        return args
    }

    public func indexSelect(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int) -> Storage {
        let source = contiguous(x), idx = int64Indices(indices)
        let picks = indices.count
        let out = allocate(count: outer * picks * inner, dtype: x.dtype)
        let args = indexArguments(out, source, idx, outer: outer, size: size, inner: inner, picks: picks)
        context.launch(x.dtype.itemSize == 4 ? .index_select_b4 : .index_select_b8, count: outer * picks * inner, args)
        withExtendedLifetime((source, idx)) {}
        return out
    }

    public func indexAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int) -> Storage {
        let source = contiguous(g), idx = int64Indices(indices)
        let picks = indices.count
        let out = allocate(count: outer * size * inner, dtype: .float32)
        fill(out, count: outer * size * inner, dtype: .float32, value: 0)
        let args = indexArguments(out, source, idx, outer: outer, size: size, inner: inner, picks: picks)
        context.launch(.index_add_f32, count: outer * picks * inner, args)
        withExtendedLifetime((source, idx)) {}
        return out
    }

    public func gather(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage {
        let source = contiguous(x), idx = int64Indices(indices)
        let out = allocate(count: outer * picks * inner, dtype: .float32)
        let args = indexArguments(out, source, idx, outer: outer, size: size, inner: inner, picks: picks)
        context.launch(.gather_f32, count: outer * picks * inner, args)
        withExtendedLifetime((source, idx)) {}
        return out
    }

    public func scatterAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage {
        let source = contiguous(g), idx = int64Indices(indices)
        let out = allocate(count: outer * size * inner, dtype: .float32)
        fill(out, count: outer * size * inner, dtype: .float32, value: 0)
        let args = indexArguments(out, source, idx, outer: outer, size: size, inner: inner, picks: picks)
        context.launch(.scatter_add_f32, count: outer * picks * inner, args)
        withExtendedLifetime((source, idx)) {}
        return out
    }

    public func scatter(_ base: StridedView, _ src: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int,
                        picks: Int) -> Storage {
        let out = copy(base)
        let source = contiguous(src), idx = int64Indices(indices)
        let args = indexArguments(out, source, idx, outer: outer, size: size, inner: inner, picks: picks)
        context.launch(.scatter_f32, count: outer * picks * inner, args)
        withExtendedLifetime((source, idx)) {}
        return out
    }
}
