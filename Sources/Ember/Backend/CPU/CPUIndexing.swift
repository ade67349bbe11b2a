/// Index-select, gather and their adjoints over contiguous [outer, size, inner] arrays.
extension CPUBackend {
    private func contiguousPair(_ x: StridedView, _ indices: StridedView)
        -> (Storage, UnsafeMutablePointer<Float>, Storage, UnsafeMutablePointer<Int64>) {
        let xs = x.isContiguous ? x.storage : copy(x)
        let idx = indices.dtype == .int64 ? (indices.isContiguous ? indices.storage : copy(indices))
                                          : convert(indices, to: .int64)
        let xo = x.isContiguous ? x.offset : 0
        let io = indices.dtype == .int64 && indices.isContiguous ? indices.offset : 0
        return (xs, xs.floats() + xo, idx, idx.int64s() + io)
    }

    @inline(__always)
    private func checkIndex(_ value: Int64, _ size: Int, _ op: String) -> Int {
        let i = Int(value)
        guard i >= 0 && i < size else {
            fatalError("Ember: \(op): index \(i) is out of bounds for a dimension of size \(size)")
        }
        return i
    }

    public func indexSelect(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int) -> Storage {
        let (xs, p, idx, ip) = contiguousPair(x, indices)
        let picks = indices.count
        let out = allocate(count: outer * picks * inner, dtype: x.dtype == .int64 ? .int64 : .float32)
        withExtendedLifetime((xs, idx)) {
            let width = inner * x.dtype.itemSize
            for o in 0..<outer {
                for j in 0..<picks {
                    let source = checkIndex(ip[j], size, "indexSelect")
                    (out.pointer + ((o * picks + j) * inner) * x.dtype.itemSize)
                        .copyMemory(from: xs.pointer + (x.isContiguous ? x.offset : 0) * x.dtype.itemSize
                                        + ((o * size + source) * inner) * x.dtype.itemSize, byteCount: width)
                }
            }
            _ = p
        }
        return out
    }

    public func indexAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int) -> Storage {
        let (gs, p, idx, ip) = contiguousPair(g, indices)
        let picks = indices.count
        let out = allocate(count: outer * size * inner, dtype: .float32)
        fill(out, count: outer * size * inner, dtype: .float32, value: 0)
        let y = out.floats()
        withExtendedLifetime((gs, idx)) {
            for o in 0..<outer {
                for j in 0..<picks {
                    let target = checkIndex(ip[j], size, "indexAdd")
                    let dst = y + (o * size + target) * inner, src = p + (o * picks + j) * inner
                    for i in 0..<inner { dst[i] += src[i] }
                }
            }
        }
        return out
    }

    public func gather(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage {
        let (xs, p, idx, ip) = contiguousPair(x, indices)
        let out = allocate(count: outer * picks * inner, dtype: .float32)
        let y = out.floats()
        withExtendedLifetime((xs, idx)) {
            for o in 0..<outer {
                for j in 0..<picks {
                    for i in 0..<inner {
                        let position = (o * picks + j) * inner + i
                        let source = checkIndex(ip[position], size, "gather")
                        y[position] = p[(o * size + source) * inner + i]
                    }
                }
            }
        }
        return out
    }

    public func scatterAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage {
        let (gs, p, idx, ip) = contiguousPair(g, indices)
        let out = allocate(count: outer * size * inner, dtype: .float32)
        fill(out, count: outer * size * inner, dtype: .float32, value: 0)
        let y = out.floats()
        withExtendedLifetime((gs, idx)) {
            for o in 0..<outer {
                for j in 0..<picks {
                    for i in 0..<inner {
                        let position = (o * picks + j) * inner + i
                        let target = checkIndex(ip[position], size, "scatterAdd")
                        y[(o * size + target) * inner + i] += p[position]
                    }
                }
            }
        }
        return out
    }
}
