#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Keeps freed CPU blocks for reuse, keyed by rounded size, so a training step that allocates the
/// same tensors every iteration stops paying for malloc, mmap and first-touch page faults.
/// Bounded: past `limit` cached bytes, blocks go back to the system.
final class CachingAllocator: @unchecked Sendable {
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0
    let limit: Int
    private let lock = NSLock()

    init(limit: Int = CachingAllocator.defaultLimit(physicalMemory: Int(ProcessInfo.processInfo.physicalMemory))) {
        self.limit = limit
    }

    /// A sixteenth of the machine's memory, between 128 MiB and 4 GiB. Large batches need room: the
    /// MNIST CNN's inference on 1,000 images frees ~500 MB of activations per run, and when those
    /// blocks went back to the system every run paid for fresh pages again (2.5x slower at 128 MiB).
    static func defaultLimit(physicalMemory: Int) -> Int {
        min(max(physicalMemory / 16, 128 << 20), 4 << 30)
    }

    /// Sizes are rounded up to 64 bytes below 4 KiB and to 4 KiB pages above, so near sizes share blocks.
    @inline(__always)
    static func roundedSize(_ bytes: Int) -> Int {
        bytes <= 4096 ? (max(bytes, 64) + 63) & ~63 : (bytes + 4095) & ~4095
    }

    func allocate(_ bytes: Int) -> (UnsafeMutableRawPointer, Int) {
        let size = Self.roundedSize(bytes)
        lock.lock()
        if var list = free[size], let pointer = list.popLast() {
            free[size] = list
            cachedBytes -= size
            lock.unlock()
            return (pointer, size)
        }
        lock.unlock()
        var raw: UnsafeMutableRawPointer?
        // 64-byte alignment keeps vector loads aligned and rows off shared cache lines.
        guard posix_memalign(&raw, 64, size) == 0, let pointer = raw else {
            fatalError("Ember: out of memory allocating \(size) bytes")
        }
        return (pointer, size)
    }

    func release(_ pointer: UnsafeMutableRawPointer, size: Int) {
        lock.lock()
        if cachedBytes + size <= limit {
            free[size, default: []].append(pointer)
            cachedBytes += size
            lock.unlock()
            return
        }
        lock.unlock()
        Glibc_free(pointer)
    }

    /// Returns every cached block to the system.
    func emptyCache() {
        lock.lock()
        let blocks = free.values.flatMap { $0 }
        free.removeAll()
        cachedBytes = 0
        lock.unlock()
        blocks.forEach { Glibc_free($0) }
    }
}

@inline(__always) private func Glibc_free(_ p: UnsafeMutableRawPointer) { free(p) }
