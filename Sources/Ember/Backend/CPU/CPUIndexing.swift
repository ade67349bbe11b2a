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

    /// Visits every entry of an [outer, picks, inner] index array: `body(position, element)`, with
    /// `position` the entry's offset and `element` the offset in [outer, size, inner] it points to.
    @inline(__always)
    private func forEachIndexed(_ ip: UnsafeMutablePointer<Int64>, outer: Int, size: Int, inner: Int, picks: Int, _ op: String,
                                _ body: (_ position: Int, _ element: Int) -> Void) {
        for o in 0..<outer {
            for j in 0..<picks {
                for i in 0..<inner {
                    let position = (o * picks + j) * inner + i
                    body(position, (o * size + checkIndex(ip[position], size, op)) * inner + i)
                }
            }
        }
    }

    public func gather(_ x: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage {
        let (xs, p, idx, ip) = contiguousPair(x, indices)
        let out = allocate(count: outer * picks * inner, dtype: .float32)
        let y = out.floats()
        withExtendedLifetime((xs, idx)) {
            forEachIndexed(ip, outer: outer, size: size, inner: inner, picks: picks, "gather") { y[$0] = p[$1] }
        }
        return out
    }

    public func scatterAdd(_ g: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int, picks: Int) -> Storage {
        let (gs, p, idx, ip) = contiguousPair(g, indices)
        let out = allocate(count: outer * size * inner, dtype: .float32)
        fill(out, count: outer * size * inner, dtype: .float32, value: 0)
        let y = out.floats()
        withExtendedLifetime((gs, idx)) {
            forEachIndexed(ip, outer: outer, size: size, inner: inner, picks: picks, "scatterAdd") { y[$1] += p[$0] }
        }
        return out
    }

    public func scatter(_ base: StridedView, _ src: StridedView, indices: StridedView, outer: Int, size: Int, inner: Int,
                        picks: Int) -> Storage {
        let out = copy(base)
        let (ss, p, idx, ip) = contiguousPair(src, indices)
        let y = out.floats()
        withExtendedLifetime((ss, idx)) {
            forEachIndexed(ip, outer: outer, size: size, inner: inner, picks: picks, "scatter") { y[$1] = p[$0] }
        }
        return out
    }
}
