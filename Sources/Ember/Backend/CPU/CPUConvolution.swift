import CEmberKernels

/// im2col / col2im and max pooling. Columns are laid out [C·kh·kw, N·outH·outW]: one row per kernel
/// tap, holding that tap's input value for every output position of every image. They serve
/// `unfold`/`fold`, transposed convolution and, without AVX2 and FMA, convolution (one BLAS product per
/// image, whose columns are a strided block of every row; both backward products over the whole batch).
/// With them, convolution runs image by image (CPUConv2d.swift) on the per-row and per-plane loops below.
extension CPUBackend {
    /// The output columns `ox` in `lo..<hi` whose input column `x0 + ox·stride` lies inside `0..<width`.
    @inline(__always)
    static func validRange(start x0: Int, stride: Int, count: Int, width: Int) -> (lo: Int, hi: Int) {
        let lo = x0 >= 0 ? 0 : (-x0 + stride - 1) / stride
        let hi = width - x0 <= 0 ? 0 : (width - x0 + stride - 1) / stride
        let clampedLo = Swift.min(lo, count)
        return (clampedLo, Swift.max(clampedLo, Swift.min(hi, count)))
    }

    public func im2col(_ x: StridedView, _ g: ConvGeometry) -> Storage {
        let source = x.isContiguous ? x.storage : copy(x)
        let base = UnsafePointer(source.floats() + (x.isContiguous ? x.offset : 0))
        let plane = g.outHeight * g.outWidth
        let rows = g.channels * g.kernelH * g.kernelW
        let out = allocate(count: rows * g.batch * plane, dtype: .float32)
        let cols = out.floats()
        withExtendedLifetime(source) {
            // One (kernel tap, image) block of outH·outW values per task item.
            Parallel.chunks(rows * g.batch, grain: max(1, Parallel.grain / max(plane, 1))) { range in
                for item in range {
                    let row = item / g.batch, n = item % g.batch
                    Self.im2colRow(base + n * g.channels * g.height * g.width, row: row, into: cols + item * plane, g)
                }
            }
        }
        return out
    }

    /// Kernel tap `row` (channel, ki, kj) of one image's [C, H, W] windows: that tap's input for each
    /// of the outH·outW output positions, written at `dst` (zeros where the window covers padding).
    @inline(__always)
    static func im2colRow(_ image: UnsafePointer<Float>, row: Int, into dst: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let outH = g.outHeight, outW = g.outWidth, kernel = g.kernelH * g.kernelW
        let c = row / kernel, ki = (row % kernel) / g.kernelW, kj = row % g.kernelW
        let channel = image + c * g.height * g.width
        let x0 = kj * g.dilationW - g.padW
        let (lo, hi) = validRange(start: x0, stride: g.strideW, count: outW, width: g.width)
        for oy in 0..<outH {
            let iy = oy * g.strideH - g.padH + ki * g.dilationH
            let line = dst + oy * outW
            if iy < 0 || iy >= g.height {
                line.update(repeating: 0, count: outW)
                continue
            }
            let src = channel + iy * g.width
            if lo > 0 { line.update(repeating: 0, count: lo) }
            if g.strideW == 1 {
                (line + lo).update(from: src + (x0 + lo), count: hi - lo)
            } else {
                for ox in lo..<hi { line[ox] = src[x0 + ox * g.strideW] }
            }
            if hi < outW { (line + hi).update(repeating: 0, count: outW - hi) }
        }
    }

    public func col2im(_ columns: StridedView, _ g: ConvGeometry) -> Storage {
        let source = columns.isContiguous ? columns.storage : copy(columns)
        let cols = UnsafePointer(source.floats() + (columns.isContiguous ? columns.offset : 0))
        let plane = g.outHeight * g.outWidth
        let kernel = g.kernelH * g.kernelW
        let count = g.batch * g.channels * g.height * g.width
        let out = allocate(count: count, dtype: .float32)
        let image = out.floats()
        withExtendedLifetime(source) {
            // One (image, channel) plane per task: its kernel rows all add into that plane only.
            Parallel.chunks(g.batch * g.channels, grain: max(1, Parallel.grain / max(plane * kernel, 1))) { range in
                for item in range {
                    let n = item / g.channels, c = item % g.channels
                    Self.col2imPlane(cols + n * plane, rowStride: g.batch * plane, channel: c,
                                     into: image + item * g.height * g.width, g)
                }
            }
        }
        return out
    }

    /// Sums the column rows of channel `c` (rows c·kh·kw..<(c+1)·kh·kw, `rowStride` floats apart,
    /// each holding one image's outH·outW values) back into that channel's H×W plane `target`.
    @inline(__always)
    static func col2imPlane(_ columns: UnsafePointer<Float>, rowStride: Int, channel c: Int,
                            into target: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let outH = g.outHeight, outW = g.outWidth, kernel = g.kernelH * g.kernelW
        target.update(repeating: 0, count: g.height * g.width)
        for k in 0..<kernel {
            let ki = k / g.kernelW, kj = k % g.kernelW
            let src = columns + (c * kernel + k) * rowStride
            let x0 = kj * g.dilationW - g.padW
            let (lo, hi) = validRange(start: x0, stride: g.strideW, count: outW, width: g.width)
            if lo >= hi { continue }
            for oy in 0..<outH {
                let iy = oy * g.strideH - g.padH + ki * g.dilationH
                if iy < 0 || iy >= g.height { continue }
                let line = target + iy * g.width + x0
                let row = src + oy * outW
                if g.strideW == 1 {
                    for ox in lo..<hi { line[ox] += row[ox] }
                } else {
                    for ox in lo..<hi { line[ox * g.strideW] += row[ox] }
                }
            }
        }
    }

    public func maxPool2d(_ x: StridedView, _ g: ConvGeometry) -> (values: Storage, indices: Storage) {
        let source = x.isContiguous ? x.storage : copy(x)
        let base = source.floats() + (x.isContiguous ? x.offset : 0)
        let outH = g.outHeight, outW = g.outWidth
        let planes = g.batch * g.channels
        let values = allocate(count: planes * outH * outW, dtype: .float32)
        let indices = allocate(count: planes * outH * outW, dtype: .int64)
        let v = values.floats(), ix = indices.int64s()
        let width = g.width
        // Every window inside the image: no bounds tests (the common case, and the CNN's 2×2, in C).
        // Without padding only ceil mode's last window can run past the end.
        let inside = g.padH == 0 && g.padW == 0
            && (outH - 1) * g.strideH + g.dilationH * (g.kernelH - 1) < g.height
            && (outW - 1) * g.strideW + g.dilationW * (g.kernelW - 1) < width
        let pair = inside && g.kernelH == 2 && g.kernelW == 2 && g.dilationH == 1 && g.dilationW == 1
        withExtendedLifetime(source) {
            Parallel.chunks(planes, grain: max(1, Parallel.grain / max(g.height * width, 1))) { range in
                for p in range {
                    let image = base + p * g.height * width
                    for oy in 0..<outH {
                        let o = (p * outH + oy) * outW
                        if pair {
                            // Same order and tie/NaN rules as the general loop below (see Pooling.c).
                            let top = oy * g.strideH * width
                            ember_max_pool_2x2_f32(image + top, Int64(width), Int64(outW), Int64(g.strideW), Int64(top),
                                                   v + o, ix + o)
                            continue
                        }
                        for ox in 0..<outW {
                            var best = -Float.infinity, bestIndex = -1
                            for ki in 0..<g.kernelH {
                                let iy = oy * g.strideH - g.padH + ki * g.dilationH
                                if !inside && (iy < 0 || iy >= g.height) { continue }
                                for kj in 0..<g.kernelW {
                                    let jx = ox * g.strideW - g.padW + kj * g.dilationW
                                    if !inside && (jx < 0 || jx >= width) { continue }
                                    let candidate = image[iy * width + jx]
                                    // PyTorch's rule: a larger value or any NaN takes over (so the last NaN wins).
                                    if candidate > best || bestIndex < 0 || candidate.isNaN {
                                        best = candidate
                                        bestIndex = iy * width + jx
                                    }
                                }
                            }
                            v[o + ox] = best
                            ix[o + ox] = Int64(bestIndex)
                        }
                    }
                }
            }
        }
        return (values, indices)
    }
}
