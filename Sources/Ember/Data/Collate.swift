/// Stacks per-sample inputs and class labels into batch tensors: inputs [B, ...] and int64 labels [B].
/// Works on raw memory (no autograd, no global state), so it is safe on the loader's background thread.
public func collate(_ samples: [(Tensor, Int)]) -> (Tensor, Tensor) {
    precondition(!samples.isEmpty, "Ember: cannot collate an empty batch")
    let first = samples[0].0
    let shape = first.shape
    let rowSize = first.count
    let item = first.dtype.itemSize
    let x = Tensor(uninitializedShape: [samples.count] + shape, dtype: first.dtype)
    let y = Tensor(uninitializedShape: [samples.count], dtype: .int64)
    let labels = y.storage.int64s()
    for (row, (input, label)) in samples.enumerated() {
        precondition(input.shape == shape && input.dtype == first.dtype,
                     "Ember: samples in a batch must share shape and dtype; sample \(row) is \(input.shape) \(input.dtype), the first is \(shape) \(first.dtype)")
        let destination = x.storage.pointer + row * rowSize * item
        if input.isContiguous {
            destination.copyMemory(from: input.storage.pointer + input.offset * item, byteCount: rowSize * item)
        } else {
            input.rawFloatValues().withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: rowSize * item) }
        }
        labels[row] = Int64(label)
    }
    return (x, y)
}
