/// Stacks sequences of different lengths [Lᵢ, *] into one batch, padding each to the longest with
/// `paddingValue`, like `torch.nn.utils.rnn.pad_sequence`: [maxL, N, *], or [N, maxL, *] when
/// `batchFirst`. Gradients flow back to each sequence.
public func padSequence(_ sequences: [Tensor], batchFirst: Bool = false, paddingValue: Float = 0) -> Tensor {
    guard let first = sequences.first else { shapeFailure(ShapeError("padSequence: expects at least one sequence")) }
    let trailing = Array(first.shape.dropFirst())
    for (i, s) in sequences.enumerated() where s.rank != first.rank || Array(s.shape.dropFirst()) != trailing {
        shapeFailure(ShapeError("padSequence: sequence \(i) has shape \(s.shape), but sequence 0 has \(first.shape); "
            + "all must agree after their first (length) dim"))
    }
    let longest = sequences.map { $0.shape[0] }.max()!
    let padded = sequences.map { s in
        s.shape[0] == longest ? s
            : Tensor.cat([s, Tensor.full([longest - s.shape[0]] + trailing, paddingValue, dtype: s.dtype, device: s.device)], dim: 0)
    }
    return Tensor.stack(padded, dim: batchFirst ? 0 : 1)
}

/// The sequences of a padded batch [T, B, *] ([B, T, *] with `batchFirst`), sequence i cut to
/// `lengths[i]` steps, like `torch.nn.utils.rnn.unpad_sequence`. Each is a view of the batch.
public func unpadSequence(_ padded: Tensor, lengths: [Int], batchFirst: Bool = false) -> [Tensor] {
    guard padded.rank >= 2 else {
        shapeFailure(ShapeError("unpadSequence: expected a padded batch of shape \(batchFirst ? "[batch, seq, *]" : "[seq, batch, *]"), "
            + "got \(padded.shape)"))
    }
    let (batchDim, timeDim) = batchFirst ? (0, 1) : (1, 0)
    guard lengths.count == padded.shape[batchDim] else {
        shapeFailure(ShapeError("unpadSequence: got \(lengths.count) lengths for a batch of \(padded.shape[batchDim]) "
            + "(shape \(padded.shape), batchFirst \(batchFirst))"))
    }
    if let bad = lengths.first(where: { $0 < 0 || $0 > padded.shape[timeDim] }) {
        shapeFailure(ShapeError("unpadSequence: every length must be in 0...\(padded.shape[timeDim]), got \(bad) in \(lengths)"))
    }
    return lengths.enumerated().map { i, length in padded.select(batchDim, i).narrow(0, start: 0, length: length) }
}
