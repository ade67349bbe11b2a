/// A collection of samples addressed by index, like `torch.utils.data.Dataset`.
///
/// Classification datasets have `Element == (Tensor, Int)`: an input and its class, which `DataLoader`
/// batches into an input tensor [B, ...] and an int64 label tensor [B].
public protocol Dataset {
    associatedtype Element
    /// Number of samples.
    var count: Int { get }
    /// The sample at `index` (0 ..< count).
    subscript(index: Int) -> Element { get }
}

/// A dataset that can assemble a whole batch at once, without a tensor per sample.
/// `DataLoader` uses this fast path when a dataset offers it.
public protocol BatchGathering {
    /// Inputs [B, ...] (float32) and labels [B] (int64) for the samples at `indices`, in that order.
    func batch(at indices: [Int]) -> (Tensor, Tensor)
}

/// Inputs and labels held in two tensors, split along the first dimension, like `TensorDataset`.
public struct TensorDataset: Dataset, BatchGathering {
    public let inputs: Tensor
    public let labels: Tensor

    public init(inputs: Tensor, labels: Tensor) {
        precondition(inputs.rank >= 1 && labels.rank == 1 && inputs.shape[0] == labels.shape[0],
                     "Ember: TensorDataset needs inputs [N, ...] and labels [N]; got \(inputs.shape) and \(labels.shape)")
        self.inputs = inputs.contiguous()
        self.labels = labels.dtype == .int64 ? labels.contiguous() : Tensor(labels.toIntArray(), shape: labels.shape)
    }

    public var count: Int { labels.shape[0] }

    public subscript(index: Int) -> (Tensor, Int) {
        let (x, y) = batch(at: [index])
        return (Tensor(storage: x.storage, shape: Array(inputs.shape.dropFirst()), strides: Shape.contiguousStrides(Array(inputs.shape.dropFirst())), dtype: x.dtype),
                Int(y.storage.int64s()[0]))
    }

    public func batch(at indices: [Int]) -> (Tensor, Tensor) {
        let rowShape = Array(inputs.shape.dropFirst())
        let rowSize = Shape.count(rowShape)
        let x = Tensor(uninitializedShape: [indices.count] + rowShape, dtype: inputs.dtype)
        let y = Tensor(uninitializedShape: [indices.count], dtype: .int64)
        let item = inputs.dtype.itemSize
        let src = inputs.storage.pointer + inputs.offset * item
        let labelSrc = labels.storage.int64s() + labels.offset
        let labelDst = y.storage.int64s()
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "Ember: TensorDataset index \(index) is out of range 0..<\(count)")
            (x.storage.pointer + row * rowSize * item).copyMemory(from: src + index * rowSize * item, byteCount: rowSize * item)
            labelDst[row] = labelSrc[index]
        }
        return (x, y)
    }
}
