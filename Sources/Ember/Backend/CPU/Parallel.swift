import CEmberKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits large element-wise work over the cores. Small work runs inline: at the MLP's sizes
/// (16K elements) a thread hand-off costs more than the loop itself.
enum Parallel {
    /// Work below this many elements runs on the calling thread. Element-wise loops are memory-bound
    /// and a hand-off costs microseconds, so only large arrays are split (the MLP's are not).
    static let grain = 1 << 17

    /// Threads for Ember's kernels: $EMBER_NUM_THREADS when set, else every core.
    nonisolated(unsafe) static var threadCount: Int = {
        if let text = getenv("EMBER_NUM_THREADS").map({ String(cString: $0) }), let n = Int(text), n >= 1 { return n }
        return max(1, ProcessInfoCores.active)
    }()

    /// Calls `body` on disjoint sub-ranges of 0..<count, in parallel when count is large.
    @inline(__always)
    static func chunks(_ count: Int, grain: Int = Parallel.grain, _ body: (Range<Int>) -> Void) {
        let pieces = min(threadCount, count / grain)
        if pieces <= 1 {
            body(0..<count)
            return
        }
        let size = (count + pieces - 1) / pieces
        forEach(pieces) { piece in
            let start = piece * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Runs `body` with every parallel region it starts run on the calling thread alone: for
    /// background work (a data loader's next batch) that must not hold the pool, which would make
    /// the training step's products, started meanwhile, run on one core.
    static func onCallingThread<T>(_ body: () throws -> T) rethrows -> T {
        let was = ember_parallel_set_inline(1)
        defer { ember_parallel_set_inline(was) }
        return try body()
    }

    /// Calls `body(i)` for i in 0..<count on Ember's thread pool (see ThreadPool.c), returning when
    /// all calls are done. The caller runs pieces too.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { task in
                ember_parallel_for(Int64(count), Int32(clamping: threadCount), { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                }, task)
            }
        }
    }
}

enum ProcessInfoCores {
    static var active: Int {
        Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}

#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Sets how many threads BLAS and Ember's element-wise kernels use, like `torch.set_num_threads`.
public func setNumThreads(_ count: Int) {
    precondition(count >= 1, "Ember: setNumThreads needs at least 1 thread, got \(count)")
    Parallel.threadCount = count
    #if !canImport(Accelerate)
    if !BLASThreading.emberSplitsProducts { openblas_set_num_threads(Int32(count)) }
    #endif
}

/// The number of threads Ember's CPU kernels use.
public func numThreads() -> Int { Parallel.threadCount }
