/// Rows of `weight` [num, dim] looked up by int64 `indices` of any shape: the result has shape
/// `indices.shape + [dim]`, like `torch.nn.functional.embedding`. The row at `paddingIdx` gets no
/// gradient (its lookups still return it).
public func embedding(_ indices: Tensor, weight: Tensor, paddingIdx: Int? = nil) -> Tensor {
    guard weight.rank == 2 else {
        shapeFailure(ShapeError("embedding: weight must be 2-D [numEmbeddings, embeddingDim], got shape \(weight.shape)"))
    }
    guard indices.dtype == .int64 else {
        shapeFailure(ShapeError("embedding: indices must be int64, got \(indices.dtype) of shape \(indices.shape); "
            + "convert them with .to(.int64)"))
    }
    let (rows, dim) = (weight.shape[0], weight.shape[1])
    let flat = indices.reshape([-1])
    let looked: Tensor
    if let paddingIdx {
        let padding = paddingIdx < 0 ? paddingIdx + rows : paddingIdx
        guard padding >= 0 && padding < rows else {
            shapeFailure(ShapeError("embedding: paddingIdx \(paddingIdx) is out of range for \(rows) embeddings"))
        }
        // indexSelect's own backward, with the padding row's gradient cleared.
        looked = noGrad { weight.indexSelect(dim: 0, indices: flat) }.recording("embedding", inputs: [weight],
                                                                               saving: [flat]) { g in
            if Tensor.isRecordingBackward {
                return Tensor.recomputedGradients(of: [weight], outputGradient: g) {
                    let keep = Tensor.ones([rows, 1], device: weight.device)
                    noGrad { _ = keep.select(0, padding).fill_(0) }
                    return (weight * keep).indexSelect(dim: 0, indices: flat)
                }
            }
            let gc = g.contiguous()
            let grad = Tensor.result(g.backend.indexAdd(gc.view, indices: flat.view, outer: 1, size: rows, inner: dim),
                                     shape: [rows, dim])
            noGrad { _ = grad.select(0, padding).fill_(0) }
            return [grad]
        }
    } else {
        looked = weight.indexSelect(dim: 0, indices: flat)
    }
    return looked.reshape(indices.shape + [dim])
}

/// A lookup table of `numEmbeddings` vectors of `embeddingDim` floats, like `torch.nn.Embedding`:
/// `embedding(tokens)` maps int64 token ids of any shape to their vectors (`[..., embeddingDim]`).
///
/// The weight starts as N(0, 1), like PyTorch's; the row at `paddingIdx` (if any) starts as zeros
/// and is never trained. State-dict entry: `weight`.
open class Embedding: Module {
    public let numEmbeddings: Int
    public let embeddingDim: Int
    /// The row that gets no gradient (normalized to 0..<numEmbeddings), or nil.
    public let paddingIdx: Int?
    /// [numEmbeddings, embeddingDim]
    public var weight: Tensor

    public init(_ numEmbeddings: Int, _ embeddingDim: Int, paddingIdx: Int? = nil) {
        precondition(numEmbeddings >= 0 && embeddingDim >= 0,
                     "Ember: Embedding needs non-negative sizes, got \(numEmbeddings) × \(embeddingDim)")
        if let paddingIdx {
            precondition(paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings,
                         "Ember: Embedding: paddingIdx \(paddingIdx) is out of range for \(numEmbeddings) embeddings")
        }
        self.numEmbeddings = numEmbeddings
        self.embeddingDim = embeddingDim
        self.paddingIdx = paddingIdx.map { $0 < 0 ? $0 + numEmbeddings : $0 }
        weight = Tensor.zeros([numEmbeddings, embeddingDim], requiresGrad: true)
        super.init()
        resetParameters()
    }

    public convenience init(numEmbeddings: Int, embeddingDim: Int, paddingIdx: Int? = nil) {
        self.init(numEmbeddings, embeddingDim, paddingIdx: paddingIdx)
    }

    /// PyTorch's default: N(0, 1), with the padding row zeroed.
    open func resetParameters() {
        Init.normal(weight)
        if let paddingIdx { noGrad { _ = weight.select(0, paddingIdx).fill_(0) } }
    }

    open override func forward(_ indices: Tensor) -> Tensor { embedding(indices, weight: weight, paddingIdx: paddingIdx) }

    open override var extraDescription: String {
        "\(numEmbeddings), \(embeddingDim)" + (paddingIdx.map { ", padding_idx=\($0)" } ?? "")
    }
}
