/// What hands a `DataLoader` the batches of each epoch, like PyTorch's `batch_sampler`: conform to it
/// to batch by any rule (samples of similar length together, several classes per batch) and pass it
/// to `DataLoader(_:batchSampler:)`.
public protocol BatchSampling: AnyObject {
    /// The batches of the next epoch, each a list of sample indices (random samplers draw anew).
    func nextEpochBatches() -> [[Int]]
    /// Batches per epoch.
    var count: Int { get }
}

/// Cuts a sampler's order into batches of `batchSize` (the last one shorter unless `dropLast`), like
/// `torch.utils.data.BatchSampler`. Every `DataLoader` made with a batch size uses one.
public final class BatchSampler: BatchSampling {
    public let sampler: Sampler
    public let batchSize: Int
    public let dropLast: Bool

    public init(_ sampler: Sampler, batchSize: Int, dropLast: Bool = false) {
        precondition(batchSize > 0, "Ember: BatchSampler: batchSize must be positive, got \(batchSize)")
        self.sampler = sampler
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    public var count: Int { dropLast ? sampler.count / batchSize : (sampler.count + batchSize - 1) / batchSize }

    public func nextEpochBatches() -> [[Int]] {
        let order = sampler.nextEpoch()
        return stride(from: 0, to: order.count, by: batchSize).compactMap { start in
            let end = Swift.min(start + batchSize, order.count)
            return end - start < batchSize && dropLast ? nil : Array(order[start..<end])
        }
    }
}
