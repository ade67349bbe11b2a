import Foundation

/// Caches freed device blocks by size and hands them out again, like PyTorch's CUDA caching
/// allocator: a training step allocates the same sizes every time, and cuMemAlloc/cuMemFree are
/// far too slow (and cuMemFree synchronises) to call per tensor. All work runs on one stream, so a
/// block freed on the host can be reused at once: kernels that used it were queued before those
/// that will.
///
/// While a CUDA graph is captured, blocks come from the graph's own pool instead (`capturePool`):
/// the graph writes them on every replay, so they must never go to another tensor while it lives.
final class CUDAAllocator: @unchecked Sendable {
    private let driver: CUDADriver
    private var cache: [Int: [CUdeviceptr]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()
    /// Set by `CUDAGraph.capture` for the length of a capture.
    var capturePool: CUDAGraphMemoryPool?

    init(driver: CUDADriver) { self.driver = driver }

    /// Sizes are rounded up (512 bytes below 1 MiB, 2 MiB above) so that near sizes share blocks.
    static func roundedSize(_ bytes: Int) -> Int {
        let size = Swift.max(bytes, 1)
        if size < 1 << 20 { return (size + 511) & ~511 }
        return (size + (2 << 20) - 1) & ~((2 << 20) - 1)
    }

    func allocate(_ bytes: Int) -> (CUdeviceptr, Int) {
        let size = Self.roundedSize(bytes)
        return allocateRounded(size)
    }

    /// A block of exactly `size` bytes (already rounded) from the cache or the driver.
    func allocateRounded(_ size: Int) -> (CUdeviceptr, Int) {
        lock.lock()
        if var blocks = cache[size], let block = blocks.popLast() {
            cache[size] = blocks
            cachedBytes -= size
            lock.unlock()
            return (block, size)
        }
        lock.unlock()
        var address: CUdeviceptr = 0
        var result = driver.cuMemAlloc(&address, size)
        if result == 2 {   // CUDA_ERROR_OUT_OF_MEMORY: give the cache back and try once more
            emptyCache()
            result = driver.cuMemAlloc(&address, size)
        }
        if result == 2 {
            fatalError("Ember: CUDA out of memory allocating \(size) bytes; use smaller batches or free tensors")
        }
        driver.must(result, "cuMemAlloc_v2")
        return (address, size)
    }

    func release(_ address: CUdeviceptr, size: Int) {
        lock.lock()
        cache[size, default: []].append(address)
        cachedBytes += size
        lock.unlock()
    }

    /// Frees every cached block (like `torch.cuda.empty_cache()`).
    func emptyCache() {
        lock.lock()
        let blocks = cache
        cache = [:]
        cachedBytes = 0
        lock.unlock()
        for (_, addresses) in blocks { for a in addresses { _ = driver.cuMemFree(a) } }
    }
}

/// The device memory of one CUDA graph: blocks allocated while it was captured. A block freed
/// (its tensor gone) returns here, not to the shared cache, since replays still write it; it can
/// only be handed out again by this graph's own capture. The pool lives as long as the graph or
/// any tensor holding one of its blocks, then gives all its blocks to the shared cache.
final class CUDAGraphMemoryPool: @unchecked Sendable {
    private let allocator: CUDAAllocator
    private var free: [Int: [CUdeviceptr]] = [:]
    private var owned: [(CUdeviceptr, Int)] = []
    private let lock = NSLock()

    init(allocator: CUDAAllocator) { self.allocator = allocator }

    func allocate(_ bytes: Int) -> (CUdeviceptr, Int) {
        let size = CUDAAllocator.roundedSize(bytes)
        lock.lock()
        defer { lock.unlock() }
        if var blocks = free[size], let block = blocks.popLast() {
            free[size] = blocks
            return (block, size)
        }
        let block = allocator.allocateRounded(size)
        owned.append(block)
        return block
    }

    func release(_ address: CUdeviceptr, size: Int) {
        lock.lock()
        free[size, default: []].append(address)
        lock.unlock()
    }

    deinit { for (address, size) in owned { allocator.release(address, size: size) } }
}
