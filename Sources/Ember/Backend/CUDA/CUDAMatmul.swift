/// Matrix products through cuBLAS. cuBLAS is column-major, so the row-major product C = A·B is
/// computed as Cᵀ = Bᵀ·Aᵀ: a row-major matrix *is* its transpose in column-major, so no operand is
/// copied; transposed views become transpose flags, as on the CPU.
extension CUDABackend {
    /// How cuBLAS reads one operand: its transpose flag (in row-major terms), leading dimension,
    /// element offset and batch stride.
    struct GEMMOperand {
        var transposed: Bool
        var leading: Int
        var batchStride: Int
        var storage: Storage
        var offset: Int
    }

    /// The operand `v` ([batch, rows, cols]) as cuBLAS can read it, copying only a layout BLAS
    /// cannot express (neither rows nor columns unit-strided).
    func gemmOperand(_ v: StridedView, rows: Int, cols: Int) -> GEMMOperand {
        let sb = v.strides[0], sr = v.strides[1], sc = v.strides[2]
        if sc == 1 || cols == 1, sr >= Swift.max(1, cols) || rows == 1 {
            return GEMMOperand(transposed: false, leading: Swift.max(sr, cols, 1), batchStride: sb, storage: v.storage,
                               offset: v.offset)
        }
        if sr == 1 || rows == 1, sc >= Swift.max(1, rows) || cols == 1 {
            return GEMMOperand(transposed: true, leading: Swift.max(sc, rows, 1), batchStride: sb, storage: v.storage,
                               offset: v.offset)
        }
        let compact = contiguous(StridedView(storage: v.storage, shape: [sb == 0 ? 1 : v.shape[0], rows, cols],
                                             strides: [sb, sr, sc], offset: v.offset, dtype: v.dtype))
        return GEMMOperand(transposed: false, leading: Swift.max(cols, 1), batchStride: sb == 0 ? 0 : rows * cols,
                           storage: compact.storage, offset: 0)
    }

    public func matmul(_ a: StridedView, _ b: StridedView, bias: StridedView?, batch: Int, m: Int, n: Int, k: Int) -> Storage {
        let out = allocate(count: batch * m * n, dtype: .float32)
        if batch * m * n == 0 { return out }
        var beta: Float = 0
        if let bias {
            var args = CUDAKernelArguments()
            args.pointer(address(out))
            args.pointer(address(bias))
            args.int64(batch * m)
            args.int64(n)
            args.int64(bias.count == 1 ? 0 : bias.strides.last ?? 1)
            context.launch(.broadcast_rows, count: batch * m * n, args)
            beta = 1
        }
        if k == 0 {
            if bias == nil { fill(out, count: batch * m * n, dtype: .float32, value: 0) }
            return out
        }
        let opA = gemmOperand(a, rows: m, cols: k), opB = gemmOperand(b, rows: k, cols: n)
        var alpha: Float = 1
        context.makeCurrent()
        let status = context.cublas.cublasSgemmStridedBatched(
            context.cublasHandle,
            opB.transposed ? CuBLAS.opT : CuBLAS.opN, opA.transposed ? CuBLAS.opT : CuBLAS.opN,
            Int32(n), Int32(m), Int32(k), &alpha,
            address(opB.storage) + UInt64(opB.offset * 4), Int32(opB.leading), Int64(opB.batchStride),
            address(opA.storage) + UInt64(opA.offset * 4), Int32(opA.leading), Int64(opA.batchStride),
            &beta, address(out), Int32(n), Int64(m * n), Int32(batch))
        if status != 0 { fatalError("Ember: cublasSgemmStridedBatched failed with status \(status) (m \(m), n \(n), k \(k))") }
        withExtendedLifetime((opA, opB)) {}
        return out
    }
}
