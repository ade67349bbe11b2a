import Foundation

/// Caches freed device blocks by size and hands them out again, like PyTorch's CUDA caching
/// allocator: a training step allocates the same sizes every time, and cuMemAlloc/cuMemFree are
/// far too slow (and cuMemFree synchronises) to call per tensor. All work runs on one stream, so a
/// block freed on the host can be reused at once: kernels that used it were queued before those
/// that will.
final class CUDAAllocator: @unchecked Sendable {
    private let driver: CUDADriver
    private var cache: [Int: [CUdeviceptr]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()

    init(driver: CUDADriver) { self.driver = driver }

    /// Sizes are rounded up (512 bytes below 1 MiB, 2 MiB above) so that near sizes share blocks.
    static func roundedSize(_ bytes: Int) -> Int {
        let size = Swift.max(bytes, 1)
        if size < 1 << 20 { return (size + 511) & ~511 }
        return (size + (2 << 20) - 1) & ~((2 << 20) - 1)
    }

    func allocate(_ bytes: Int) -> (CUdeviceptr, Int) {
        let size = Self.roundedSize(bytes)
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
