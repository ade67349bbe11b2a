/// One Transformer encoder layer, like `torch.nn.TransformerEncoderLayer`: self-attention, then a
/// feed-forward block (dModel → dimFeedforward → dModel), each with a residual connection and
/// LayerNorm, after the block (the default) or before it (`normFirst`). Inputs as
/// `MultiheadAttention` takes them ([S, N, E], or [N, S, E] with `batchFirst`); masks are additive:
/// `layer(x, mask: causalMask(queries: S), srcKeyPaddingMask: padding)` (`mask` is PyTorch's `src_mask`;
/// pass `mask: nil` for padding alone).
/// Parameters are named as in PyTorch: `self_attn.*`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`.
open class TransformerEncoderLayer: Module {
    public let selfAttn: MultiheadAttention
    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let normFirst: Bool
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let activation: TransformerActivation

    public init(dModel: Int, nhead: Int, dimFeedforward: Int = 2048, dropout: Float = 0.1,
                activation: TransformerActivation = .relu, layerNormEps: Float = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, bias: Bool = true) {
        selfAttn = MultiheadAttention(dModel, nhead, dropout: dropout, bias: bias, batchFirst: batchFirst)
        linear1 = Linear(dModel, dimFeedforward, bias: bias)
        self.dropout = Dropout(dropout)
        linear2 = Linear(dimFeedforward, dModel, bias: bias)
        self.normFirst = normFirst
        norm1 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        norm2 = LayerNorm(dModel, eps: layerNormEps, bias: bias)
        dropout1 = Dropout(dropout)
        dropout2 = Dropout(dropout)
        self.activation = activation
        super.init()
    }

    /// A new layer with the same configuration, parameter values and mode (PyTorch's
    /// `TransformerEncoder` deep-copies its layer, so all its layers start alike). A subclass with
    /// state of its own overrides this.
    open func copy() -> TransformerEncoderLayer {
        let layer = TransformerEncoderLayer(dModel: selfAttn.embedDim, nhead: selfAttn.numHeads,
                                            dimFeedforward: linear1.outFeatures, dropout: dropout.p, activation: activation,
                                            layerNormEps: norm1.eps, batchFirst: selfAttn.batchFirst, normFirst: normFirst,
                                            bias: linear1.bias != nil)
        return layer.copyingState(of: self)
    }

    open override func forward(_ x: Tensor) -> Tensor { self(x, mask: nil) }

    public func callAsFunction(_ src: Tensor, mask: Tensor?, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        func attention(_ x: Tensor) -> Tensor {
            dropout1(selfAttn(x, x, x, keyPaddingMask: srcKeyPaddingMask, needWeights: false, attnMask: mask,
                              isCausal: isCausal).output)
        }
        func feedForward(_ x: Tensor) -> Tensor { dropout2(linear2(dropout(activation(linear1(x))))) }
        if normFirst {
            let x = src + attention(norm1(src))
            return x + feedForward(norm2(x))
        }
        let x = norm1(src + attention(src))
        return norm2(x + feedForward(x))
    }
}

/// A stack of `numLayers` copies of an encoder layer with an optional final LayerNorm, like
/// `torch.nn.TransformerEncoder` (parameters `layers.0.*`, `layers.1.*`, ..., `norm.*`).
open class TransformerEncoder: Module {
    public let layers: [TransformerEncoderLayer]
    public let norm: LayerNorm?

    public init(_ encoderLayer: TransformerEncoderLayer, numLayers: Int, norm: LayerNorm? = nil) {
        precondition(numLayers >= 1, "Ember: TransformerEncoder needs at least one layer, got \(numLayers)")
        layers = (0..<numLayers).map { _ in encoderLayer.copy() }
        self.norm = norm
        super.init()
    }

    open override func forward(_ x: Tensor) -> Tensor { self(x, mask: nil) }

    public func callAsFunction(_ src: Tensor, mask: Tensor?, srcKeyPaddingMask: Tensor? = nil, isCausal: Bool = false) -> Tensor {
        var x = src
        for layer in layers { x = layer(x, mask: mask, srcKeyPaddingMask: srcKeyPaddingMask, isCausal: isCausal) }
        return norm.map { $0(x) } ?? x
    }
}
