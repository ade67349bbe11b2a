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

/// A dataset of pairs that can assemble a whole batch at once, without a tensor per sample.
/// `DataLoader` uses this fast path when a dataset offers it.
public protocol BatchGathering {
    /// Inputs [B, ...] and targets (int64 labels [B] for classes, or [B, ...]) for the samples at
    /// `indices`, in that order.
    func batch(at indices: [Int]) -> (Tensor, Tensor)
}

/// What a `TensorDataset` gives as each sample's target: a class (`Int`, from int64 labels [N]) or a
/// tensor (a row of targets [N, ...] of any dtype and shape).
public protocol TensorDatasetTarget {
    /// The target of a one-sample batch of targets [1, ...].
    static func single(_ batch: Tensor) -> Self
}

extension Int: TensorDatasetTarget {
    public static func single(_ batch: Tensor) -> Int {
        precondition(batch.dtype == .int64 && batch.count == 1, "Ember: a class target comes from one int64 label, got \(batch.dtype) \(batch.shape)")
        return batch.toIntArray()[0]
    }
}

extension Tensor: TensorDatasetTarget {
    public static func single(_ batch: Tensor) -> Tensor { batch.squeeze(0) }
}

/// Inputs and targets held in two tensors, split along the first dimension, like `TensorDataset`:
/// `TensorDataset(inputs: x, labels: classes)` gives (input, class) samples; `TensorDataset(inputs: x,
/// targets: y)` (input, target tensor) ones, for regression or any other target.
public struct TensorDataset<Target: TensorDatasetTarget>: Dataset, BatchGathering {
    public let inputs: Tensor
    /// The targets [N, ...] (int64 class labels [N] for `Int` targets).
    public let targets: Tensor
    fileprivate init(checked inputs: Tensor, _ targets: Tensor) {
        precondition(inputs.device == .cpu && targets.device == .cpu, "Ember: TensorDataset holds CPU tensors (its batches are "
            + "gathered on the host); got \(inputs.device) and \(targets.device). DeviceDataLoader keeps a dataset on a GPU")
        self.inputs = inputs.contiguous()
        self.targets = targets.contiguous()
    }

    public var count: Int { targets.shape[0] }

    public subscript(index: Int) -> (Tensor, Target) {
        let (x, y) = batch(at: [index])
        return (x.droppingFirstDim(), Target.single(y))
    }

    public func batch(at indices: [Int]) -> (Tensor, Tensor) {
        for index in indices {
            precondition(index >= 0 && index < count, "Ember: TensorDataset index \(index) is out of range 0..<\(count)")
        }
        return (inputs.gatheringRows(indices), targets.gatheringRows(indices))
    }
}

extension TensorDataset where Target == Int {
    /// The class labels [N] (int64).
    public var labels: Tensor { targets }

    /// Inputs [N, ...] and class labels [N] (int64, or float32 whole numbers, converted).
    public init(inputs: Tensor, labels: Tensor) {
        precondition(inputs.rank >= 1 && labels.rank == 1 && inputs.shape[0] == labels.shape[0],
                     "Ember: TensorDataset needs inputs [N, ...] and labels [N]; got \(inputs.shape) and \(labels.shape)")
        self.init(checked: inputs, labels.dtype == .int64 ? labels : Tensor(labels.toIntArray(), shape: labels.shape))
    }
}

extension TensorDataset where Target == Tensor {
    /// Inputs [N, ...] and targets [N, ...] of any dtype.
    public init(inputs: Tensor, targets: Tensor) {
        precondition(inputs.rank >= 1 && targets.rank >= 1 && inputs.shape[0] == targets.shape[0],
                     "Ember: TensorDataset needs inputs [N, ...] and targets [N, ...]; got \(inputs.shape) and \(targets.shape)")
        self.init(checked: inputs, targets)
    }
}

extension Tensor {
    /// A view of this [1, ...] tensor without its first dim.
    fileprivate func droppingFirstDim() -> Tensor {
        let rest = Array(shape.dropFirst())
        return Tensor(storage: storage, shape: rest, strides: Shape.contiguousStrides(rest), dtype: dtype)
    }

    /// The rows at `indices` of this contiguous CPU tensor, copied on raw memory (safe on a loader's thread).
    fileprivate func gatheringRows(_ indices: [Int]) -> Tensor {
        let rowShape = Array(shape.dropFirst())
        let rowBytes = Shape.count(rowShape) * dtype.itemSize
        let out = Tensor(uninitializedShape: [indices.count] + rowShape, dtype: dtype)
        let source = storage.pointer + offset * dtype.itemSize
        for (row, index) in indices.enumerated() {
            (out.storage.pointer + row * rowBytes).copyMemory(from: source + index * rowBytes, byteCount: rowBytes)
        }
        return out
    }
}
