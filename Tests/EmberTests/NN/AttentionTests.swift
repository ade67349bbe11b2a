import Foundation
import Testing
@testable import Ember

/// LayerNorm, MultiheadAttention and the Transformer encoder against PyTorch (fixtures from
/// scripts/make_attention_fixtures.py): outputs and the gradients of sum(output·up).
@Suite("LayerNorm, attention and Transformer encoder")
struct AttentionTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("attention.json") }

    func cases(_ key: String, count: Int) -> [[String: Any]] {
        let all = fixture[key] as? [[String: Any]] ?? []
        #expect(all.count == count, "\(key): \(all.count) cases, expected \(count)")
        return all
    }

    @Test func layerNormMatchesTorch() throws {
        for c in cases("layer_norm", count: 2) {
            let shape = ints(c["normalized_shape"])
            let norm = LayerNorm(shape)
            try loadParameters(norm, c["params"])
            let x = tensor(c["input"], [2, 3, 4], requiresGrad: true)
            let y = norm(x)
            expectClose(y.toArray(), floats(c["out"]), "LayerNorm \(shape) out")
            (y * tensor(c["upstream"], [2, 3, 4])).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_input"]), atol: 1e-4, "LayerNorm \(shape) grad input")
            expectParameterGrads(norm, c["grads"], "LayerNorm \(shape)")
        }
        #expect(LayerNorm(8).description == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)")
        #expect(LayerNorm(8, bias: false).description == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=False)")
        #expect(LayerNorm([3, 4], elementwiseAffine: false).description == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=False, bias=False)")
        #expect(LayerNorm([3, 4], elementwiseAffine: false).parameters().isEmpty)
    }

    /// The fused kernels with a weight only, a bias only, neither, and a strided input, against finite
    /// differences (the fixtures cover weight and bias together).
    @Test func layerNormGradientsWithoutAffineParts() {
        manualSeed(4)
        let up = Tensor.randn([5, 6])
        for (hasWeight, hasBias) in [(false, false), (true, false), (false, true)] {
            let weight = hasWeight ? Tensor.randn([6], requiresGrad: true) : nil
            let bias = hasBias ? Tensor.randn([6], requiresGrad: true) : nil
            let x = (Tensor.randn([6, 5]) * 2 + 1).requiringGrad()
            func f(_ t: Tensor) -> Tensor { layerNorm(t.t(), normalizedShape: [6], weight: weight, bias: bias) * up }
            f(x).sum().backward()
            let what = "layerNorm weight \(hasWeight) bias \(hasBias)"
            expectClose(x.grad!.toArray(), numericalGradient(of: f, at: x.detach()), atol: 2e-2, rtol: 2e-2, "\(what) input")
            if let weight {
                expectClose(weight.grad!.toArray(), numericalGradient(of: { w in
                    layerNorm(x.detach().t(), normalizedShape: [6], weight: w, bias: bias) * up
                }, at: weight.detach()), atol: 2e-2, rtol: 2e-2, "\(what) weight")
            }
            if let bias { expectClose(bias.grad!.toArray(), up.sum(dims: [0]).toArray(), "\(what) bias") }
            expectClose(f(x).toArray(), (layerNorm(x.t().contiguous(), normalizedShape: [6], weight: weight, bias: bias)
                * up).toArray(), "\(what) strided input")
        }
        // Enough rows that the weight and bias gradients are summed by both threads, in column blocks.
        let weight = Tensor.randn([40], requiresGrad: true), bias = Tensor.randn([40], requiresGrad: true)
        let x = Tensor.randn([8192, 40]), upstream = Tensor.randn([8192, 40])
        (layerNorm(x, normalizedShape: [40], weight: weight, bias: bias) * upstream).sum().backward()
        let normalized = layerNorm(x, normalizedShape: [40])
        expectClose(weight.grad!.toArray(), (normalized * upstream).sum(dims: [0]).toArray(), atol: 1e-2, "many rows weight")
        expectClose(bias.grad!.toArray(), upstream.sum(dims: [0]).toArray(), atol: 1e-2, "many rows bias")
    }

    @Test func multiheadAttentionMatchesTorch() throws {
        for c in cases("attention", count: 3) {
            let batchFirst = c["batch_first"] as! Bool, average = c["average"] as! Bool, masks = c["masks"] as! Bool
            let maskShape = ints(c["attn_mask_shape"])
            let what = "attention batchFirst \(batchFirst) masks \(maskShape)"
            let mha = MultiheadAttention(c["embed_dim"] as! Int, c["num_heads"] as! Int, bias: c["bias"] as! Bool,
                                         batchFirst: batchFirst)
            try loadParameters(mha, c["params"])
            let qShape = ints(c["query_shape"]), kShape = ints(c["key_shape"])
            let q = tensor(c["query"], qShape, requiresGrad: true)
            let k = tensor(c["key"], kShape, requiresGrad: true), v = tensor(c["value"], kShape, requiresGrad: true)
            let (n, s) = batchFirst ? (kShape[0], kShape[1]) : (kShape[1], kShape[0])
            let l = batchFirst ? qShape[1] : qShape[0]
            let (out, weights) = mha(q, k, v, keyPaddingMask: masks ? tensor(c["key_padding_mask"], [n, s]) : nil,
                                     attnMask: masks ? tensor(c["attn_mask"], maskShape) : nil, averageAttnWeights: average)
            #expect(maskShape.suffix(2) == [l, s])
            expectClose(out.toArray(), floats(c["out"]), "\(what) out")
            #expect(weights?.shape == ints(c["weights_shape"]))
            expectClose(weights?.toArray() ?? [], floats(c["weights"]), "\(what) weights")
            (out * tensor(c["upstream"], out.shape)).sum().backward()
            expectClose(q.grad!.toArray(), floats(c["grad_query"]), atol: 1e-4, "\(what) grad query")
            expectClose(k.grad!.toArray(), floats(c["grad_key"]), atol: 1e-4, "\(what) grad key")
            expectClose(v.grad!.toArray(), floats(c["grad_value"]), atol: 1e-4, "\(what) grad value")
            expectParameterGrads(mha, c["grads"], what)
        }
    }

    @Test func encoderLayersMatchTorch() throws {
        for c in cases("encoder_layers", count: 2) {
            let batchFirst = c["batch_first"] as! Bool, normFirst = c["norm_first"] as! Bool
            let activation = TransformerActivation(rawValue: c["activation"] as! String)!
            let what = "encoder layer normFirst \(normFirst) \(activation)"
            let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, activation: activation,
                                                batchFirst: batchFirst, normFirst: normFirst)
            try loadParameters(layer, c["params"])
            let shape = ints(c["input_shape"])
            let x = tensor(c["input"], shape, requiresGrad: true)
            let padding = c["key_padding_mask"] is NSNull ? nil : tensor(c["key_padding_mask"], [2, 5])
            let mask = c["mask"] as! String == "causal" ? causalMask(queries: 5) : nil
            let y = layer(x, mask: mask, srcKeyPaddingMask: padding)
            expectClose(y.toArray(), floats(c["out"]), atol: 1e-4, "\(what) out")
            (y * tensor(c["upstream"], shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_input"]), atol: 1e-4, "\(what) grad input")
            expectParameterGrads(layer, c["grads"], what)
        }
    }

    /// print(model) of an encoder stack is PyTorch's, character for character: the layers as a ModuleList
    /// with equal ones folded, MHA's out_proj as NonDynamicallyQuantizableLinear, the norms' bias.
    @Test func encoderStackPrintsAsPyTorch() {
        let encoder = TransformerEncoder(TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16), numLayers: 2)
        #expect(encoder.description == fixture["encoder_description"] as! String)
    }

    @Test func encoderStackMatchesTorch() throws {
        let c = object(fixture["encoder"])
        let encoder = TransformerEncoder(TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, batchFirst: true),
                                         numLayers: 2, norm: LayerNorm(8))
        try loadParameters(encoder, c["params"])
        let shape = ints(c["input_shape"])
        let x = tensor(c["input"], shape, requiresGrad: true)
        let y = encoder(x)
        expectClose(y.toArray(), floats(c["out"]), atol: 1e-4, "encoder out")
        (y * tensor(c["upstream"], shape)).sum().backward()
        expectClose(x.grad!.toArray(), floats(c["grad_input"]), atol: 1e-4, "encoder grad input")
        expectParameterGrads(encoder, c["grads"], "encoder")
    }

    /// A query that may see no key gets zeros (PyTorch 2.5+), not NaN, and its gradients stay finite:
    /// a left-padded sequence under a causal mask has such rows.
    @Test func fullyMaskedRowsGiveZerosNotNaN() {
        manualSeed(5)
        let q = Tensor.randn([1, 3, 4], requiresGrad: true), k = Tensor.randn([1, 3, 4]), v = Tensor.randn([1, 3, 2])
        let mask = Tensor([[-.infinity, -.infinity, -.infinity], [0, 0, -.infinity], [0, 0, 0]] as [[Float]])
        let out = scaledDotProductAttention(q, k, v, attnMask: mask)
        #expect(out.select(1, 0).toArray() == [0, 0])
        out.sum().backward()
        #expect(q.grad!.toArray().allSatisfy(\.isFinite) && q.grad!.select(1, 0).toArray() == [0, 0, 0, 0])
        let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, batchFirst: true)
        let x = Tensor.randn([2, 4, 8], requiresGrad: true)
        let leftPadding = additiveMask(ignoring: Tensor([[1, 1, 0, 0], [0, 0, 0, 0]] as [[Float]]))
        let y = layer(x, mask: causalMask(queries: 4), srcKeyPaddingMask: leftPadding)
        y.sum().backward()
        let finite = [y, x.grad!, layer.linear1.weight.grad!].map { $0.toArray().allSatisfy { $0.isFinite } }
        #expect(finite == [true, true, true])
    }

    @Test func masksAndCopies() {
        #expect(causalMask(queries: 3).toArray() == [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        #expect(additiveMask(ignoring: Tensor([0, 1, 0] as [Float])).toArray() == [0, -.infinity, 0])
        #expect(additiveMask(ignoring: Tensor([3, 0, 5]).eq(0)).toArray() == [0, -.infinity, 0])   // padding token 0
        // README's example: token ids through Embedding into a masked, causal encoder.
        let tokens = Tensor([[5, 2, 0, 0], [7, 1, 3, 0]])
        let vectors = Embedding(10, 8, paddingIdx: 0)(tokens)
        let stack = TransformerEncoder(TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, batchFirst: true),
                                       numLayers: 2, norm: LayerNorm(8))
        let encoded = stack(vectors, mask: causalMask(queries: 4), srcKeyPaddingMask: additiveMask(ignoring: tokens.eq(0)))
        #expect(encoded.shape == [2, 4, 8] && encoded.toArray().allSatisfy(\.isFinite))
        let hide = -Float.infinity
        let wide: [Float] = [0, hide, hide, hide, 0, 0, hide, hide], tall: [Float] = [0, hide, 0, 0, 0, 0]
        #expect(causalMask(queries: 2, keys: 4).toArray() == wide)
        #expect(causalMask(queries: 3, keys: 2).toArray() == tall)
        manualSeed(3)
        let q = Tensor.randn([2, 4, 6]), k = Tensor.randn([2, 4, 6]), v = Tensor.randn([2, 4, 3])
        // The first query sees only the first key, so its output is the first value.
        expectClose(scaledDotProductAttention(q, k, v, isCausal: true).select(1, 0).toArray(), v.select(1, 0).toArray())
        // An encoder's layers start as copies of its layer, as PyTorch deep-copies it, but train apart.
        let layer = TransformerEncoderLayer(dModel: 4, nhead: 2, dimFeedforward: 8)
        let encoder = TransformerEncoder(layer, numLayers: 2)
        #expect(encoder.layers[0].linear1.weight.toArray() == layer.linear1.weight.toArray())
        #expect(encoder.layers[1].selfAttn.inProjWeight.toArray() == layer.selfAttn.inProjWeight.toArray())
        #expect(encoder.layers[0].linear1.weight.storage !== encoder.layers[1].linear1.weight.storage)
        #expect(encoder.parameters().count == 24)
        layer.eval()
        #expect(!TransformerEncoder(layer, numLayers: 1).layers[0].isTraining)   // the mode is copied too
    }
}
