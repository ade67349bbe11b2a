import Testing
@testable import Ember

/// Bad inputs to the sequence layers stop with a message naming the shapes (exit tests run each
/// body in a child process).
@Suite("Sequence layer errors")
struct SequenceLayerErrorTests {
    @Test func lstmInputOfTheWrongWidthStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LSTM(3, 4, batchFirst: true)(Tensor.zeros([2, 5, 6]), nil)
        }
        #expect(stderr(r).contains("LSTM: expected input of shape [batch, seq, 3] or [seq, 3], got [2, 5, 6]"))
    }

    @Test func gruStateOfTheWrongShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GRU(3, 4, numLayers: 2)(Tensor.zeros([5, 2, 3]), Tensor.zeros([1, 2, 4]))
        }
        #expect(stderr(r).contains("GRU: expected h0 of shape [2, 2, 4] for input of shape [5, 2, 3], got [1, 2, 4]"))
    }

    @Test func embeddingOfFloatIndicesStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Embedding(10, 3)(Tensor([1, 2] as [Float]))
        }
        #expect(stderr(r).contains("embedding: indices must be int64, got float32 of shape [2]; convert them with .to(.int64)"))
    }

    @Test func layerNormOfTheWrongShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LayerNorm(8)(Tensor.zeros([2, 6]))
        }
        #expect(stderr(r).contains("layerNorm: input of shape [2, 6] does not end in the normalized shape [8]"))
    }

    @Test func layerNormOfIntegersStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LayerNorm(3)(Tensor([1, 2, 3]))
        }
        #expect(stderr(r).contains("layerNorm: the input must be float32, got int64 (convert it with .float())"))
    }

    @Test func attentionMaskOfTheWrongShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let mha = MultiheadAttention(8, 2, batchFirst: true)
            let x = Tensor.zeros([2, 3, 8])
            _ = mha(x, x, x, attnMask: Tensor.zeros([3, 4]))
        }
        #expect(stderr(r).contains("MultiheadAttention: attnMask must be [3, 3] or [4, 3, 3], got [3, 4]"))
    }

    @Test func attentionOfTheWrongWidthStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let mha = MultiheadAttention(8, 2)
            _ = mha(Tensor.zeros([3, 2, 8]), Tensor.zeros([3, 2, 6]), Tensor.zeros([3, 2, 8]))
        }
        #expect(stderr(r).contains("MultiheadAttention: expected key of shape [L, N, 8] like the query [3, 2, 8], got [3, 2, 6]"))
    }
}
