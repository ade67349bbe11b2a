import Foundation
import Testing
@testable import Ember

@Suite("DynamicBatcher")
struct DynamicBatcherTests {
    /// A small model and samples whose outputs, computed one at a time, the batched ones must equal.
    func makeModel() -> (Linear, [Tensor]) {
        let generator = RandomGenerator(seed: 7)
        let model = Linear(6, 3)
        noGrad {
            model.weight.copy_(Tensor.randn([3, 6], generator: generator))
            model.bias!.copy_(Tensor.randn([3], generator: generator))
        }
        let samples = (0..<20).map { _ in Tensor.randn([2, 3], generator: generator) }
        return (model, samples)
    }

    func alone(_ model: Linear, _ sample: Tensor) -> [Float] {
        noGrad { model(sample.reshape([1, 6])) }.toArray()
    }

    @Test func concurrentRequestsShareOneBatch() async throws {
        let (model, samples) = makeModel()
        // A long delay: the batch runs only once all eight have arrived.
        let batcher = DynamicBatcher(sampleShape: [2, 3], maxBatchSize: 8, maxDelay: .seconds(60), adaptive: false) { batch in
            #expect(batch.shape == [8, 2, 3])
            #expect(!GradMode.isEnabled)
            return model(batch.reshape([batch.shape[0], 6]))
        }
        let outputs = try await withThrowingTaskGroup(of: (Int, Tensor).self) { group in
            for i in 0..<8 { group.addTask { (i, try await batcher.predict(samples[i])) } }
            var outputs = [Tensor?](repeating: nil, count: 8)
            for try await (i, output) in group { outputs[i] = output }
            return outputs
        }
        for i in 0..<8 {
            #expect(outputs[i]!.shape == [3])
            #expect(outputs[i]!.gradFn == nil)
            expectClose(outputs[i]!.toArray(), alone(model, samples[i]))
        }
        let stats = batcher.statistics
        #expect(stats == DynamicBatcher.Statistics(requests: 8, samples: 8, batches: 1, largestBatch: 8))
        #expect(stats.meanBatchSize == 8)
    }

    @Test func aRequestOfSeveralSamplesStaysTogetherAndInOrder() async throws {
        let (model, samples) = makeModel()
        let batcher = DynamicBatcher(model: Sequential(Flatten(), model), sampleShape: [2, 3],
                                     maxBatchSize: 8, maxDelay: .seconds(60), adaptive: false)
        // Three samples and five single ones, all at once, fill the batch of eight exactly.
        let three = Task { try await batcher.predict(Array(samples[0..<3])) }
        let singles = (3..<8).map { i in Task { try await batcher.predict(samples[i]) } }
        let group = try await three.value
        #expect(group.count == 3)
        for i in 0..<3 { expectClose(group[i].toArray(), alone(model, samples[i])) }
        for i in 3..<8 { expectClose(try await singles[i - 3].value.toArray(), alone(model, samples[i])) }
        #expect(batcher.statistics.batches == 1 && batcher.statistics.requests == 6)
    }

    @Test func aRequestLargerThanTheBatchRunsInPieces() async throws {
        let (model, samples) = makeModel()
        let seen = Locked<[Int]>([])
        let batcher = DynamicBatcher(sampleShape: [2, 3], maxBatchSize: 8, maxDelay: .zero) { batch in
            seen.update { $0.append(batch.shape[0]) }
            return model(batch.reshape([batch.shape[0], 6]))
        }
        let outputs = try await batcher.predict(samples)
        #expect(seen.value == [8, 8, 4])
        for i in 0..<20 { expectClose(outputs[i].toArray(), alone(model, samples[i])) }
        #expect(batcher.statistics == DynamicBatcher.Statistics(requests: 1, samples: 20, batches: 3, largestBatch: 8))
    }

    @Test func withoutDelayALoneRequestRunsWithoutCompany() async throws {
        let (model, samples) = makeModel()
        // A batch of 64 that never fills: the request runs alone rather than wait for others.
        let batcher = DynamicBatcher(model: Sequential(Flatten(), model), sampleShape: [2, 3], maxDelay: .zero)
        let output = try await batcher.predict(samples[0])
        expectClose(output.toArray(), alone(model, samples[0]))
        #expect(batcher.statistics == DynamicBatcher.Statistics(requests: 1, samples: 1, batches: 1, largestBatch: 1))
        #expect(try await batcher.predict([]).isEmpty)
    }

    @Test func adaptiveBatchesWaitOnlyUnderLoad() async throws {
        // Batches of 2 with an hour's delay: a lone request must not wait for company.
        let seen = Locked<[Int]>([])
        let gate = DispatchSemaphore(value: 0)
        let batcher = DynamicBatcher(sampleShape: [1], maxBatchSize: 2, maxDelay: .seconds(3600)) { batch in
            seen.update { $0.append(batch.shape[0]) }
            if seen.value.count == 1 { gate.wait() }   // holds the first batch until B and C are queued
            return batch
        }
        let timeout = Task {
            try await pollingSleep(seconds: 120)
            batcher.close()   // a waiting request then fails instead of hanging the suite
        }
        defer { timeout.cancel() }
        let a = Task { try await batcher.predict(Tensor([1] as [Float])) }
        try await eventually { !seen.value.isEmpty }
        // A ran alone at once. B and C arrive while it runs and share the next batch...
        let b = Task { try await batcher.predict(Tensor([2] as [Float])) }
        let c = Task { try await batcher.predict(Tensor([3] as [Float])) }
        try await eventually { batcher.queueLength == 2 }
        gate.signal()
        #expect(try await a.value.toArray() == [1])
        #expect(try await b.value.toArray() == [2])
        #expect(try await c.value.toArray() == [3])
        // ...which had company, so D waits for E to fill its batch.
        let d = Task { try await batcher.predict(Tensor([4] as [Float])) }
        try await Task.sleep(for: .milliseconds(100))
        let e = Task { try await batcher.predict(Tensor([5] as [Float])) }
        #expect(try await d.value.toArray() == [4])
        #expect(try await e.value.toArray() == [5])
        #expect(seen.value == [1, 2, 2])
    }

    /// Polls `condition` every 5 ms until it holds, for at most two minutes of polling (counted as
    /// `pollingSleep` counts).
    func eventually(_ condition: () -> Bool) async throws {
        var polls = 0
        while !condition() && polls < 24_000 {
            try await Task.sleep(for: .milliseconds(5))
            polls += 1
        }
        try #require(condition())
    }

    /// Sleeps in 5 ms steps for `seconds` of steps. Counted steps, not a wall-clock deadline: on a
    /// loaded machine the suite's other tests can keep this test's tasks off the cores for minutes
    /// (2 cores in CI), and a deadline would pass before the batcher had a chance to run.
    func pollingSleep(seconds: Int) async throws {
        for _ in 0..<(seconds * 200) { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func aWrongShapeIsRefusedNamingBothShapes() async {
        let batcher = DynamicBatcher(sampleShape: [2, 3]) { $0 }
        await #expect(throws: DynamicBatcherError.shapeMismatch(
            "sample 1 has shape [3, 2]; this model takes samples of shape [2, 3]")) {
            try await batcher.predict([Tensor.zeros([2, 3]), Tensor.zeros([3, 2])])
        }
        #expect(batcher.statistics.requests == 0)
    }

    @Test func modelErrorsReachEveryRequestOfTheBatch() async throws {
        struct Broken: Error, Equatable {}
        let failing = DynamicBatcher(sampleShape: [1], maxBatchSize: 2, maxDelay: .seconds(60), adaptive: false) { _ in
            throw Broken()
        }
        let first = Task { try await failing.predict(Tensor([1] as [Float])) }
        let second = Task { try await failing.predict(Tensor([2] as [Float])) }
        await #expect(throws: Broken.self) { _ = try await first.value }
        await #expect(throws: Broken.self) { _ = try await second.value }

        let rowless = DynamicBatcher(sampleShape: [1], maxDelay: .zero) { $0.sum() }
        await #expect(throws: DynamicBatcherError.badOutput(
            "the model returned shape [] for a batch of 1 samples; its first dimension must be the batch's")) {
            try await rowless.predict(Tensor([1] as [Float]))
        }
        #expect(failing.statistics.batches == 0 && rowless.statistics.batches == 0)
    }

    @Test func closingFailsWaitingAndLaterRequests() async throws {
        let batcher = DynamicBatcher(sampleShape: [1], maxBatchSize: 4, maxDelay: .seconds(60), adaptive: false) { $0 }
        let waiting = Task { try await batcher.predict(Tensor([1] as [Float])) }
        // Let the request reach the queue, then close: it must not wait out its 60 s.
        try await Task.sleep(for: .milliseconds(50))
        batcher.close()
        await #expect(throws: DynamicBatcherError.closed) { _ = try await waiting.value }
        await #expect(throws: DynamicBatcherError.closed) { _ = try await batcher.predict(Tensor([2] as [Float])) }
    }
}

/// A value shared between a test and a batcher's thread.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
