/// im2col / col2im and max pooling. Columns are laid out [C·kh·kw, outH·outW] per image so that a
/// convolution is one BLAS product per image (or group) with the weight matrix.
extension CPUBackend {
    public func im2col(_ x: StridedView, _ g: ConvGeometry) -> Storage {
        let source = x.isContiguous ? x.storage : copy(x)
        let base = source.floats() + (x.isContiguous ? x.offset : 0)
        let outH = g.outHeight, outW = g.outWidth, plane = outH * outW
        let rows = g.channels * g.kernelH * g.kernelW
        let out = allocate(count: g.batch * rows * plane, dtype: .float32)
        let cols = out.floats()
        withExtendedLifetime(source) {
            Parallel.chunks(g.batch * rows, grain: max(1, Parallel.grain / max(plane, 1))) { range in
                for item in range {
                    let n = item / rows, row = item % rows
                    let c = row / (g.kernelH * g.kernelW), ki = (row / g.kernelW) % g.kernelH, kj = row % g.kernelW
                    let image = base + (n * g.channels + c) * g.height * g.width
                    let dst = cols + item * plane
                    for oy in 0..<outH {
                        let iy = oy * g.strideH - g.padH + ki * g.dilationH
                        let line = dst + oy * outW
                        if iy < 0 || iy >= g.height {
                            line.update(repeating: 0, count: outW)
                            continue
                        }
                        let src = image + iy * g.width
                        let x0 = kj * g.dilationW - g.padW
                        for ox in 0..<outW {
                            let ix = x0 + ox * g.strideW
                            line[ox] = ix >= 0 && ix < g.width ? src[ix] : 0
                        }
                    }
                }
            }
        }
        return out
    }

    public func col2im(_ columns: StridedView, _ g: ConvGeometry) -> Storage {
        let source = columns.isContiguous ? columns.storage : copy(columns)
        let cols = source.floats() + (columns.isContiguous ? columns.offset : 0)
        let outH = g.outHeight, outW = g.outWidth, plane = outH * outW
        let kernel = g.kernelH * g.kernelW
        let out = allocate(count: g.batch * g.channels * g.height * g.width, dtype: .float32)
        fill(out, count: g.batch * g.channels * g.height * g.width, dtype: .float32, value: 0)
        let image = out.floats()
        withExtendedLifetime(source) {
            // One (image, channel) plane per task: its kernel rows all add into that plane only.
            Parallel.chunks(g.batch * g.channels, grain: max(1, Parallel.grain / max(plane * kernel, 1))) { range in
                for item in range {
                    let target = image + item * g.height * g.width
                    for k in 0..<kernel {
                        let ki = k / g.kernelW, kj = k % g.kernelW
                        let src = cols + (item * kernel + k) * plane
                        for oy in 0..<outH {
                            let iy = oy * g.strideH - g.padH + ki * g.dilationH
                            if iy < 0 || iy >= g.height { continue }
                            let line = target + iy * g.width
                            let x0 = kj * g.dilationW - g.padW
                            for ox in 0..<outW {
                                let ix = x0 + ox * g.strideW
                                if ix >= 0 && ix < g.width { line[ix] += src[oy * outW + ox] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    public func maxPool2d(_ x: StridedView, _ g: ConvGeometry) -> (values: Storage, indices: Storage) {
        let source = x.isContiguous ? x.storage : copy(x)
        let base = source.floats() + (x.isContiguous ? x.offset : 0)
        let outH = g.outHeight, outW = g.outWidth
        let planes = g.batch * g.channels
        let values = allocate(count: planes * outH * outW, dtype: .float32)
        let indices = allocate(count: planes * outH * outW, dtype: .int64)
        let v = values.floats(), ix = indices.int64s()
        withExtendedLifetime(source) {
            Parallel.chunks(planes, grain: max(1, Parallel.grain / max(g.height * g.width, 1))) { range in
                for p in range {
                    let image = base + p * g.height * g.width
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            var best = -Float.infinity, bestIndex = -1
                            for ki in 0..<g.kernelH {
                                let iy = oy * g.strideH - g.padH + ki * g.dilationH
                                if iy < 0 || iy >= g.height { continue }
                                for kj in 0..<g.kernelW {
                                    let jx = ox * g.strideW - g.padW + kj * g.dilationW
                                    if jx < 0 || jx >= g.width { continue }
                                    let candidate = image[iy * g.width + jx]
                                    if candidate > best || bestIndex < 0 || candidate.isNaN {
                                        best = candidate
                                        bestIndex = iy * g.width + jx
                                        if candidate.isNaN { break }
                                    }
                                }
                            }
                            let o = (p * outH + oy) * outW + ox
                            v[o] = best
                            ix[o] = Int64(bestIndex)
                        }
                    }
                }
            }
        }
        return (values, indices)
    }
}
