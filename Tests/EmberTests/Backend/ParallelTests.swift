import CEmberKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import Ember

/// Ember's thread pool (ThreadPool.c through `Parallel`): every piece runs exactly once, in many
/// regions back to back, nested, and from several threads at once.
@Suite("Thread pool")
struct ParallelTests {
    /// Runs `pieces` pieces and returns how often each ran.
    static func counts(_ pieces: Int, body: (Int) -> Void = { _ in }) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: pieces)
        hits.initialize(repeating: 0, count: pieces)
        defer { hits.deallocate() }
        // Each piece owns its slot, so no two threads write the same one.
        Parallel.forEach(pieces) { i in
            body(i)
            hits[i] += 1
        }
        return Array(UnsafeBufferPointer(start: hits, count: pieces))
    }

    @Test func everyPieceRunsOnceInManyRegions() {
        for region in 0..<20_000 {
            let pieces = 1 + region % 7
            #expect(Self.counts(pieces) == Array(repeating: 1, count: pieces), "region \(region)")
        }
    }

    @Test func nestedRegionsRunInline() {
        var inner: [[Int]] = Array(repeating: [], count: 4)
        let counts = Self.counts(4) { i in inner[i] = Self.counts(3) }
        #expect(counts == [1, 1, 1, 1])
        #expect(inner == Array(repeating: [1, 1, 1], count: 4))
    }

    @Test func regionsFromSeveralThreadsAtOnce() {
        let threads = 4, rounds = 300
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: threads)
        failures.initialize(repeating: 0, count: threads)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for _ in 0..<rounds where Self.counts(5) != [1, 1, 1, 1, 1] { failures[t] += 1 }
        }
        #expect(Array(UnsafeBufferPointer(start: failures, count: threads)) == Array(repeating: 0, count: threads))
    }

    /// A data loader's background thread runs its regions alone, leaving the pool to the training step;
    /// the setting is per thread and undone afterwards.
    @Test func regionsOnACallingThreadRunThere() {
        guard Parallel.threadCount > 1 else { return }
        let pieces = 64
        let threadOf = UnsafeMutablePointer<pthread_t>.allocate(capacity: pieces)
        defer { threadOf.deallocate() }
        func ranOnOneThread() -> Bool {
            // Pieces long enough that a spinning worker would take some of them.
            Parallel.forEach(pieces) { i in threadOf[i] = pthread_self(); usleep(200) }
            return (0..<pieces).allSatisfy { pthread_equal(threadOf[$0], pthread_self()) != 0 }
        }
        #expect(Parallel.onCallingThread { ranOnOneThread() })
        #expect(ember_parallel_set_inline(0) == 0, "the setting outlived onCallingThread")
    }

    @Test func chunksCoverTheRangeWithoutOverlap() {
        let count = 3 * Parallel.grain + 17
        let data = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        data.initialize(repeating: 0, count: count)
        defer { data.deallocate() }
        Parallel.chunks(count) { range in for i in range { data[i] += 1 } }
        #expect(UnsafeBufferPointer(start: data, count: count).allSatisfy { $0 == 1 })
    }
}
