import Dispatch

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
/// Datasets that conform to `BatchGathering` build each batch in one go; others are indexed sample by
/// sample and stacked with `collate`.
public final class DataLoader<D: Dataset>: Sequence where D.Element == (Tensor, Int) {
    public let dataset: D
    /// The batches of each epoch.
    public let batchSampler: BatchSampling
    /// Whether it was made with `shuffle: true`.
    public let shuffle: Bool
    public let prefetch: Bool
    /// Epochs started so far (each `makeIterator()` starts one).
    public private(set) var epoch = 0

    /// Visits the samples in order, or with `shuffle` in a new random order each epoch drawn from a
    /// generator seeded with `seed`.
    public convenience init(_ dataset: D, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false,
                            prefetch: Bool = true) {
        let sampler: Sampler = shuffle ? RandomSampler(count: dataset.count, seed: seed) : SequentialSampler(count: dataset.count)
        self.init(dataset, batchSampler: BatchSampler(sampler, batchSize: batchSize, dropLast: dropLast), prefetch: prefetch,
                  shuffle: shuffle)
    }

    /// Visits the samples in the order `sampler` gives each epoch.
    public convenience init(_ dataset: D, batchSize: Int, sampler: Sampler, dropLast: Bool = false, prefetch: Bool = true) {
        self.init(dataset, batchSampler: BatchSampler(sampler, batchSize: batchSize, dropLast: dropLast), prefetch: prefetch,
                  shuffle: false)
    }

    /// Loads the batches `batchSampler` gives each epoch, like `DataLoader(dataset, batch_sampler=...)`.
    public convenience init(_ dataset: D, batchSampler: BatchSampling, prefetch: Bool = true) {
        self.init(dataset, batchSampler: batchSampler, prefetch: prefetch, shuffle: false)
    }

    private init(_ dataset: D, batchSampler: BatchSampling, prefetch: Bool, shuffle: Bool) {
        self.dataset = dataset
        self.batchSampler = batchSampler
        self.shuffle = shuffle
        self.prefetch = prefetch
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
        Iterator(dataset: dataset, batches: nextEpochBatches(), prefetch: prefetch)
    }

    /// Assembles one batch.
    static func load(_ dataset: D, _ indices: [Int]) -> (Tensor, Tensor) {
        if let gathering = dataset as? BatchGathering {
            return gathering.batch(at: indices)
        }
        return collate(indices.map { dataset[$0] })
    }

    public final class Iterator: IteratorProtocol {
        private let dataset: D
        /// Sample indices of every batch of this epoch, in order.
        public let batches: [[Int]]
        private var nextIndex = 0
        private let prefetch: Bool
        private let queue = DispatchQueue(label: "ember.dataloader.prefetch")
        private var pending: DispatchWorkItem?
        /// Where the background work leaves the next batch (owned by the work item, not by `self`,
        /// so an iterator dropped mid-epoch can go away while the last prefetch finishes).
        private final class Slot { var batch: (Tensor, Tensor)? }
        private var slot = Slot()

        init(dataset: D, batches: [[Int]], prefetch: Bool) {
            self.dataset = dataset
            self.batches = batches
            self.prefetch = prefetch
        }

        deinit { pending?.wait() }

        public func next() -> (Tensor, Tensor)? {
            guard nextIndex < batches.count else { return nil }
            let result: (Tensor, Tensor)
            if let pending {
                pending.wait()
                result = slot.batch!
                slot.batch = nil
                self.pending = nil
            } else {
                result = DataLoader.load(dataset, batches[nextIndex])
            }
            nextIndex += 1
            if prefetch && nextIndex < batches.count {
                let indices = batches[nextIndex]
                let dataset = self.dataset
                let slot = self.slot
                let work = DispatchWorkItem {
                    slot.batch = Parallel.onCallingThread { DataLoader.load(dataset, indices) }
                }
                pending = work
                queue.async(execute: work)
            }
            return result
        }
    }
}
