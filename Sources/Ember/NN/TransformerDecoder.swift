/// One Transformer decoder layer, like `torch.nn.TransformerDecoderLayer`: self-attention over the
/// target, attention from the target to the encoder's output (`memory`), then a feed-forward block
/// (dModel → dimFeedforward → dModel), each with a residual connection and LayerNorm, after the
/// block (the default) or before it (`normFirst`). Layouts as `MultiheadAttention` ([T, N, E], or
/// [N, T, E] with `batchFirst`); masks are additive (`causalMask`, `additiveMask(ignoring:)`):
/// `layer(tgt, memory, tgtMask: causalMask(queries: T))`.
/// Parameters are named as in PyTorch: `self_attn.*`, `multihead_attn.*`, `linear1.*`, `linear2.*`,
/// `norm1.*`, `norm2.*`, `norm3.*`.
open class TransformerDecoderLayer: Module {
    public let selfAttn: MultiheadAttention
    public let multiheadAttn: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let normFirst: Bool
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let norm3: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let dropout3: Dropout
    public let activation: TransformerActivation

    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Float = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true) {
        selfAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst)
        multiheadAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst)
        linear1 = Linear(dModel, dimFeedforward, bias: bias)
        self.dropout = Dropout(dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias)
        self.normFirst = normFirst
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm3 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        dropout1 = Dropout(dropout)
        dropout2 = Dropout(dropout)
        dropout3 = Dropout(dropout)
        self.activation = activation
        super.init()
    }

    /// A new layer with the same configuration, parameter values and mode (see
    /// `TransformerEncoderLayer.copy()`).
    open func copy() -> TransformerDecoderLayer {
        let layer = TransformerDecoderLayer(dModel: selfAttn.embedDim, nhead: selfAttn.numHeads,
                                            dimFeedforward: linear1.outFeatures, dropout: dropout.p, activation: activation,
                                            layerNormEps: norm1.eps, batchFirst: selfAttn.batchFirst, normFirst: normFirst,
                                            bias: linear1.bias != nil)
        return layer.copyingState(of: self)
    }

    open override func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: TransformerDecoderLayer needs the target and the memory: call layer(tgt, memory)")
    }

    /// `tgtMask` [T, T] (or [N·heads, T, T]) and `memoryMask` [T, S] are PyTorch's `tgt_mask` and
    /// `memory_mask`; the padding masks are [N, T] and [N, S].
    public func callAsFunction(_ tgt: Tensor, _ memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        func selfAttention(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, x, x, keyPaddingMask: tgtKeyPaddingMask, needWeights: false, attnMask: tgtMask,
                              isCausal: tgtIsCausal).output)
        }
        func memoryAttention(_ x: Tensor) -> Tensor {
            dropout2(multiheadAttn(x, memory, memory, keyPaddingMask: memoryKeyPaddingMask, needWeights: false,
                                   attnMask: memoryMask, isCausal: memoryIsCausal).output)
        }
        func feedForward(_ x: Tensor) -> Tensor { dropout3(linear2(dropout(activation(linear1(x))))) }
        if normFirst {
            var x = tgt + selfAttention(norm1(tgt))
            x = x + memoryAttention(norm2(x))
            return x + feedForward(norm3(x))
        }
        var x = norm1(tgt + selfAttention(tgt))
        x = norm2(x + memoryAttention(x))
        return norm3(x + feedForward(x))
    }
}

/// A stack of `numLayers` copies of a decoder layer with an optional final LayerNorm, like
/// `torch.nn.TransformerDecoder` (parameters `layers.0.*`, `layers.1.*`, ..., `norm.*`). Every layer
/// attends to the same `memory`.
open class TransformerDecoder: Module {
    public let layers: [TransformerDecoderLayer]
    public let norm: LayerNorm?

    public init(_ decoderLayer: TransformerDecoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        precondition(numLayers >= 1, "Ember: TransformerDecoder needs at least one layer, got \(numLayers)")
        layers = (0..<numLayers).map { _ in decoderLayer.copy() }
        self.norm = norm
        super.init()
    }

    open override func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: TransformerDecoder needs the target and the memory: call decoder(tgt, memory)")
    }

    public func callAsFunction(_ tgt: Tensor, _ memory: Tensor, tgtMask: Tensor? = nil, memoryMask: Tensor? = nil,
                               tgtKeyPaddingMask: Tensor? = nil, memoryKeyPaddingMask: Tensor? = nil,
                               tgtIsCausal: Bool = false, memoryIsCausal: Bool = false) -> Tensor {
        var x = tgt
        for layer in layers {
            x = layer(x, memory, tgtMask: tgtMask, memoryMask: memoryMask, tgtKeyPaddingMask: tgtKeyPaddingMask,
                      memoryKeyPaddingMask: memoryKeyPaddingMask, tgtIsCausal: tgtIsCausal, memoryIsCausal: memoryIsCausal)
        }
        return norm.map { $0(x) } ?? x
    }
}
