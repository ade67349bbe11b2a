#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CPU backend: BLAS for matrix products, tight Swift loops over raw pointers for the rest,
/// large element-wise work split over the cores.
public final class CPUBackend: Backend {
    nonisolated(unsafe) public static let shared = CPUBackend()
    public var device: Device { .cpu }
    private let allocator = CachingAllocator()

    // MARK: Memory

    public func allocate(count: Int, dtype: DType) -> Storage {
        let (pointer, size) = allocator.allocate(count * dtype.itemSize)
        let allocator = self.allocator
        return Storage(pointer: pointer, byteCount: size, device: .cpu) { p, size in allocator.release(p, size: size) }
    }

    /// Returns cached blocks to the system (like `torch.cuda.empty_cache`, for the CPU).
    public func emptyCache() { allocator.emptyCache() }

    public func copy(_ view: StridedView) -> Storage {
        let out = allocate(count: view.count, dtype: view.dtype)
        let target = StridedView(storage: out, shape: view.shape, strides: Shape.contiguousStrides(view.shape),
                                 offset: 0, dtype: view.dtype)
        copy(view, into: target)
        return out
    }

    /// The float32 elements of `view` in row-major order: its own memory when it is contiguous,
    /// otherwise a contiguous copy. The pointer is valid while the returned storage is alive.
    func contiguousFloats(_ view: StridedView) -> (storage: Storage, floats: UnsafePointer<Float>) {
        if view.isContiguous { return (view.storage, UnsafePointer(view.storage.floats() + view.offset)) }
        let copied = copy(view)
        return (copied, UnsafePointer(copied.floats()))
    }

    public func convert(_ view: StridedView, to dtype: DType) -> Storage {
        if dtype == view.dtype { return copy(view) }
        let source = view.isContiguous ? view : StridedView(storage: copy(view), shape: view.shape,
            strides: Shape.contiguousStrides(view.shape), offset: 0, dtype: view.dtype)
        let n = view.count
        let out = allocate(count: n, dtype: dtype)
        switch (source.dtype, dtype) {
        case (.int64, .float32):
            let s = source.storage.int64s() + source.offset, d = out.floats()
            for i in 0..<n { d[i] = Float(s[i]) }
        case (.float32, .int64):
            let s = source.storage.floats() + source.offset, d = out.int64s()
            for i in 0..<n { d[i] = Int64(s[i]) }
        default:
            break
        }
        return out
    }

    public func copy(_ view: StridedView, into destination: StridedView) {
        precondition(view.dtype == destination.dtype, "Ember: copy between \(view.dtype) and \(destination.dtype)")
        let size = view.dtype.itemSize
        let loop = StridedLoop(shape: view.shape, strides: [destination.strides, view.strides])
        let ds = loop.innerStride(0), ss = loop.innerStride(1)
        let dBase = destination.storage.pointer + destination.offset * size
        let sBase = view.storage.pointer + view.offset * size
        if size == 4, Self.copyTransposed(loop, dBase.assumingMemoryBound(to: Float.self), sBase.assumingMemoryBound(to: Float.self)) {
            destination.storage.bumpVersion()
            return
        }
        loop.forEachRowInParallel(grain: Parallel.grain) { offsets, n in
            let d = dBase + offsets[0] * size, s = sBase + offsets[1] * size
            if ds == 1 && ss == 1 {
                d.copyMemory(from: s, byteCount: n * size)
            } else if size == 4 {
                let dp = d.assumingMemoryBound(to: Float.self), sp = s.assumingMemoryBound(to: Float.self)
                for i in 0..<n { dp[i * ds] = sp[i * ss] }
            } else {
                let dp = d.assumingMemoryBound(to: Int64.self), sp = s.assumingMemoryBound(to: Int64.self)
                for i in 0..<n { dp[i * ds] = sp[i * ss] }
            }
        }
        destination.storage.bumpVersion()
    }

    public func fill(_ storage: Storage, count: Int, dtype: DType, value: Double) {
        switch dtype {
        case .float32:
            let p = storage.floats(), v = Float(value)
            if v == 0 { memset(p, 0, count * 4) } else { p.update(repeating: v, count: count) }
        case .int64:
            storage.int64s().update(repeating: Int64(value), count: count)
        }
    }

    public func upload(_ values: UnsafeRawBufferPointer, into storage: Storage) {
        guard let base = values.baseAddress else { return }
        storage.pointer.copyMemory(from: base, byteCount: values.count)
    }

    public func download(_ view: StridedView, into destination: UnsafeMutableRawPointer) {
        let source = view.isContiguous ? view.storage : copy(view)
        let offset = view.isContiguous ? view.offset : 0
        destination.copyMemory(from: source.pointer + offset * view.dtype.itemSize, byteCount: view.count * view.dtype.itemSize)
    }

    public func synchronize() {}

    // MARK: Random

    public func uniform(_ storage: Storage, count: Int, low: Float, high: Float, generator: RandomGenerator) {
        generator.fillUniform(UnsafeMutableBufferPointer(start: storage.floats(), count: count), low: low, high: high)
    }

    public func dropoutMask(_ storage: Storage, count: Int, p: Float, scale: Float, generator: RandomGenerator) {
        generator.fillDropoutMask(UnsafeMutableBufferPointer(start: storage.floats(), count: count), p: p, scale: scale)
    }

    public func normal(_ storage: Storage, count: Int, mean: Float, std: Float, generator: RandomGenerator) {
        generator.fillNormal(UnsafeMutableBufferPointer(start: storage.floats(), count: count), mean: mean, std: std)
    }
}
