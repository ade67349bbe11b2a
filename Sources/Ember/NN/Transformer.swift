/// The activation between a Transformer layer's two feed-forward products.
public enum TransformerActivation: String, Sendable {
    case relu, gelu

    func callAsFunction(_ x: Tensor) -> Tensor { self == .relu ? x.relu() : x.gelu() }
}

/// The encoder-decoder Transformer of "Attention Is All You Need", like `torch.nn.Transformer`: an
/// encoder of `numEncoderLayers` layers over the source and a decoder of `numDecoderLayers` layers
/// over the target that attends to the encoder's output, each stack ending in a LayerNorm.
/// `transformer(src, tgt, tgtMask: Transformer.generateSquareSubsequentMask(T))` gives [T, N, dModel]
/// ([N, T, dModel] with `batchFirst`); masks are additive. Every weight matrix starts Xavier-uniform,
/// as PyTorch's `_reset_parameters` does. Parameters: `encoder.layers.0.*`, ..., `encoder.norm.*`,
/// `decoder.layers.0.*`, ..., `decoder.norm.*`.
open class Transformer: Module {
    public let encoder: TransformerEncoder
    public let decoder: TransformerDecoder
    public let dModel: Int
    public let nhead: Int
    public let batchFirst: Bool

    public init(dModel: Int = 512, nhead: Int = 8, numEncoderLayers: Int = 6, numDecoderLayers: Int = 6,
                dimFeedforward: Int = 2048, dropout: Float = 0.1, activation: TransformerActivation = .relu,
                customEncoder: TransformerEncoder? = nil, customDecoder: TransformerDecoder? = nil,
                layerNormEps: Float = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true) {
        encoder = customEncoder ?? TransformerEncoder(
            TransformerEncoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                    activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst,
                                    normFirst: normFirst, bias: bias),
            numLayers: numEncoderLayers, norm: LayerNorm(dModel, eps: layerNormEps, bias: bias))
        decoder = customDecoder ?? TransformerDecoder(
            TransformerDecoderLayer(dModel: dModel, nhead: nhead, dimFeedforward: dimFeedforward, dropout: dropout,
                                    activation: activation, layerNormEps: layerNormEps, batchFirst: batchFirst,
                                    normFirst: normFirst, bias: bias),
            numLayers: numDecoderLayers, norm: LayerNorm(dModel, eps: layerNormEps, bias: bias))
        self.dModel = dModel
        self.nhead = nhead
        self.batchFirst = batchFirst
        super.init()
        resetParameters()
    }

    open func resetParameters() {
        for p in parameters() where p.rank > 1 { Init.xavierUniform(p) }
    }

    /// `torch.nn.Transformer.generate_square_subsequent_mask`: position i of the target sees
    /// positions 0...i only.
    public static func generateSquareSubsequentMask(_ size: Int, device: Device = .cpu) -> Tensor {
        causalMask(queries: size, device: device)
    }

    open override func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: Transformer needs the source and the target: call transformer(src, tgt)")
    }

    /// src [S, N, E] and tgt [T, N, E] ([N, S, E] and [N, T, E] with `batchFirst`, or unbatched
    /// [S, E] and [T, E]). Masks as PyTorch's: `srcMask` [S, S], `tgtMask` [T, T], `memoryMask` [T, S],
    /// padding masks [N, S], [N, T] and [N, S].
    public func callAsFunction(_ src: Tensor, _ tgt: Tensor, srcMask: Tensor? = nil, tgtMask: Tensor? = nil,
                               memoryMask: Tensor? = nil, srcKeyPaddingMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               srcIsCausal: Bool = false, tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        let batchDim = batchFirst ? 0 : 1
        guard src.rank == tgt.rank, src.rank == 2 || src.rank == 3,
              src.rank == 2 || src.shape[batchDim] == tgt.shape[batchDim] else {
            shapeFailure(ShapeError("Transformer: src \(src.shape) and tgt \(tgt.shape) must both be "
                + (batchFirst ? "[N, len, \(dModel)]" : "[len, N, \(dModel)]") + " with the same batch N (or both unbatched)"))
        }
        guard src.shape[src.rank - 1] == dModel, tgt.shape[tgt.rank - 1] == dModel else {
            shapeFailure(ShapeError("Transformer: the feature number of src \(src.shape) and tgt \(tgt.shape) "
                + "must equal dModel (\(dModel))"))
        }
        let memory = encoder(src, mask: srcMask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: srcIsCausal)
        return decoder(tgt, memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                       memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: tgtIsCausal, memoryIsCausal: memoryIsCausal)
    }
}
