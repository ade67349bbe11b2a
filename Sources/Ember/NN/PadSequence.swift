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
