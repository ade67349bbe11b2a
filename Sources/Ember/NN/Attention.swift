import Foundation

/// softmax(q·kᵀ·scale + mask)·v over the last two dims, like
/// `torch.nn.functional.scaled_dot_product_attention`: q [..., L, E], k [..., S, E], v [..., S, Ev].
/// `attnMask` is added to the scores (0 keeps a position, −∞ hides it; it broadcasts to [..., L, S]);
/// `isCausal` hides every key after the query's own position (top-left aligned, as PyTorch's
/// `is_causal`); give it or `attnMask`, not both. `scale` defaults to 1/√E. A query that sees no key
/// at all gets zeros, as in PyTorch 2.5 and later (not NaN).
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, attnMask: Tensor? = nil, dropoutP: Float = 0,
                                      isCausal: Bool = false, scale: Float? = nil, training: Bool = true) -> Tensor {
    precondition(!(isCausal && attnMask != nil), "Ember: scaledDotProductAttention: pass attnMask or isCausal, not both")
    return attentionWeights(q, k, attnMask: attnMask, dropoutP: dropoutP, isCausal: isCausal, scale: scale,
                            training: training).matmul(v)
}

/// The attention probabilities of `scaledDotProductAttention`, [..., L, S] (after dropout).
func attentionWeights(_ q: Tensor, _ k: Tensor, attnMask: Tensor?, dropoutP: Float, isCausal: Bool, scale: Float?,
                      training: Bool) -> Tensor {
    guard q.rank >= 2, k.rank >= 2, q.shape[q.rank - 1] == k.shape[k.rank - 1] else {
        shapeFailure(ShapeError("attention: queries \(q.shape) and keys \(k.shape) need the same last dim"))
    }
    let depth = q.shape[q.rank - 1]
    var scores = q.matmul(k.transpose(-2, -1)) * (scale ?? 1 / Float(depth).squareRoot())
    if isCausal {
        scores = scores + causalMask(queries: q.shape[q.rank - 2], keys: k.shape[k.rank - 2], device: q.device)
    }
    var weights: Tensor
    if let attnMask {
        scores = scores + attnMask
    }
    if isCausal || attnMask != nil {
        // A row masked everywhere would be NaN and poison the gradients: softmax it as zeros
        // instead, then give it zero weights.
        let hidden = noGrad { scores.max(dim: -1, keepdim: true).values.eq(-Float.infinity) }
        let zero = Tensor.zeros([], device: scores.device)
        weights = `where`(hidden, zero, `where`(hidden, zero, scores).softmax(dim: -1))
    } else {
        weights = scores.softmax(dim: -1)
    }
    return dropoutP > 0 && training ? dropout(weights, p: dropoutP) : weights
}

/// The additive mask that lets query i see keys 0...i only: 0 on and below the diagonal, −∞ above,
/// like `torch.nn.Transformer.generate_square_subsequent_mask` (for `keys` = `queries`); top-left
/// aligned when `keys` differs.
public func causalMask(queries: Int, keys: Int? = nil, device: Device = .cpu) -> Tensor {
    let keys = keys ?? queries
    var values = [Float](repeating: 0, count: queries * keys)
    for i in 0..<queries where i + 1 < keys {
        for j in (i + 1)..<keys { values[i * keys + j] = -.infinity }
    }
    return Tensor(values, shape: [queries, keys]).to(device)
}

/// An additive mask from a mask of positions to ignore (nonzero: ignored → −∞, zero → 0), for the
/// `keyPaddingMask` and `attnMask` arguments, which take additive masks (Ember has no bool dtype).
/// Note that PyTorch's boolean masks for `scaled_dot_product_attention` mean the opposite (true:
/// attend); its `key_padding_mask` and `nn.MultiheadAttention` masks mean the same (true: ignore).
public func additiveMask(ignoring ignored: Tensor) -> Tensor {
    let hidden = Tensor.full([], -Float.infinity, device: ignored.device)
    return `where`(ignored.ne(0), hidden, Tensor.zeros([], device: ignored.device))
}

/// Multi-head attention, like `torch.nn.MultiheadAttention` (with kdim = vdim = embedDim): queries,
/// keys and values are projected by `in_proj_weight` [3·E, E] and `in_proj_bias`, split into
/// `numHeads` heads of E/numHeads, attended separately and joined by `out_proj`.
///
/// Inputs are [L, N, E] ([N, L, E] with `batchFirst`), or unbatched [L, E]. Masks are additive
/// floats (0 keeps, −∞ hides; see `additiveMask(ignoring:)` and `causalMask`): `attnMask` [L, S]
/// or [N·numHeads, L, S], `keyPaddingMask` [N, S]. Returns the output and, with `needWeights`, the
/// attention weights averaged over the heads, [N, L, S] (or per head, [N, numHeads, L, S]).
/// Parameters: `in_proj_weight` (Xavier-uniform), `in_proj_bias` (zeros), `out_proj.weight`,
/// `out_proj.bias` (zeros), as PyTorch initializes them.
open class MultiheadAttention: Module {
    public let embedDim: Int
    public let numHeads: Int
    /// Dropout on the attention weights, while training.
    public let dropout: Float
    public let batchFirst: Bool
    public var inProjWeight: Tensor
    public var inProjBias: Tensor?
    public let outProj: Linear

    public init(_ embedDim: Int, _ numHeads: Int, dropout: Float = 0, bias: Bool = true, batchFirst: Bool = false) {
        precondition(embedDim > 0 && numHeads > 0 && embedDim % numHeads == 0,
                     "Ember: MultiheadAttention: embedDim (\(embedDim)) must be a positive multiple of numHeads (\(numHeads))")
        precondition(dropout >= 0 && dropout <= 1, "Ember: MultiheadAttention: dropout must be in [0, 1], got \(dropout)")
        self.embedDim = embedDim
        self.numHeads = numHeads
        self.dropout = dropout
        self.batchFirst = batchFirst
        inProjWeight = Tensor.zeros([3 * embedDim, embedDim], requiresGrad: true)
        inProjBias = bias ? Tensor.zeros([3 * embedDim], requiresGrad: true) : nil
        outProj = NonDynamicallyQuantizableLinear(embedDim, embedDim, bias: bias)
        super.init()
        resetParameters()
    }

    open func resetParameters() {
        Init.xavierUniform(inProjWeight)
        if let inProjBias { Init.zeros(inProjBias) }
        if let bias = outProj.bias { Init.zeros(bias) }
    }

    /// Self-attention without masks (so the layer works in `Sequential`).
    open override func forward(_ x: Tensor) -> Tensor { attend(x, x, x, needWeights: false).output }   // refreshed already

    public func callAsFunction(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil,
                               needWeights: Bool = true, attnMask: Tensor? = nil, averageAttnWeights: Bool = true,
                               isCausal: Bool = false) -> (output: Tensor, weights: Tensor?) {
        refreshParametrizations()
        return attend(query, key, value, keyPaddingMask: keyPaddingMask, needWeights: needWeights, attnMask: attnMask,
                      averageAttnWeights: averageAttnWeights, isCausal: isCausal)
    }

    private func attend(_ query: Tensor, _ key: Tensor, _ value: Tensor, keyPaddingMask: Tensor? = nil,
                        needWeights: Bool = true, attnMask: Tensor? = nil, averageAttnWeights: Bool = true,
                        isCausal: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let unbatched = query.rank == 2
        for (name, t) in [("query", query), ("key", key), ("value", value)] {
            guard t.rank == (unbatched ? 2 : 3), t.shape[t.rank - 1] == embedDim else {
                let layout = unbatched ? "[L, \(embedDim)]" : (batchFirst ? "[N, L, \(embedDim)]" : "[L, N, \(embedDim)]")
                shapeFailure(ShapeError("MultiheadAttention: expected \(name) of shape \(layout) like the query \(query.shape), "
                    + "got \(t.shape)"))
            }
        }
        // Unbatched input is a batch of one; n, l and s are read in the input's own layout.
        let seqFirst = !unbatched && !batchFirst
        func batched(_ t: Tensor) -> Tensor { unbatched ? t.unsqueeze(0) : t }
        let (q, k, v) = (batched(query), batched(key), batched(value))
        let (n, l, s) = seqFirst ? (q.shape[1], q.shape[0], k.shape[0]) : (q.shape[0], q.shape[1], k.shape[1])
        guard k.shape == v.shape, k.shape[seqFirst ? 1 : 0] == n else {
            shapeFailure(ShapeError("MultiheadAttention: query \(query.shape), key \(key.shape) and value \(value.shape) "
                + "disagree on the batch or the key length"))
        }
        let e = embedDim, d = embedDim / numHeads
        // Projects x by `parts` consecutive E-row blocks of in_proj_weight (starting at block `first`) in
        // one product, in x's own layout, and returns each part as heads [N, heads, len, d] (views).
        func heads(_ x: Tensor, first: Int, parts: Int) -> [Tensor] {
            let whole = parts == 3
            let weight = whole ? inProjWeight : inProjWeight.narrow(0, start: first * e, length: parts * e)
            let bias = whole ? inProjBias : inProjBias?.narrow(0, start: first * e, length: parts * e)
            let projected = linear(x, weight: weight, bias: bias).reshape([x.shape[0], x.shape[1], parts, numHeads, d])
            return (0..<parts).map { projected.select(2, $0).permute(seqFirst ? [1, 2, 0, 3] : [0, 2, 1, 3]) }
        }
        // Self-attention projects queries, keys and values in one product; attention over one memory
        // (key and value the same tensor) keys and values in one.
        let qkv = query === key && key === value ? heads(q, first: 0, parts: 3)
            : key === value ? heads(q, first: 0, parts: 1) + heads(k, first: 1, parts: 2)
            : heads(q, first: 0, parts: 1) + heads(k, first: 1, parts: 1) + heads(v, first: 2, parts: 1)
        var mask: Tensor? = nil
        // As in PyTorch, isCausal stands for a causal attnMask (and a given attnMask is used as it is).
        if let attnMask = attnMask ?? (isCausal ? causalMask(queries: l, keys: s, device: q.device) : nil) {
            if attnMask.rank == 2 && attnMask.shape == [l, s] {
                mask = attnMask
            } else if attnMask.rank == 3 && attnMask.shape == [n * numHeads, l, s] {
                mask = attnMask.reshape([n, numHeads, l, s])
            } else {
                shapeFailure(ShapeError("MultiheadAttention: attnMask must be [\(l), \(s)] or [\(n * numHeads), \(l), \(s)], "
                    + "got \(attnMask.shape)"))
            }
        }
        if let keyPaddingMask {
            guard keyPaddingMask.shape == (unbatched ? [s] : [n, s]) else {
                shapeFailure(ShapeError("MultiheadAttention: keyPaddingMask must be \(unbatched ? [s] : [n, s]), "
                    + "got \(keyPaddingMask.shape)"))
            }
            let padding = keyPaddingMask.reshape([n, 1, 1, s])
            mask = mask.map { $0 + padding } ?? padding
        }
        let weights = attentionWeights(qkv[0], qkv[1], attnMask: mask, dropoutP: dropout, isCausal: false,
                                       scale: nil, training: isTraining)
        // [N, heads, L, d] → the input's layout, [N, L, E] or [L, N, E].
        let attended = weights.matmul(qkv[2]).permute(seqFirst ? [2, 0, 1, 3] : [0, 2, 1, 3])
        let projected = outProj(attended.reshape(seqFirst ? [l, n, e] : [n, l, e]))
        let output = unbatched ? projected.squeeze(0) : projected
        guard needWeights else { return (output, nil) }
        let returned = averageAttnWeights ? weights.mean(dim: 1) : weights
        return (output, unbatched ? returned.squeeze(0) : returned)
    }
}
