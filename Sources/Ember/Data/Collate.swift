/// Stacks samples into batches, like PyTorch's `default_collate`. Each copies CPU memory (samples
/// that are not contiguous are made so first, outside the graph), so it is safe on the loader's
/// background thread.

/// Per-sample inputs and class labels as batch tensors: inputs [B, ...] and int64 labels [B].
public func collate(_ samples: [(Tensor, Int)]) -> (Tensor, Tensor) {
    let labels = Tensor(uninitializedShape: [samples.count], dtype: .int64)
    let destination = labels.storage.int64s()
    for (row, sample) in samples.enumerated() { destination[row] = Int64(sample.1) }
    return (stackSamples(samples.map(\.0), "input"), labels)
}

/// (Input, target) pairs as two batch tensors [B, ...] (targets of any shape and dtype).
public func collate(_ samples: [(Tensor, Tensor)]) -> (Tensor, Tensor) {
    (stackSamples(samples.map(\.0), "input"), stackSamples(samples.map(\.1), "target"))
}

/// (Input, number) pairs, the numbers as a float32 batch [B] (scalar regression targets; PyTorch's
/// `default_collate` gives float64).
public func collate(_ samples: [(Tensor, Float)]) -> (Tensor, Tensor) {
    (stackSamples(samples.map(\.0), "input"), Tensor(samples.map(\.1), shape: [samples.count]))
}

/// Tensors as one batch [B, ...].
public func collate(_ samples: [Tensor]) -> Tensor { stackSamples(samples, "sample") }

/// Dictionaries of tensors as one dictionary of batches, key by key (every sample has the same keys).
public func collate(_ samples: [[String: Tensor]]) -> [String: Tensor] {
    precondition(!samples.isEmpty, "Ember: cannot collate an empty batch")
    let keys = Set(samples[0].keys)
    for (row, sample) in samples.enumerated() where Set(sample.keys) != keys {
        preconditionFailure("Ember: samples in a batch must have the same keys; sample \(row) has \(sample.keys.sorted()), "
            + "the first \(keys.sorted())")
    }
    var out: [String: Tensor] = [:]
    for key in keys { out[key] = stackSamples(samples.map { $0[key]! }, "\"\(key)\"") }
    return out
}

/// The tensors stacked along a new first dim; they must share shape and dtype (`what` names them in
/// the message when they do not).
func stackSamples(_ tensors: [Tensor], _ what: String) -> Tensor {
    precondition(!tensors.isEmpty, "Ember: cannot collate an empty batch")
    let first = tensors[0]
    let (shape, rowSize, item) = (first.shape, first.count, first.dtype.itemSize)
    let out = Tensor(uninitializedShape: [tensors.count] + shape, dtype: first.dtype)
    for (row, t) in tensors.enumerated() {
        precondition(t.shape == shape && t.dtype == first.dtype && t.device == .cpu, "Ember: samples in a batch must share "
            + "shape and dtype (on the CPU); \(what) \(row) is \(t.shape) \(t.dtype) on \(t.device), the first is \(shape) \(first.dtype)")
        let destination = out.storage.pointer + row * rowSize * item
        if t.isContiguous {
            destination.copyMemory(from: t.storage.pointer + t.offset * item, byteCount: rowSize * item)
        } else if t.dtype == .int64 {
            t.toIntArray().map(Int64.init).withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: rowSize * item) }
        } else {
            t.toArray().withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: rowSize * item) }
        }
    }
    return out
}
