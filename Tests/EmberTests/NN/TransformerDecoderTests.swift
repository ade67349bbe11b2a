import Foundation
import Testing
@testable import Ember

/// The Transformer decoder and the whole encoder-decoder `Transformer` against PyTorch (fixtures from
/// scripts/make_attention_fixtures.py): outputs and the gradients of sum(output·up) with respect to
/// the inputs and every parameter.
@Suite("Transformer decoder and nn.Transformer")
struct TransformerDecoderTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("attention.json") }

    func optionalTensor(_ value: Any?, _ shape: [Int]) -> Tensor? { value is NSNull ? nil : tensor(value, shape) }

    @Test func decoderLayersMatchTorch() throws {
        let all = fixture["decoder_layers"] as? [[String: Any]] ?? []
        #expect(all.count == 2)
        for c in all {
            let batchFirst = c["batch_first"] as! Bool, normFirst = c["norm_first"] as! Bool
            let activation = TransformerActivation(rawValue: c["activation"] as! String)!
            let masks = c["masks"] as! String
            let what = "decoder layer normFirst \(normFirst) \(activation) \(masks)"
            let layer = TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, activation: activation,
                                                batchFirst: batchFirst, normFirst: normFirst)
            try loadParameters(layer, c["params"])
            let tgtShape = ints(c["tgt_shape"]), memoryShape = ints(c["memory_shape"])
            let tgt = tensor(c["tgt"], tgtShape, requiresGrad: true)
            let memory = tensor(c["memory"], memoryShape, requiresGrad: true)
            let (t, s) = batchFirst ? (tgtShape[1], memoryShape[1]) : (tgtShape[0], memoryShape[0])
            let y = layer(tgt, memory, tgtMask: masks.hasPrefix("causal") ? causalMask(queries: t) : nil,
                          memoryMask: optionalTensor(c["memory_mask"], [t, s]),
                          tgtKeyPaddingMask: optionalTensor(c["tgt_key_padding_mask"], [2, t]),
                          memoryKeyPaddingMask: optionalTensor(c["memory_key_padding_mask"], [2, s]))
            expectClose(y.toArray(), floats(c["out"]), atol: 1e-4, "\(what) out")
            (y * tensor(c["upstream"], tgtShape)).sum().backward()
            expectClose(tgt.grad!.toArray(), floats(c["grad_tgt"]), atol: 1e-4, "\(what) grad tgt")
            expectClose(memory.grad!.toArray(), floats(c["grad_memory"]), atol: 1e-4, "\(what) grad memory")
            expectParameterGrads(layer, c["grads"], what)
        }
    }

    @Test func transformerMatchesTorch() throws {
        let c = object(fixture["transformer"])
        let model = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 16,
                                dropout: 0, batchFirst: true)
        #expect(model.namedParameters().map(\.0) == (c["params"] as! [[Any]]).map { $0[0] as! String })
        try loadParameters(model, c["params"])
        let srcShape = ints(c["src_shape"]), tgtShape = ints(c["tgt_shape"])
        let src = tensor(c["src"], srcShape, requiresGrad: true), tgt = tensor(c["tgt"], tgtShape, requiresGrad: true)
        let padding = tensor(c["src_key_padding_mask"], [srcShape[0], srcShape[1]])
        let y = model(src, tgt, tgtMask: Transformer.generateSquareSubsequentMask(tgtShape[1]), srcKeyPaddingMask: padding,
                      memoryKeyPaddingMask: padding)
        expectClose(y.toArray(), floats(c["out"]), atol: 1e-4, "transformer out")
        (y * tensor(c["upstream"], tgtShape)).sum().backward()
        expectClose(src.grad!.toArray(), floats(c["grad_src"]), atol: 1e-4, "transformer grad src")
        expectClose(tgt.grad!.toArray(), floats(c["grad_tgt"]), atol: 1e-4, "transformer grad tgt")
        expectParameterGrads(model, c["grads"], "transformer")
    }

    /// Matrices start Xavier-uniform and vectors keep their own initialization (LayerNorm ones,
    /// biases zeros), as `torch.nn.Transformer._reset_parameters`; decoder layers start as copies.
    @Test func initializationAndCopies() throws {
        manualSeed(11)
        let model = Transformer(dModel: 16, nhead: 4, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 32)
        let weight = model.decoder.layers[1].linear1.weight   // [32, 16]: bound sqrt(6 / 48)
        let bound = (6 / Float(48)).squareRoot()
        #expect(weight.toArray().allSatisfy { abs($0) <= bound } && weight.toArray().contains { abs($0) > bound * 0.9 })
        #expect(model.decoder.layers[0].linear1.weight.toArray() != weight.toArray())   // re-drawn per layer
        #expect(model.encoder.norm!.weight!.toArray().allSatisfy { $0 == 1 })
        #expect(model.decoder.layers[0].multiheadAttn.inProjBias!.toArray().allSatisfy { $0 == 0 })
        let layer = TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16)
        let decoder = TransformerDecoder(layer.eval(), numLayers: 2, norm: LayerNorm(8))
        #expect(decoder.layers[1].multiheadAttn.inProjWeight.toArray() == layer.multiheadAttn.inProjWeight.toArray())
        #expect(decoder.layers[0].norm3.weight!.storage !== layer.norm3.weight!.storage)
        #expect(!decoder.layers[0].isTraining)
        #expect(decoder.parameters().count == 2 * 18 + 2)
        // Seq-first and unbatched inputs give the batch-first result, laid out their own way.
        let src = Tensor.randn([3, 5, 8]), tgt = Tensor.randn([3, 4, 8])
        let small = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16,
                                dropout: 0, batchFirst: true)
        let seqFirst = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16,
                                   dropout: 0)
        _ = try seqFirst.loadStateDict(small.stateDict())
        let mask = Transformer.generateSquareSubsequentMask(4)
        let expected = small(src, tgt, tgtMask: mask)
        expectClose(seqFirst(src.transpose(0, 1), tgt.transpose(0, 1), tgtMask: mask).transpose(0, 1).toArray(),
                    expected.toArray(), "seq-first")
        expectClose(small(src[1], tgt[1], tgtMask: mask).toArray(), expected[1].toArray(), "unbatched")
    }
}
