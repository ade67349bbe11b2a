import CEmberKernels

/// Copies that swap the last two dimensions (`x.t().contiguous()`, `x.transpose(1, 2).contiguous()`)
/// go through Transpose.c's 8×8 blocks: element by element, each read of a column lands on a new
/// cache line (a 1024×1024 transpose: 2.2 ms that way).
extension CPUBackend {
    /// Copies `loop`'s float elements (operand 0 the destination, 1 the source) plane by plane with
    /// the transpose kernel if the destination's rows are contiguous and the source is contiguous
    /// along the destination's columns; returns false, copying nothing, otherwise.
    static func copyTransposed(_ loop: StridedLoop, _ dst: UnsafeMutablePointer<Float>,
                               _ src: UnsafeMutablePointer<Float>) -> Bool {
        let sizes = loop.sizes, rank = sizes.count
        let dstStrides = loop.strides[0], srcStrides = loop.strides[1]
        guard rank >= 2, dstStrides[rank - 1] == 1, srcStrides[rank - 1] != 1, srcStrides[rank - 2] == 1 else {
            return false
        }
        let rows = sizes[rank - 2], cols = sizes[rank - 1]
        let dstStride = dstStrides[rank - 2], srcStride = srcStrides[rank - 1]
        let planes = sizes.prefix(rank - 2).reduce(1, *)
        // Where plane p starts in the destination and the source.
        func origin(_ plane: Int) -> (dst: Int, src: Int) {
            var rest = plane, d = 0, s = 0
            for axis in stride(from: rank - 3, through: 0, by: -1) {
                let i = rest % sizes[axis]
                rest /= sizes[axis]
                d += i * dstStrides[axis]
                s += i * srcStrides[axis]
            }
            return (d, s)
        }
        if planes >= Parallel.threadCount {
            Parallel.chunks(planes, grain: Swift.max(1, Parallel.grain / Swift.max(rows * cols, 1))) { range in
                for p in range {
                    let o = origin(p)
                    ember_transpose_f32(src + o.src, Int64(srcStride), dst + o.dst, Int64(dstStride), Int64(rows), Int64(cols))
                }
            }
        } else {
            // Few large planes: each split into stretches of destination rows, or of columns when
            // there are too few rows to go round (a 2 × 2M plane).
            for p in 0..<planes {
                let o = origin(p)
                if rows >= 8 * Parallel.threadCount {
                    Parallel.chunks(rows, grain: Swift.max(8, Parallel.grain / Swift.max(cols, 1))) { r in
                        ember_transpose_f32(src + o.src + r.lowerBound, Int64(srcStride),
                                            dst + o.dst + r.lowerBound * dstStride, Int64(dstStride), Int64(r.count), Int64(cols))
                    }
                } else {
                    Parallel.chunks(cols, grain: Swift.max(8, Parallel.grain / Swift.max(rows, 1))) { c in
                        ember_transpose_f32(src + o.src + c.lowerBound * srcStride, Int64(srcStride),
                                            dst + o.dst + c.lowerBound, Int64(dstStride), Int64(rows), Int64(c.count))
                    }
                }
            }
        }
        return true
    }
}
