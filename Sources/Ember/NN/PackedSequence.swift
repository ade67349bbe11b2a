/// A batch of sequences of different lengths, packed so a recurrent layer runs each only as far as it
/// goes, like `torch.nn.utils.rnn.PackedSequence`:
///
///     let packed = packPaddedSequence(padded, lengths: [5, 2, 4], batchFirst: true, enforceSorted: false)
///     let (output, (h, c)) = lstm(packed, nil)          // h, c: each sequence's state at its own last step
///     let (unpacked, lengths) = padPackedSequence(output, batchFirst: true)
///
/// `data` holds the steps time-major: the first step of every sequence, then the second step of every
/// sequence that has one, and so on, longest sequence first within a step. `batchSizes[t]` is how many
/// sequences have a step t. When the sequences were not given longest first, `sortedIndices[k]` is the
/// batch index of the k-th longest, and `unsortedIndices` undoes that order; the recurrent layers take
/// initial states and return final states in the caller's batch order.
public struct PackedSequence {
    /// [Σ lengths, *] every step of every sequence, time-major.
    public let data: Tensor
    /// How many sequences run at each step; non-increasing, `batchSizes[0]` is the batch size.
    public let batchSizes: [Int]
    /// Batch index of the k-th longest sequence, or nil when the batch was already longest first.
    public let sortedIndices: [Int]?
    /// Position in the sorted order of batch entry i (the inverse of `sortedIndices`).
    public let unsortedIndices: [Int]?

    /// Checks that `batchSizes` describe `data` and that the indices are inverse permutations.
    public init(data: Tensor, batchSizes: [Int], sortedIndices: [Int]? = nil, unsortedIndices: [Int]? = nil) {
        guard let first = batchSizes.first, batchSizes.last! > 0, zip(batchSizes, batchSizes.dropFirst()).allSatisfy({ $0 >= $1 }) else {
            shapeFailure(ShapeError("PackedSequence: batchSizes must be positive and non-increasing, got \(batchSizes)"))
        }
        guard data.rank >= 1, data.shape[0] == batchSizes.reduce(0, +) else {
            shapeFailure(ShapeError("PackedSequence: batchSizes \(batchSizes) add up to \(batchSizes.reduce(0, +)) steps, "
                + "but data has shape \(data.shape)"))
        }
        for case let (name, indices?) in [("sortedIndices", sortedIndices), ("unsortedIndices", unsortedIndices)] {
            guard indices.count == first, Set(indices) == Set(0..<first) else {
                shapeFailure(ShapeError("PackedSequence: \(name) must be a permutation of 0..<\(first) (the batch size), got \(indices)"))
            }
        }
        let sorted = sortedIndices ?? unsortedIndices.map(PackedSequence.inverse)
        if let sortedIndices, let unsortedIndices, unsortedIndices != PackedSequence.inverse(sortedIndices) {
            shapeFailure(ShapeError("PackedSequence: unsortedIndices \(unsortedIndices) is not the inverse of sortedIndices \(sortedIndices)"))
        }
        self.data = data
        self.batchSizes = batchSizes
        self.sortedIndices = sorted
        self.unsortedIndices = sorted.map(PackedSequence.inverse)
    }

    /// The number of sequences.
    public var batchSize: Int { batchSizes[0] }

    /// Each sequence's length, in the caller's batch order.
    public var lengths: [Int] {
        var sortedLengths = [Int](repeating: 0, count: batchSize)
        for b in batchSizes { for k in 0..<b { sortedLengths[k] += 1 } }
        guard let sortedIndices else { return sortedLengths }
        var lengths = sortedLengths
        for (k, i) in sortedIndices.enumerated() { lengths[i] = sortedLengths[k] }
        return lengths
    }

    /// The same sequences with `data` replaced (a layer's output, say).
    public func replacing(data: Tensor) -> PackedSequence {
        PackedSequence(data: data, batchSizes: batchSizes, sortedIndices: sortedIndices, unsortedIndices: unsortedIndices)
    }

    /// On another device.
    public func to(_ device: Device) -> PackedSequence { replacing(data: data.to(device)) }

    static func inverse(_ permutation: [Int]) -> [Int] {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (k, i) in permutation.enumerated() { inverse[i] = k }
        return inverse
    }

    /// The first row of `data` of each step: step t of the k-th longest sequence is row offsets[t] + k.
    var stepOffsets: [Int] { Self.stepOffsets(batchSizes) }

    static func stepOffsets(_ batchSizes: [Int]) -> [Int] {
        var offsets: [Int] = [], start = 0
        for b in batchSizes { offsets.append(start); start += b }
        return offsets
    }
}

/// Packs a padded batch [T, B, *] ([B, T, *] with `batchFirst`) whose sequence i is `lengths[i]` steps
/// long, like `torch.nn.utils.rnn.pack_padded_sequence`. With `enforceSorted` (the default, as in
/// PyTorch) the lengths must be non-increasing; pass `enforceSorted: false` to have them sorted and the
/// order remembered. Gradients flow back to the padded input (zero at padding).
///
/// Equal lengths keep their batch order (a stable sort). PyTorch's CPU sort is stable only for up to 16
/// sequences, so for larger batches with ties `sortedIndices` and the row order of `data` can differ from
/// PyTorch's; the unpacked outputs, final states and gradients do not.
public func packPaddedSequence(_ input: Tensor, lengths: [Int], batchFirst: Bool = false, enforceSorted: Bool = true) -> PackedSequence {
    packPadded(input, lengths: lengths, batchFirst: batchFirst, enforceSorted: enforceSorted, op: "packPaddedSequence")
}

/// Packs sequences [Lᵢ, *] of different lengths, like `torch.nn.utils.rnn.pack_sequence`: the same as
/// padding them (`padSequence`) and calling `packPaddedSequence`.
public func packSequence(_ sequences: [Tensor], enforceSorted: Bool = true) -> PackedSequence {
    guard !sequences.isEmpty else { shapeFailure(ShapeError("packSequence: expects at least one sequence")) }
    return packPadded(padSequence(sequences), lengths: sequences.map { $0.shape[0] }, batchFirst: false,
                      enforceSorted: enforceSorted, op: "packSequence")
}

private func packPadded(_ input: Tensor, lengths: [Int], batchFirst: Bool, enforceSorted: Bool, op: String) -> PackedSequence {
    guard input.rank >= 2 else {
        shapeFailure(ShapeError("\(op): expected input of shape \(batchFirst ? "[batch, seq, *]" : "[seq, batch, *]"), "
            + "got \(input.shape)"))
    }
    let x = batchFirst ? input.transpose(0, 1) : input
    let (steps, batch) = (x.shape[0], x.shape[1])
    guard batch > 0 else {
        shapeFailure(ShapeError("\(op): expects at least one sequence, got input of shape \(input.shape)"))
    }
    guard lengths.count == batch else {
        shapeFailure(ShapeError("\(op): got \(lengths.count) lengths for a batch of \(batch) "
            + "(input shape \(input.shape), batchFirst \(batchFirst))"))
    }
    if let bad = lengths.first(where: { $0 <= 0 || $0 > steps }) {
        shapeFailure(ShapeError("\(op): every length must be in 1...\(steps) (the padded length of input "
            + "\(input.shape)), got \(bad) in \(lengths)"))
    }
    var sortedIndices: [Int]? = nil
    if enforceSorted {
        guard zip(lengths, lengths.dropFirst()).allSatisfy({ $0 >= $1 }) else {
            shapeFailure(ShapeError("\(op): lengths \(lengths) are not sorted longest first; sort the batch "
                + "or pass enforceSorted: false"))
        }
    } else {
        // Stable: equal lengths keep their batch order.
        sortedIndices = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
    }
    let order = sortedIndices ?? Array(0..<batch)
    var batchSizes: [Int] = []
    var rows: [Int] = []   // rows of x viewed as [T·B, *]
    for t in 0..<steps {
        let running = order.prefix { lengths[$0] > t }
        guard !running.isEmpty else { break }
        batchSizes.append(running.count)
        rows += running.map { t * batch + $0 }
    }
    let flat = x.reshape([steps * batch] + Array(x.shape.dropFirst(2)))
    let data = flat.indexSelect(dim: 0, indices: Tensor(rows, device: input.device))
    return PackedSequence(data: data, batchSizes: batchSizes, sortedIndices: sortedIndices)
}

/// Unpacks to a padded batch [T, B, *] ([B, T, *] with `batchFirst`) in the caller's batch order, and each
/// sequence's length, like `torch.nn.utils.rnn.pad_packed_sequence`. T is the longest length, or
/// `totalLength` when given (which must be at least that). Gradients flow back to `sequence.data`.
public func padPackedSequence(_ sequence: PackedSequence, batchFirst: Bool = false, paddingValue: Float = 0,
                              totalLength: Int? = nil) -> (Tensor, lengths: [Int]) {
    let data = sequence.data, batch = sequence.batchSize
    let longest = sequence.batchSizes.count
    let steps = totalLength ?? longest
    guard steps >= longest else {
        shapeFailure(ShapeError("padPackedSequence: totalLength \(steps) is shorter than the longest sequence (\(longest) steps)"))
    }
    let trailing = Array(data.shape.dropFirst())
    // Every padded position (t, i) reads a row of data, or the one padding row appended after the last.
    let paddingRow = data.shape[0]
    var rows = [Int](repeating: paddingRow, count: steps * batch)
    let order = sequence.sortedIndices ?? Array(0..<batch)
    for (t, (offset, running)) in zip(sequence.stepOffsets, sequence.batchSizes).enumerated() {
        for k in 0..<running { rows[t * batch + order[k]] = offset + k }
    }
    let padding = Tensor.full([1] + trailing, paddingValue, dtype: data.dtype, device: data.device)
    let padded = Tensor.cat([data, padding]).indexSelect(dim: 0, indices: Tensor(rows, device: data.device))
        .reshape([steps, batch] + trailing)
    return (batchFirst ? padded.transpose(0, 1) : padded, sequence.lengths)
}

/// The sequences of a packed batch, each [Lᵢ, *], in the caller's batch order, like
/// `torch.nn.utils.rnn.unpack_sequence`.
public func unpackSequence(_ sequence: PackedSequence) -> [Tensor] {
    let (padded, lengths) = padPackedSequence(sequence, batchFirst: true)
    return unpadSequence(padded, lengths: lengths, batchFirst: true)
}
