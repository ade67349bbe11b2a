#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Matrix products through `cblas_sgemm`. A transposed view (column stride 1) is passed with
/// CblasTrans and its leading dimension instead of being copied.
extension CPUBackend {
    public func matmul(_ a: StridedView, _ b: StridedView, bias: StridedView?, batch: Int, m: Int, n: Int, k: Int) -> Storage {
        let out = allocate(count: batch * m * n, dtype: .float32)
        let c = out.floats()
        if m == 0 || n == 0 { return out }
        let (aStorage, aOp) = Self.blasOperand(a, rows: m, cols: k, backend: self)
        let (bStorage, bOp) = Self.blasOperand(b, rows: k, cols: n, backend: self)
        var beta: Float = 0
        if let bias {
            let biasData = bias.isContiguous ? bias.storage : copy(bias)
            let bp = biasData.floats() + (bias.isContiguous ? bias.offset : 0)
            for row in 0..<(batch * m) { (c + row * n).update(from: bp, count: n) }
            withExtendedLifetime(biasData) {}
            beta = 1
        }
        if k == 0 {
            if bias == nil { fill(out, count: batch * m * n, dtype: .float32, value: 0) }
            return out
        }
        withExtendedLifetime((aStorage, bStorage)) {
            let ap = aStorage.floats(), bp = bStorage.floats()
            for i in 0..<batch {
                cblas_sgemm(CblasRowMajor, aOp.transpose, bOp.transpose, Int32(m), Int32(n), Int32(k), 1,
                            ap + aOp.offset + i * aOp.batchStride, Int32(aOp.leading),
                            bp + bOp.offset + i * bOp.batchStride, Int32(bOp.leading),
                            beta, c + i * m * n, Int32(n))
            }
        }
        return out
    }

    struct BLASOperand {
        var transpose: CBLAS_TRANSPOSE
        var leading: Int
        var offset: Int
        var batchStride: Int
    }

    /// How BLAS reads a [batch, rows, cols] view: as is, transposed, or (for other strides) from a copy.
    static func blasOperand(_ v: StridedView, rows: Int, cols: Int, backend: CPUBackend) -> (Storage, BLASOperand) {
        let sb = v.strides[0], sr = v.strides[1], sc = v.strides[2]
        if sc == 1 || cols == 1, sr >= max(1, cols) || rows == 1 {
            return (v.storage, BLASOperand(transpose: CblasNoTrans, leading: max(sr, cols, 1), offset: v.offset, batchStride: sb))
        }
        if sr == 1 || rows == 1, sc >= max(1, rows) || cols == 1 {
            return (v.storage, BLASOperand(transpose: CblasTrans, leading: max(sc, rows, 1), offset: v.offset, batchStride: sb))
        }
        let copied = backend.copy(v)
        let batchStride = v.shape[0] == 1 || sb == 0 ? 0 : rows * cols
        let compact = sb == 0 ? backend.copy(StridedView(storage: v.storage, shape: [rows, cols], strides: [sr, sc],
                                                           offset: v.offset, dtype: v.dtype)) : copied
        return (compact, BLASOperand(transpose: CblasNoTrans, leading: max(cols, 1), offset: 0, batchStride: batchStride))
    }
}
