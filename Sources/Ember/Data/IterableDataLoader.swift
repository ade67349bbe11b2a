/// A stream of samples, like `torch.utils.data.IterableDataset`: any Swift `Sequence` is one. Each
/// `makeIterator()` starts an epoch and must return an iterator of its own, so a stream that reads a
/// file opens it again there (a one-pass iterator such as `AnyIterator` gives an empty second epoch).
///
///     struct Lines: IterableDataset {                     // samples read lazily, never all in memory
///         let url: URL
///         func makeIterator() -> AnyIterator<(Tensor, Tensor)> { ... }
///     }
public typealias IterableDataset = Sequence

/// Batches a stream of samples, like `torch.utils.data.DataLoader` over an `IterableDataset`: for
/// data too large to index (files read line by line, shards, generated data). Consecutive samples
/// make a batch, collated as `DataLoader`'s are; the last, shorter batch is kept unless `dropLast`.
///
///     let loader = IterableDataLoader(Lines(url: csv), batchSize: 64, shuffleBuffer: 10_000, seed: 1)
///     for epoch in 0..<5 { for (x, y) in loader { ... } }
///
/// A stream has no indices to shuffle, so `shuffleBuffer` shuffles locally, as torchdata's
/// `Shuffler` does: samples pass through a buffer of that many, and each sample that arrives pushes
/// out a random one of the buffer (the rest come out in random order at the end). Each epoch draws a
/// new order from a generator seeded with `seed`. With `prefetch`, the next batch is read from the
/// stream and collated on a background thread while the loop body runs (one batch ahead, one thread at
/// a time per epoch): a stream or `collate` that draws random numbers should use a generator of its
/// own, not the global one the loop body draws from (or turn `prefetch` off), for runs to repeat.
public final class IterableDataLoader<Stream: Sequence, Batch>: Sequence {
    public let stream: Stream
    public let batchSize: Int
    public let dropLast: Bool
    /// Samples held to shuffle the stream locally; 0 keeps the stream's order.
    public let shuffleBuffer: Int
    public let prefetch: Bool
    /// Epochs started so far (each `makeIterator()` starts one).
    public private(set) var epoch = 0
    private let collate: ([Stream.Element]) -> Batch
    /// Seeds each epoch's shuffling (drawn on the calling thread, so epochs stay reproducible).
    private let seeds: RandomGenerator

    public init(_ stream: Stream, batchSize: Int = 1, dropLast: Bool = false, shuffleBuffer: Int = 0, seed: UInt64 = 0,
                prefetch: Bool = true, collate: @escaping ([Stream.Element]) -> Batch) {
        precondition(batchSize > 0, "Ember: IterableDataLoader: batchSize must be positive, got \(batchSize)")
        precondition(shuffleBuffer >= 0, "Ember: IterableDataLoader: shuffleBuffer must be 0 (no shuffling) or positive, got \(shuffleBuffer)")
        (self.stream, self.batchSize, self.dropLast, self.shuffleBuffer) = (stream, batchSize, dropLast, shuffleBuffer)
        (self.prefetch, self.collate) = (prefetch, collate)
        seeds = RandomGenerator(seed: seed)
    }

    public func makeIterator() -> Iterator {
        epoch += 1
        let samples = Samples(stream.makeIterator(), bufferSize: shuffleBuffer,
                              generator: shuffleBuffer > 1 ? RandomGenerator(seed: seeds.nextUInt64()) : nil)
        return Iterator(samples: samples, batchSize: batchSize, dropLast: dropLast, prefetch: prefetch, collate: collate)
    }

    /// The stream's samples, through the shuffle buffer when there is one.
    final class Samples {
        private var source: Stream.Iterator
        /// Set once the stream returned nil: it is not asked again.
        private var sourceEnded = false
        private var buffer: [Stream.Element] = []
        private let bufferSize: Int
        private let generator: RandomGenerator?

        init(_ source: Stream.Iterator, bufferSize: Int, generator: RandomGenerator?) {
            (self.source, self.bufferSize, self.generator) = (source, bufferSize, generator)
        }

        /// The stream's next sample, or nil from its end on.
        private func pull() -> Stream.Element? {
            guard !sourceEnded else { return nil }
            if let sample = source.next() { return sample }
            sourceEnded = true
            return nil
        }

        func next() -> Stream.Element? {
            guard let generator else { return pull() }
            while buffer.count < bufferSize, let sample = pull() { buffer.append(sample) }
            guard !buffer.isEmpty else { return nil }
            // A random sample of the buffer leaves; the next one from the stream (if any) takes its place.
            let chosen = generator.nextInt(below: buffer.count)
            if let arriving = pull() {
                defer { buffer[chosen] = arriving }
                return buffer[chosen]
            }
            buffer.swapAt(chosen, buffer.count - 1)
            return buffer.removeLast()
        }

        /// The next `size` samples (fewer at the end of the stream; none after it).
        func take(_ size: Int) -> [Stream.Element] {
            var batch: [Stream.Element] = []
            batch.reserveCapacity(size)
            while batch.count < size, let sample = next() { batch.append(sample) }
            return batch
        }
    }

    public final class Iterator: IteratorProtocol {
        private let prefetcher: Prefetcher<Batch>

        /// Batches of `batchSize` consecutive samples; the last, shorter one only without `dropLast`.
        init(samples: Samples, batchSize: Int, dropLast: Bool, prefetch: Bool, collate: @escaping ([Stream.Element]) -> Batch) {
            prefetcher = Prefetcher(label: "ember.iterabledataloader.prefetch", prefetch: prefetch) {
                let batch = samples.take(batchSize)
                return batch.isEmpty || (dropLast && batch.count < batchSize) ? nil : collate(batch)
            }
        }

        public func next() -> Batch? { prefetcher.next() }
    }
}

extension IterableDataLoader where Batch == (Tensor, Tensor) {
    /// (Input, class) samples, batched into inputs [B, ...] and int64 labels [B].
    public convenience init(_ stream: Stream, batchSize: Int = 1, dropLast: Bool = false, shuffleBuffer: Int = 0,
                            seed: UInt64 = 0, prefetch: Bool = true) where Stream.Element == (Tensor, Int) {
        self.init(stream, batchSize: batchSize, dropLast: dropLast, shuffleBuffer: shuffleBuffer, seed: seed,
                  prefetch: prefetch, collate: Ember.collate)
    }

    /// (Input, target) tensor samples, batched into inputs [B, ...] and targets [B, ...].
    public convenience init(_ stream: Stream, batchSize: Int = 1, dropLast: Bool = false, shuffleBuffer: Int = 0,
                            seed: UInt64 = 0, prefetch: Bool = true) where Stream.Element == (Tensor, Tensor) {
        self.init(stream, batchSize: batchSize, dropLast: dropLast, shuffleBuffer: shuffleBuffer, seed: seed,
                  prefetch: prefetch, collate: Ember.collate)
    }

    /// (Input, number) samples, batched into inputs [B, ...] and float32 targets [B].
    public convenience init(_ stream: Stream, batchSize: Int = 1, dropLast: Bool = false, shuffleBuffer: Int = 0,
                            seed: UInt64 = 0, prefetch: Bool = true) where Stream.Element == (Tensor, Float) {
        self.init(stream, batchSize: batchSize, dropLast: dropLast, shuffleBuffer: shuffleBuffer, seed: seed,
                  prefetch: prefetch, collate: Ember.collate)
    }
}

extension IterableDataLoader where Stream.Element == Tensor, Batch == Tensor {
    /// Single tensors, stacked into [B, ...].
    public convenience init(_ stream: Stream, batchSize: Int = 1, dropLast: Bool = false, shuffleBuffer: Int = 0,
                            seed: UInt64 = 0, prefetch: Bool = true) {
        self.init(stream, batchSize: batchSize, dropLast: dropLast, shuffleBuffer: shuffleBuffer, seed: seed,
                  prefetch: prefetch, collate: Ember.collate)
    }
}

extension IterableDataLoader where Stream.Element == [String: Tensor], Batch == [String: Tensor] {
    /// Dictionaries of tensors, stacked key by key.
    public convenience init(_ stream: Stream, batchSize: Int = 1, dropLast: Bool = false, shuffleBuffer: Int = 0,
                            seed: UInt64 = 0, prefetch: Bool = true) {
        self.init(stream, batchSize: batchSize, dropLast: dropLast, shuffleBuffer: shuffleBuffer, seed: seed,
                  prefetch: prefetch, collate: Ember.collate)
    }
}
