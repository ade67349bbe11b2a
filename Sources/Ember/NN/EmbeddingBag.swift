/// How `EmbeddingBag` reduces each bag's vectors.
public enum EmbeddingBagMode: String, Sendable {
    case sum, mean, max
}

/// The sum, mean or maximum of each bag of embeddings, without building the [bags, length, dim]
/// lookup, like `torch.nn.functional.embedding_bag`: the text classifier's "average of the word
/// vectors" in one op.
///
/// - `input`: int64 ids, either [B, N] (B bags of N ids, `offsets` nil) or all bags concatenated [M]
///   with `offsets` [B] giving where each bag starts (PyTorch's layout: the first offset is 0).
/// - `includeLastOffset`: `offsets` has B + 1 entries, the last one M (the CSR layout).
/// - `perSampleWeights`: one weight per id (input's shape), multiplying its vector; `.sum` only.
/// - `paddingIdx`: ids equal to it are left out of their bags (and out of a mean's count).
///
/// An empty bag gives zeros. The gradient reaches `weight` (and `perSampleWeights`); with `.max` each
/// output element's gradient goes to the bag's first maximal entry, as in PyTorch.
public func embeddingBag(_ input: Tensor, weight: Tensor, offsets: Tensor? = nil, mode: EmbeddingBagMode = .mean,
                         perSampleWeights: Tensor? = nil, includeLastOffset: Bool = false, paddingIdx: Int? = nil) -> Tensor {
    let bags = EmbeddingBags(input, weight: weight, offsets: offsets, includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    let device = weight.device
    if let perSampleWeights {
        guard mode == .sum else {
            shapeFailure(ShapeError("embeddingBag: perSampleWeights are only supported with mode .sum, got .\(mode)"))
        }
        guard perSampleWeights.shape == input.shape, perSampleWeights.dtype == .float32 else {
            shapeFailure(ShapeError("embeddingBag: perSampleWeights must be float32 of the input's shape \(input.shape), "
                + "got \(perSampleWeights.dtype) of shape \(perSampleWeights.shape)"))
        }
    }
    let dim = weight.shape[1]
    let kept = Tensor(bags.keptPositions.map { bags.ids[$0] }, device: device)
    var vectors = weight.indexSelect(dim: 0, indices: kept)                       // [kept, dim]
    if let perSampleWeights {
        let positions = Tensor(bags.keptPositions, device: device)
        vectors = vectors * perSampleWeights.reshape([-1]).indexSelect(dim: 0, indices: positions).unsqueeze(1)
    }
    switch mode {
    case .sum, .mean:
        let sums = Tensor.zeros([bags.count, dim], device: device)
            .indexAdd(dim: 0, index: Tensor(bags.bagOfKept, device: device), source: vectors)
        guard mode == .mean else { return sums }
        return sums / Tensor(bags.counts.map { Float(Swift.max($0, 1)) }, shape: [bags.count, 1], device: device)
    case .max:
        // Each bag's rows side by side, [B, longest, dim], short bags filled from an extra −∞ row.
        let longest = bags.counts.max() ?? 0
        guard longest > 0 else { return Tensor.zeros([bags.count, dim], device: device) }
        let filler = bags.keptPositions.count
        var slots = [Int](repeating: filler, count: bags.count * longest), next = [Int](repeating: 0, count: bags.count)
        for (k, bag) in bags.bagOfKept.enumerated() {
            slots[bag * longest + next[bag]] = k
            next[bag] += 1
        }
        let rows = Tensor.cat([vectors, Tensor.full([1, dim], -Float.infinity, device: device)], dim: 0)
        let maxima = rows.indexSelect(dim: 0, indices: Tensor(slots, device: device)).reshape([bags.count, longest, dim])
            .max(dim: 1).values
        let empty = Tensor(bags.counts.map { $0 == 0 ? 1 : 0 } as [Float], shape: [bags.count, 1], device: device)
        return maxima.maskedFill(empty, 0)
    }
}

/// The bags of one `embeddingBag` call, read to the host and checked: which ids stay (padding left
/// out) and the bag each belongs to.
private struct EmbeddingBags {
    let ids: [Int]
    let count: Int
    /// Positions in `input` of the ids that stay, bag by bag, and their bags.
    private(set) var keptPositions: [Int] = [], bagOfKept: [Int] = []
    private(set) var counts: [Int]

    init(_ input: Tensor, weight: Tensor, offsets: Tensor?, includeLastOffset: Bool, paddingIdx: Int?) {
        func fail(_ message: String) -> Never { shapeFailure(ShapeError("embeddingBag: " + message)) }
        guard weight.rank == 2, weight.dtype == .float32 else {
            fail("weight must be float32 [numEmbeddings, embeddingDim], got \(weight.dtype) of shape \(weight.shape)")
        }
        guard input.dtype == .int64 else {
            fail("input must be int64 ids, got \(input.dtype) of shape \(input.shape); convert with .to(.int64)")
        }
        let rows = weight.shape[0]
        ids = input.toIntArray()
        var starts: [Int]
        switch (input.rank, offsets) {
        case (2, nil):
            starts = (0...input.shape[0]).map { $0 * input.shape[1] }
        case (2, .some):
            fail("input [B, N] holds its bags as rows; offsets are only for a 1-D input, got offsets with input of shape \(input.shape)")
        case (1, let offsets?):
            guard offsets.rank == 1, offsets.dtype == .int64 else {
                fail("offsets must be a 1-D int64 tensor, got \(offsets.dtype) of shape \(offsets.shape)")
            }
            starts = offsets.toIntArray()
            if !includeLastOffset { starts.append(ids.count) }
            guard starts.count >= 2 || (includeLastOffset && starts.count == 1) else {
                fail("includeLastOffset needs at least one offset (the end), got none")
            }
            guard starts.first == 0 else { fail("offsets[0] must be 0 (the first bag starts the input), got \(starts[0])") }
            if let bad = starts.indices.dropLast().first(where: { starts[$0] > starts[$0 + 1] }) {
                fail("offsets must not decrease, got \(starts[bad]) then \(starts[bad + 1])")
            }
            guard starts.last! <= ids.count else {
                fail("the last offset \(starts.last!) is beyond the input's \(ids.count) ids")
            }
            if includeLastOffset && starts.last! != ids.count {
                fail("with includeLastOffset the last offset must be the input's length \(ids.count), got \(starts.last!)")
            }
        case (1, nil):
            fail("a 1-D input needs offsets (where each bag starts); or give bags of one length as rows of a 2-D input")
        default:
            fail("expected input [B, N], or [M] with offsets, got shape \(input.shape)")
        }
        count = starts.count - 1
        let padding = paddingIdx.map { $0 < 0 ? $0 + rows : $0 }
        if let paddingIdx, !(0..<rows).contains(padding!) {
            fail("paddingIdx \(paddingIdx) is out of range for \(rows) embeddings")
        }
        counts = [Int](repeating: 0, count: count)
        for bag in 0..<count {
            for position in starts[bag]..<starts[bag + 1] {
                let id = ids[position]
                guard (0..<rows).contains(id) else {
                    fail("id \(id) at position \(position) is out of range for \(rows) embeddings")
                }
                if id == padding { continue }
                keptPositions.append(position)
                bagOfKept.append(bag)
                counts[bag] += 1
            }
        }
    }
}

/// Bags of embeddings reduced to one vector each, like `torch.nn.EmbeddingBag`: the first layer of
/// PyTorch's text classification tutorial (`EmbeddingBag(vocabSize, 64)` over a batch of
/// concatenated token ids and their offsets).
///
/// The weight starts as N(0, 1), like PyTorch's; the row at `paddingIdx` (if any) starts as zeros and,
/// being left out of every bag, is never trained. State-dict entry: `weight`.
open class EmbeddingBag: Module {
    public let numEmbeddings: Int
    public let embeddingDim: Int
    public let mode: EmbeddingBagMode
    public let includeLastOffset: Bool
    /// The id left out of bags (normalized to 0..<numEmbeddings), or nil.
    public let paddingIdx: Int?
    /// [numEmbeddings, embeddingDim]
    public var weight: Tensor

    public init(_ numEmbeddings: Int, _ embeddingDim: Int, mode: EmbeddingBagMode = .mean, includeLastOffset: Bool = false,
                paddingIdx: Int? = nil) {
        precondition(numEmbeddings >= 0 && embeddingDim >= 0,
                     "Ember: EmbeddingBag needs non-negative sizes, got \(numEmbeddings) × \(embeddingDim)")
        if let paddingIdx {
            precondition(paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings,
                         "Ember: EmbeddingBag: paddingIdx \(paddingIdx) is out of range for \(numEmbeddings) embeddings")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.mode = mode
        self.includeLastOffset = includeLastOffset
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        weight = Tensor.zeros([numEmbeddings, embeddingDim], requiresGrad: true)
        super.init()
        resetParameters()
    }

    /// PyTorch's default: N(0, 1), with the padding row zeroed.
    open func resetParameters() {
        Init.normal(weight)
        if let paddingIdx { noGrad { _ = weight.select(0, paddingIdx).fill_(0) } }
    }

    /// Bags as the rows of a 2-D input [B, N].
    open override func forward(_ input: Tensor) -> Tensor {
        embeddingBag(input, weight: weight, mode: mode, includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    }

    /// One vector per bag: `input` [B, N], or [M] with `offsets`.
    public func callAsFunction(_ input: Tensor, offsets: Tensor? = nil, perSampleWeights: Tensor? = nil) -> Tensor {
        refreshParametrizations()
        return embeddingBag(input, weight: weight, offsets: offsets, mode: mode, perSampleWeights: perSampleWeights,
                     includeLastOffset: includeLastOffset, paddingIdx: paddingIdx)
    }

    open override var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim), mode='\(mode.rawValue)'" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
