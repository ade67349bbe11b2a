/// Batches of a dataset held whole on one device: the inputs and labels are gathered (with the
/// dataset's transform) and copied to the device once, and each batch is one index-select there.
/// On a GPU this takes the per-step gather and host-to-device copies out of the training loop.
///
/// It shuffles with the same seeded generator as `DataLoader`, so with the same seed both give the
/// same batches. Use it when the transform is deterministic (no augmentation) and the dataset fits
/// in the device's memory (MNIST's 60,000 images take 188 MB as float32).
public final class DeviceDataLoader: Sequence {
    public let inputs: Tensor
    public let labels: Tensor
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    private let generator: RandomGenerator

    public init<D: Dataset>(_ dataset: D, batchSize: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false,
                            device: Device) where D.Element == (Tensor, Int) {
        precondition(batchSize > 0, "Ember: DeviceDataLoader batchSize must be positive, got \(batchSize)")
        let (x, y) = DataLoader<D, (Tensor, Tensor)>.whole(dataset)
        inputs = x.to(device)
        labels = y.to(device)
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        generator = RandomGenerator(seed: seed)
    }

    /// Batches per epoch.
    public var count: Int {
        let n = inputs.size(0)
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize
    }

    /// The next epoch's batches (the order is drawn now, and uploaded once).
    public func makeIterator() -> AnyIterator<(Tensor, Tensor)> {
        let indices = batchIndices()
        return AnyIterator { indices.next().map(self.batch) }
    }

    /// The next epoch's batches as int64 indices into `inputs` and `labels` (views of one uploaded
    /// order), for `batch(_:)` to gather: a training step captured in a CUDA graph gathers its
    /// batch itself, from indices copied into a fixed tensor.
    public func batchIndices() -> AnyIterator<Tensor> {
        let n = inputs.size(0)
        let order = Tensor(shuffle ? generator.permutation(n) : Array(0..<n), device: inputs.device)
        let (batchSize, dropLast) = (self.batchSize, self.dropLast)
        var start = 0
        return AnyIterator {
            let end = Swift.min(start + batchSize, n)
            guard start < n, end - start == batchSize || !dropLast else { return nil }
            defer { start = end }
            return order.narrow(0, start: start, length: end - start)
        }
    }

    /// The inputs and labels at `indices`, gathered on the device.
    public func batch(_ indices: Tensor) -> (Tensor, Tensor) {
        (inputs.indexSelect(dim: 0, indices: indices), labels.indexSelect(dim: 0, indices: indices))
    }
}
