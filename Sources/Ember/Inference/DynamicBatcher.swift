import Foundation

/// Runs a model on batches assembled from requests that arrive one at a time, as a server needs:
/// concurrent callers each `await predict(sample)`, and a worker thread stacks what has arrived
/// into one batch (up to `maxBatchSize` samples, waiting at most `maxDelay` after the first for
/// more), runs the model once under `noGrad`, and hands each caller its own row of the output.
/// One product of 64 rows costs little more than one of a single row, so under load a server
/// answers more requests per second (TorchServe's `batch_size`/`max_batch_delay`).
///
/// With `adaptive` (the default) a batch waits for company only under concurrent load, when the
/// previous batch held more than one request, and only until it is as large as that one: a lone
/// client's request runs at once instead of waiting `maxDelay` for others that will not come, and
/// eight clients are not held back waiting for a batch of 64. Requests that arrive while the model
/// runs share the next batch either way, so batches grow with the load. Without it, every batch
/// waits up to `maxDelay` to fill.
///
///     let batcher = DynamicBatcher(model: model.eval(), sampleShape: [1, 28, 28])
///     let logits = try await batcher.predict(image)          // [10], from a batch shared with others
///
/// The model runs on the batcher's own thread, one batch at a time, so it needs no locking and
/// Swift's cooperative threads never block on it. Call `close()` to stop the thread (also done
/// when the batcher is released); waiting requests then fail with `DynamicBatcherError.closed`.
public final class DynamicBatcher: @unchecked Sendable {
    /// What a batcher has run so far (batches that failed are not counted).
    public struct Statistics: Sendable, Equatable {
        /// Calls of `predict`.
        public var requests = 0
        /// Samples over all requests.
        public var samples = 0
        /// Times the model ran.
        public var batches = 0
        /// The most samples the model saw in one run.
        public var largestBatch = 0
        /// Samples per run of the model.
        public var meanBatchSize: Double { batches == 0 ? 0 : Double(samples) / Double(batches) }
    }

    /// The shape of one sample, without the batch dimension.
    public let sampleShape: [Int]
    /// The most samples stacked into one run of the model.
    public let maxBatchSize: Int
    /// How long the first sample of a batch may wait for others.
    public let maxDelay: Duration
    /// Whether a batch waits only under concurrent load (see above); false waits after every first
    /// request.
    public let adaptive: Bool

    private let queue: BatchQueue

    /// - Parameters:
    ///   - sampleShape: every sample's shape (the model sees `[batch] + sampleShape`).
    ///   - maxBatchSize: the most samples per run; a request with more runs alone, in pieces this size.
    ///   - maxDelay: how long a sample may wait for others to share its batch; zero runs whatever
    ///     has arrived as soon as the model is free.
    ///   - adaptive: wait only when the previous batch held more than one request, and only until
    ///     the batch is as large as that one.
    ///   - run: the model on a batch `[n] + sampleShape`, returning `[n, ...]`; called under `noGrad`
    ///     on the batcher's thread. An error it throws fails every request of that batch.
    public init(sampleShape: [Int], maxBatchSize: Int = 64, maxDelay: Duration = .milliseconds(1),
                adaptive: Bool = true, run: @escaping (Tensor) throws -> Tensor) {
        precondition(maxBatchSize >= 1, "DynamicBatcher: maxBatchSize must be at least 1, got \(maxBatchSize)")
        precondition(maxDelay >= .zero, "DynamicBatcher: maxDelay must not be negative, got \(maxDelay)")
        precondition(sampleShape.allSatisfy { $0 >= 0 }, "DynamicBatcher: sampleShape \(sampleShape) has a negative size")
        self.sampleShape = sampleShape
        self.maxBatchSize = maxBatchSize
        self.maxDelay = maxDelay
        self.adaptive = adaptive
        queue = BatchQueue(maxBatchSize: maxBatchSize, maxDelay: maxDelay, adaptive: adaptive, run: run)
        let queue = self.queue
        let thread = Thread { queue.work() }
        thread.name = "ember-batcher"
        thread.start()
    }

    /// A batcher that runs `model` (`model(batch)`). Put the model in evaluation mode first
    /// (`model.eval()`), as for any inference: dropout and batch statistics are the model's choice.
    public convenience init(model: Module, sampleShape: [Int], maxBatchSize: Int = 64,
                            maxDelay: Duration = .milliseconds(1), adaptive: Bool = true) {
        self.init(sampleShape: sampleShape, maxBatchSize: maxBatchSize, maxDelay: maxDelay, adaptive: adaptive) { model($0) }
    }

    deinit { queue.close() }

    /// The model's output for one sample of shape `sampleShape`: its row of the batch's output.
    public func predict(_ sample: Tensor) async throws -> Tensor {
        try await predict([sample])[0]
    }

    /// The model's outputs for several samples, kept together in one batch when they fit.
    public func predict(_ samples: [Tensor]) async throws -> [Tensor] {
        if samples.isEmpty { return [] }
        if let i = samples.firstIndex(where: { $0.shape != sampleShape }) {
            throw DynamicBatcherError.shapeMismatch(
                "sample \(i) has shape \(samples[i].shape); this model takes samples of shape \(sampleShape)")
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.submit(samples, continuation)
        }
    }

    /// Stops the worker thread after the batch it is running; requests still waiting fail with
    /// `DynamicBatcherError.closed`, and so do later ones.
    public func close() { queue.close() }

    /// What the batcher has run so far.
    public var statistics: Statistics { queue.statistics }

    /// Requests waiting for the model (for tests).
    var queueLength: Int { queue.waitingCount }
}

/// Why a `DynamicBatcher` request failed.
public enum DynamicBatcherError: Error, Equatable, CustomStringConvertible {
    /// A sample's shape differs from the batcher's `sampleShape`.
    case shapeMismatch(String)
    /// The model's output does not have one row per sample.
    case badOutput(String)
    /// The batcher was closed before the request ran.
    case closed

    public var description: String {
        switch self {
        case .shapeMismatch(let message), .badOutput(let message): return message
        case .closed: return "the batcher is closed: it runs no more requests"
        }
    }
}

/// The requests waiting for the model, and the worker loop that batches them. Separate from
/// `DynamicBatcher` so that the thread holds only this, and releasing the batcher closes it.
private final class BatchQueue: @unchecked Sendable {
    struct Request {
        let samples: [Tensor]
        let continuation: CheckedContinuation<[Tensor], Error>
        let arrival: ContinuousClock.Instant
    }

    let maxBatchSize: Int
    let maxDelay: Duration
    let adaptive: Bool
    let run: (Tensor) throws -> Tensor
    private let condition = NSCondition()
    private var waiting: [Request] = []
    private var waitingSamples = 0
    private var closed = false
    private var stats = DynamicBatcher.Statistics()
    /// The samples a batch waits for: `maxBatchSize`, or when adaptive the size of the last batch if
    /// that held several requests (the sign of concurrent load) and none otherwise.
    private var target: Int

    init(maxBatchSize: Int, maxDelay: Duration, adaptive: Bool, run: @escaping (Tensor) throws -> Tensor) {
        self.maxBatchSize = maxBatchSize
        self.maxDelay = maxDelay
        self.adaptive = adaptive
        self.run = run
        target = adaptive ? 0 : maxBatchSize
    }

    func submit(_ samples: [Tensor], _ continuation: CheckedContinuation<[Tensor], Error>) {
        condition.lock()
        if closed {
            condition.unlock()
            continuation.resume(throwing: DynamicBatcherError.closed)
            return
        }
        waiting.append(Request(samples: samples, continuation: continuation, arrival: .now))
        waitingSamples += samples.count
        condition.signal()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        let dropped = waiting
        waiting = []
        waitingSamples = 0
        condition.signal()
        condition.unlock()
        for request in dropped { request.continuation.resume(throwing: DynamicBatcherError.closed) }
    }

    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting.count
    }

    var statistics: DynamicBatcher.Statistics {
        condition.lock()
        defer { condition.unlock() }
        return stats
    }

    /// The worker thread: waits for a first request, then for more until the batch reaches its target
    /// or the first has waited `maxDelay`; takes whole requests up to `maxBatchSize` samples and
    /// runs them.
    func work() {
        while let batch = nextBatch() { runBatch(batch) }
    }

    private func nextBatch() -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !closed { condition.wait() }
        if closed { return nil }
        let deadline = waiting[0].arrival + maxDelay
        while waitingSamples < target && !closed {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { break }
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        if closed { return nil }
        // Whole requests, as many as fit; the first always goes, however large.
        var taken = 0
        var count = 0
        while taken < waiting.count && (taken == 0 || count + waiting[taken].samples.count <= maxBatchSize) {
            count += waiting[taken].samples.count
            taken += 1
        }
        let batch = Array(waiting.prefix(taken))
        waiting.removeFirst(taken)
        if adaptive { target = taken > 1 ? count : 0 }
        waitingSamples -= count
        return batch
    }

    private func runBatch(_ batch: [Request]) {
        let samples = batch.flatMap(\.samples)
        var outputs: [Tensor] = []
        outputs.reserveCapacity(samples.count)
        var runs: [Int] = []
        do {
            try noGrad {
                // A request larger than maxBatchSize runs in pieces of maxBatchSize.
                var start = 0
                while start < samples.count {
                    let piece = Array(samples[start..<Swift.min(start + maxBatchSize, samples.count)])
                    let output = try run(Tensor.stack(piece))
                    guard !output.shape.isEmpty, output.shape[0] == piece.count else {
                        throw DynamicBatcherError.badOutput(
                            "the model returned shape \(output.shape) for a batch of \(piece.count) samples; "
                            + "its first dimension must be the batch's")
                    }
                    for i in 0..<piece.count { outputs.append(output.select(0, i)) }
                    runs.append(piece.count)
                    start += piece.count
                }
            }
        } catch {
            for request in batch { request.continuation.resume(throwing: error) }
            return
        }
        condition.lock()
        stats.requests += batch.count
        stats.samples += samples.count
        stats.batches += runs.count
        stats.largestBatch = Swift.max(stats.largestBatch, runs.max() ?? 0)
        condition.unlock()
        var next = 0
        for request in batch {
            request.continuation.resume(returning: Array(outputs[next..<next + request.samples.count]))
            next += request.samples.count
        }
    }
}
