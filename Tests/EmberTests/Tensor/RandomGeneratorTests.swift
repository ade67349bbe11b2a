import Foundation
import Testing
@testable import Ember

/// Runs `body(0)`, `body(1)`, ... on `threads` threads that wait for each other before starting,
/// so that their work truly overlaps.
private func runTogether(threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let arrivals = NSCondition()
    nonisolated(unsafe) var arrived = 0
    let finished = DispatchSemaphore(value: 0)
    for t in 0..<threads {
        Thread {
            arrivals.lock()
            arrived += 1
            if arrived == threads { arrivals.broadcast() }
            while arrived < threads { arrivals.wait() }
            arrivals.unlock()
            body(t)
            finished.signal()
        }.start()
    }
    for _ in 0..<threads { finished.wait() }
}

@Suite struct RandomGeneratorTests {
    /// xoshiro256** seeded by splitmix64: the first outputs for seed 42, from an independent Python
    /// implementation of the two published algorithms.
    @Test func sequenceMatchesReferenceImplementation() {
        let g = RandomGenerator(seed: 42)
        #expect([g.nextUInt64(), g.nextUInt64(), g.nextUInt64()]
                == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    /// Single draws from two threads at once: each value of the sequence is handed out exactly once.
    /// Without the lock, the threads tear the four-word state and draw values twice or off the sequence.
    @Test func concurrentDrawsShareOneSequence() {
        let threads = 2, perThread = 100_000
        let shared = RandomGenerator(seed: 9)
        let drawn = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads * perThread)
        defer { drawn.deallocate() }
        nonisolated(unsafe) let out = drawn
        runTogether(threads: threads) { t in
            for i in 0..<perThread { out[t * perThread + i] = shared.nextUInt64() }
        }
        let alone = RandomGenerator(seed: 9)
        let expected = (0..<threads * perThread).map { _ in alone.nextUInt64() }
        let sameValues = drawn.sorted() == expected.sorted()
        #expect(sameValues)
    }

    /// A bulk fill is one unbroken stretch of the sequence, even with another thread filling too.
    @Test func concurrentFillsAreWholeStretches() {
        let threads = 2, length = 50_000
        let shared = RandomGenerator(seed: 11)
        let filled = (0..<threads).map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: length) }
        defer { filled.forEach { $0.deallocate() } }
        nonisolated(unsafe) let out = filled
        runTogether(threads: threads) { t in shared.fillNormal(out[t]) }
        let alone = RandomGenerator(seed: 11)
        let stretches = (0..<threads).map { _ in
            [Float](unsafeUninitializedCapacity: length) { b, n in alone.fillNormal(b); n = length }
        }
        let fills = filled.map { Array($0) }
        let wholeStretches = fills == stretches || fills == stretches.reversed()
        #expect(wholeStretches)
    }

    /// The bulk draws give the same numbers as the single draws they replace.
    @Test func bulkDrawsEqualSingleDraws() {
        let bulk = RandomGenerator(seed: 3), single = RandomGenerator(seed: 3)
        var u = [Float](repeating: 0, count: 7), n = [Float](repeating: 0, count: 5)
        u.withUnsafeMutableBufferPointer { bulk.fillUniform($0, low: -1, high: 2) }
        n.withUnsafeMutableBufferPointer { bulk.fillNormal($0, mean: 1, std: 3) }
        let ints = bulk.ints(below: 6, count: 9)
        #expect(u == (0..<7).map { _ in -1 + 3 * single.nextFloat() })
        #expect(n == (0..<5).map { _ in 1 + 3 * single.nextNormal() })
        #expect(ints == (0..<9).map { _ in single.nextInt(below: 6) })
        #expect(bulk.nextUInt64() == single.nextUInt64())
        #expect(bulk.nextNormal() == single.nextNormal())   // the odd fill's second of a pair waited
    }

    /// A long fill (several blocks of pairs) that starts on a waiting spare and ends on an odd count.
    @Test func longNormalFillsEqualSingleDraws() {
        let bulk = RandomGenerator(seed: 5), single = RandomGenerator(seed: 5)
        #expect(bulk.nextNormal() == single.nextNormal())
        var values = [Float](repeating: 0, count: 1001)
        values.withUnsafeMutableBufferPointer { bulk.fillNormal($0) }
        #expect(values == (0..<1001).map { _ in single.nextNormal() })
        #expect(bulk.nextNormal() == single.nextNormal())
        let mean = values.reduce(0, +) / 1001, variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1000
        #expect(abs(mean) < 0.12 && abs(variance - 1) < 0.15)
    }
}
