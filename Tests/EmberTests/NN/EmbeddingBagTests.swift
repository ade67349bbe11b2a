import Foundation
import Testing
@testable import Ember

/// EmbeddingBag against torch.nn.EmbeddingBag (embedding_bag.json, from
/// scripts/make_embedding_bag_fixtures.py): every mode over offsets and rows, padding, an empty bag,
/// ties for the maximum, per-sample weights; outputs and gradients.
@Suite("EmbeddingBag")
struct EmbeddingBagTests {
    let cases: [[String: Any]]
    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/embedding_bag.json")
        cases = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [Any] ?? []).map { object($0) }
    }

    @Test func matchesPyTorch() {
        #expect(cases.count == 6)
        for c in cases {
            let name = c["repr"] as! String
            let bag = EmbeddingBag(8, 3, mode: EmbeddingBagMode(rawValue: c["mode"] as! String)!,
                                   includeLastOffset: c["include_last_offset"] as! Bool, paddingIdx: c["padding_idx"] as? Int)
            #expect("\(bag)" == name)
            noGrad { bag.weight.copy_(tensor(c["weight"], [8, 3])) }
            let input = Tensor(ints(c["input"]), shape: ints(c["input_shape"]))
            let offsets = (c["offsets"] as? [Any]).map { Tensor(ints($0)) }
            let weights = c["per_sample_weights"].map { tensor($0, ints(c["input_shape"]), requiresGrad: true) }
            let out = offsets == nil && weights == nil ? bag(input) : bag(input, offsets: offsets, perSampleWeights: weights)
            #expect(out.shape == ints(c["out_shape"]), "\(name) shape")
            expectClose(out.toArray(), floats(c["out"]), "\(name) output")
            (out * tensor(c["w"], out.shape)).sum().backward()
            expectClose(bag.weight.grad!.toArray(), floats(c["grad_weight"]), "\(name) weight gradient")
            if let weights {
                expectClose(weights.grad!.toArray(), floats(c["grad_per_sample_weights"]), "\(name) per-sample weight gradient")
            }
        }
    }

    /// The text-classification tutorial's model: a mean bag of word vectors, then a linear layer,
    /// learns to tell two vocabularies apart.
    @Test func trainsATextClassifier() {
        manualSeed(3)
        let bag = EmbeddingBag(20, 8), linear = Linear(8, 2)
        let optimizer = SGD(bag.parameters() + linear.parameters(), lr: 0.5)
        // Class 0 uses ids 0..<10, class 1 ids 10..<20; bags of 2 to 5 ids.
        let generator = RandomGenerator(seed: 7)
        func batch() -> (Tensor, Tensor, Tensor) {
            var ids: [Int] = [], offsets: [Int] = [], labels: [Int] = []
            for i in 0..<16 {
                offsets.append(ids.count)
                let label = i % 2, length = 2 + i % 4
                ids += Tensor.randint(label * 10, label * 10 + 10, [length], generator: generator).toIntArray()
                labels.append(label)
            }
            return (Tensor(ids), Tensor(offsets), Tensor(labels))
        }
        for _ in 0..<60 {
            let (ids, offsets, labels) = batch()
            optimizer.zeroGrad()
            crossEntropy(linear(bag(ids, offsets: offsets)), labels).backward()
            optimizer.step()
        }
        let (ids, offsets, labels) = batch()
        let predicted = noGrad { linear(bag(ids, offsets: offsets)).argmax(dim: 1) }
        #expect(predicted.toIntArray() == labels.toIntArray())
    }

    @Test func badInputsNameTheProblem() async {
        let start = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embeddingBag(Tensor([1, 2, 3] as [Int]), weight: Tensor.zeros([4, 2]), offsets: Tensor([1, 2] as [Int]))
        }
        #expect(stderr(start).contains("embeddingBag: offsets[0] must be 0 (the first bag starts the input), got 1"))
        let decreasing = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embeddingBag(Tensor([1, 2, 3] as [Int]), weight: Tensor.zeros([4, 2]), offsets: Tensor([0, 2, 1] as [Int]))
        }
        #expect(stderr(decreasing).contains("embeddingBag: offsets must not decrease, got 2 then 1"))
        let range = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embeddingBag(Tensor([1, 4] as [Int], shape: [1, 2]), weight: Tensor.zeros([4, 2]))
        }
        #expect(stderr(range).contains("embeddingBag: id 4 at position 1 is out of range for 4 embeddings"))
        let noOffsets = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embeddingBag(Tensor([1, 2] as [Int]), weight: Tensor.zeros([4, 2]))
        }
        #expect(stderr(noOffsets).contains("embeddingBag: a 1-D input needs offsets"))
        let weightsMode = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embeddingBag(Tensor([1, 2] as [Int], shape: [1, 2]), weight: Tensor.zeros([4, 2]), mode: .mean,
                             perSampleWeights: Tensor([1, 1] as [Float], shape: [1, 2]))
        }
        #expect(stderr(weightsMode).contains("embeddingBag: perSampleWeights are only supported with mode .sum, got .mean"))
        let end = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = embeddingBag(Tensor([1, 2, 3] as [Int]), weight: Tensor.zeros([4, 2]), offsets: Tensor([0, 2] as [Int]),
                             includeLastOffset: true)
        }
        #expect(stderr(end).contains("embeddingBag: with includeLastOffset the last offset must be the input's length 3, got 2"))
    }
}
