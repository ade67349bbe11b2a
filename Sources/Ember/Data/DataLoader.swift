/// Batches a dataset for training, like `torch.utils.data.DataLoader`:
///
///     let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 1)
///     for epoch in 0..<5 {
///         for (images, labels) in loader { ... }   // images float32 [64, 1, 28, 28], labels int64 [64]
///     }
///
/// Each `for` loop is one epoch. With `shuffle`, each epoch visits the samples in a new random order drawn
/// from a generator seeded with `seed`, so a run is reproducible: epoch k of two loaders with the same seed
/// yields the same batches. While the loop body works on batch k, batch k+1 is assembled on a background
/// thread (`prefetch`); batches are still produced strictly in order, one at a time, so random transforms
/// see the same sequence as without prefetching.
///
/// A `Sampler` sets any other order: `DataLoader(train, batchSize: 64, sampler: WeightedRandomSampler(...))`;
/// a `BatchSampling` sets the batches themselves: `DataLoader(train, batchSampler: myBuckets)`.
///
/// Samples of any type batch, as with PyTorch's `default_collate`: (input, class) pairs into inputs
/// [B, ...] and int64 labels [B]; (input, number) pairs into inputs and float32 targets [B];
/// (input, target) tensor pairs into two stacked tensors (regression, segmentation masks, sequence
/// pairs); single tensors into one; dictionaries of tensors key by key.
/// Anything else takes a `collate` function of your own. Datasets that conform to `BatchGathering`
/// build each batch of pairs in one go; others are indexed sample by sample and collated.
public final class DataLoader<D: Dataset, Batch>: Sequence {
    public let dataset: D
    /// The batches of each epoch.
    public let batchSampler: BatchSampling
    /// Whether it was made with `shuffle: true`.
    public let shuffle: Bool
    public let prefetch: Bool
    /// Epochs started so far (each `makeIterator()` starts one).
    public private(set) var epoch = 0
    /// Builds one batch from the samples at some indices (on the prefetching thread).
    let assemble: (D, [Int]) -> Batch

    /// Batches `collate` makes of the samples: `batchSize` of them in order, or with `shuffle` in a new
    /// random order each epoch drawn from a generator seeded with `seed`; or in the order `sampler`
    /// gives; or the batches `batchSampler` gives (as PyTorch's, these options exclude each other).
    /// With `prefetch`, `collate` runs on the loader's background thread while the loop body runs:
    /// keep it to CPU work, and draw random numbers from a generator of its own (or turn `prefetch`
    /// off), so that runs stay reproducible.
    public convenience init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0, sampler: Sampler? = nil,
                            batchSampler: BatchSampling? = nil, dropLast: Bool = false, prefetch: Bool = true,
                            collate: @escaping ([D.Element]) -> Batch) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, sampler: sampler, batchSampler: batchSampler,
                  dropLast: dropLast, prefetch: prefetch) { dataset, indices in collate(indices.map { dataset[$0] }) }
    }

    init(_ dataset: D, batchSize: Int, shuffle: Bool, seed: UInt64, sampler: Sampler?, batchSampler: BatchSampling?,
         dropLast: Bool, prefetch: Bool, assemble: @escaping (D, [Int]) -> Batch) {
        precondition(!(shuffle && (sampler != nil || batchSampler != nil)),
                     "Ember: DataLoader: shuffle cannot go with a sampler or a batch sampler (the sampler sets the order)")
        precondition(!(sampler != nil && batchSampler != nil),
                     "Ember: DataLoader: give a sampler or a batch sampler, not both")
        precondition(batchSampler == nil || (batchSize == 1 && !dropLast),
                     "Ember: DataLoader: a batch sampler sets the batches; leave batchSize and dropLast at their defaults")
        let order: Sampler = sampler ?? (shuffle ? RandomSampler(count: dataset.count, seed: seed) : SequentialSampler(count: dataset.count))
        self.dataset = dataset
        self.batchSampler = batchSampler ?? BatchSampler(order, batchSize: batchSize, dropLast: dropLast)
        self.shuffle = shuffle
        self.prefetch = prefetch
        self.assemble = assemble
    }

    /// The samples per batch; nil for a custom batch sampler (as PyTorch's `batch_size` is None then).
    public var batchSize: Int? { (batchSampler as? BatchSampler)?.batchSize }
    /// The order of the samples, epoch by epoch; nil for a custom batch sampler.
    public var sampler: Sampler? { (batchSampler as? BatchSampler)?.sampler }
    public var dropLast: Bool { (batchSampler as? BatchSampler)?.dropLast ?? false }

    /// Batches per epoch.
    public var count: Int { batchSampler.count }

    /// The sample indices of each batch of the next epoch, drawn now (advances the sampler's generator).
    func nextEpochBatches() -> [[Int]] {
        epoch += 1
        let batches = batchSampler.nextEpochBatches()
        for (number, batch) in batches.enumerated() {
            if batch.isEmpty { fatalError("Ember: DataLoader: the batch sampler gave an empty batch (batch \(number))") }
            if let bad = batch.first(where: { $0 < 0 || $0 >= dataset.count }) {
                fatalError("Ember: DataLoader: the sampler gave index \(bad), but the dataset has \(dataset.count) samples")
            }
        }
        return batches
    }

    public func makeIterator() -> Iterator {
        Iterator(dataset: dataset, batches: nextEpochBatches(), prefetch: prefetch, assemble: assemble)
    }

    public final class Iterator: IteratorProtocol {
        /// Sample indices of every batch of this epoch, in order.
        public let batches: [[Int]]
        private let prefetcher: Prefetcher<Batch>

        init(dataset: D, batches: [[Int]], prefetch: Bool, assemble: @escaping (D, [Int]) -> Batch) {
            self.batches = batches
            // The cursor lives in the closure: only the prefetcher's one-at-a-time calls move it.
            var nextIndex = 0
            prefetcher = Prefetcher(label: "ember.dataloader.prefetch", prefetch: prefetch) {
                guard nextIndex < batches.count else { return nil }
                defer { nextIndex += 1 }
                return assemble(dataset, batches[nextIndex])
            }
        }

        public func next() -> Batch? { prefetcher.next() }
    }
}

extension DataLoader where Batch == (Tensor, Tensor) {
    /// (Input, class) pairs, batched into inputs [B, ...] and int64 labels [B].
    public convenience init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0, sampler: Sampler? = nil,
                            batchSampler: BatchSampling? = nil, dropLast: Bool = false, prefetch: Bool = true)
    where D.Element == (Tensor, Int) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, sampler: sampler, batchSampler: batchSampler,
                  dropLast: dropLast, prefetch: prefetch) { Self.pairs($0, $1, collate) }
    }

    /// (Input, target) tensor pairs, batched into inputs [B, ...] and targets [B, ...].
    public convenience init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0, sampler: Sampler? = nil,
                            batchSampler: BatchSampling? = nil, dropLast: Bool = false, prefetch: Bool = true)
    where D.Element == (Tensor, Tensor) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, sampler: sampler, batchSampler: batchSampler,
                  dropLast: dropLast, prefetch: prefetch) { Self.pairs($0, $1, collate) }
    }

    /// (Input, number) pairs, batched into inputs [B, ...] and float32 targets [B].
    public convenience init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0, sampler: Sampler? = nil,
                            batchSampler: BatchSampling? = nil, dropLast: Bool = false, prefetch: Bool = true)
    where D.Element == (Tensor, Float) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, sampler: sampler, batchSampler: batchSampler,
                  dropLast: dropLast, prefetch: prefetch, collate: collate)
    }

    /// All the samples as one batch, the way `DeviceDataLoader` uploads a dataset.
    static func whole(_ dataset: D) -> (Tensor, Tensor) where D.Element == (Tensor, Int) {
        pairs(dataset, Array(0..<dataset.count), collate)
    }

    /// The pairs at `indices`: in one go where the dataset gathers batches, else collated sample by sample.
    private static func pairs(_ dataset: D, _ indices: [Int], _ collate: ([D.Element]) -> (Tensor, Tensor)) -> (Tensor, Tensor) {
        (dataset as? BatchGathering)?.batch(at: indices) ?? collate(indices.map { dataset[$0] })
    }
}

extension DataLoader where D.Element == Tensor, Batch == Tensor {
    /// Single tensors (unlabelled images, token sequences), stacked into [B, ...].
    public convenience init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0, sampler: Sampler? = nil,
                            batchSampler: BatchSampling? = nil, dropLast: Bool = false, prefetch: Bool = true) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, sampler: sampler, batchSampler: batchSampler,
                  dropLast: dropLast, prefetch: prefetch, collate: collate)
    }
}

extension DataLoader where D.Element == [String: Tensor], Batch == [String: Tensor] {
    /// Dictionaries of tensors (`["input_ids": ..., "attention_mask": ...]`), stacked key by key.
    public convenience init(_ dataset: D, batchSize: Int = 1, shuffle: Bool = false, seed: UInt64 = 0, sampler: Sampler? = nil,
                            batchSampler: BatchSampling? = nil, dropLast: Bool = false, prefetch: Bool = true) {
        self.init(dataset, batchSize: batchSize, shuffle: shuffle, seed: seed, sampler: sampler, batchSampler: batchSampler,
                  dropLast: dropLast, prefetch: prefetch, collate: collate)
    }
}
