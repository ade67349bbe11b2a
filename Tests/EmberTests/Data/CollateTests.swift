import Foundation
import Testing
@testable import Ember

/// Image i [1, 2, 2] filled with i, and its segmentation mask: int64 [2, 2] of i % 2 (no BatchGathering).
struct SegmentationDataset: Dataset {
    let count: Int
    subscript(index: Int) -> (Tensor, Tensor) {
        (Tensor.full([1, 2, 2], Float(index)), Tensor(Array(repeating: index % 2, count: 4), shape: [2, 2]))
    }
}

/// Token sequences of lengths 1, 2, 3, …: sequence i is [i + 1] entries all i, as int64.
struct SequenceDataset: Dataset {
    let count: Int
    subscript(index: Int) -> Tensor { Tensor(Array(repeating: index, count: index + 1), shape: [index + 1]) }
}

/// A language model's samples: token ids and their attention mask, by name.
struct DictionaryDataset: Dataset {
    let count: Int
    subscript(index: Int) -> [String: Tensor] {
        ["input_ids": Tensor([index, index + 1, index + 2], shape: [3]), "attention_mask": Tensor.ones([3])]
    }
}

/// DataLoader over samples other than (input, class): tensor targets (regression, segmentation),
/// single tensors, dictionaries, and a collate function of one's own, as PyTorch's default_collate.
@Suite("DataLoader collation")
struct CollateTests {
    @Test func regressionTargetsBatchAsTensors() {
        let x = Tensor((0..<20).map(Float.init), shape: [10, 2])
        let y = Tensor((0..<10).map { Float($0) * 0.5 }, shape: [10, 1])
        let dataset = TensorDataset(inputs: x, targets: y)
        let (input, target) = dataset[3]
        #expect(input.toArray() == [6, 7] && target.shape == [1] && target.toArray() == [1.5])
        let loader = DataLoader(dataset, batchSize: 4, shuffle: true, seed: 3)
        var seen: [Float] = []
        for (inputs, targets) in loader {
            #expect(targets.dtype == .float32 && targets.shape == [inputs.shape[0], 1])
            // Each target is its input's first entry / 4: the pairs stay together through the shuffle.
            #expect(zip(inputs.toArray().enumerated().filter { $0.offset % 2 == 0 }.map(\.element), targets.toArray())
                .allSatisfy { $0 / 4 == $1 })
            seen += targets.toArray()
        }
        #expect(seen.sorted() == (0..<10).map { Float($0) * 0.5 } && seen != seen.sorted())
    }

    /// A model trains from a regression loader: the sum of three numbers, as the seed program, in batches.
    @Test func aRegressionModelTrainsFromTheLoader() {
        manualSeed(5)
        let x = Tensor.rand([256, 3])
        let dataset = TensorDataset(inputs: x, targets: x.sum(dim: 1, keepdim: true))
        let model = Sequential { Linear(3, 8); ReLU(); Linear(8, 1) }
        let optimizer = Adam(model.parameters(), lr: 0.01)
        let loader = DataLoader(dataset, batchSize: 32, shuffle: true, seed: 1)
        var last: Float = 0
        for _ in 0..<40 {
            for (inputs, targets) in loader {
                let loss = mseLoss(model(inputs), targets)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                last = loss.item()
            }
        }
        #expect(last < 1e-3)
    }

    /// (Input, number) samples: the numbers become a float32 batch [B].
    @Test func scalarTargetsBatchAsFloats() {
        struct Squares: Dataset {
            let count: Int
            subscript(index: Int) -> (Tensor, Float) { (Tensor.full([1], Float(index)), Float(index * index) / 2) }
        }
        let batches = Array(DataLoader(Squares(count: 5), batchSize: 3))
        #expect(batches.count == 2 && batches[0].1.dtype == .float32 && batches[0].1.shape == [3])
        #expect(batches[0].0.toArray() == [0, 1, 2] && batches[0].1.toArray() == [0, 0.5, 2] && batches[1].1.toArray() == [4.5, 8])
    }

    @Test func pairsOfTensorsStack() {
        let loader = DataLoader(SegmentationDataset(count: 5), batchSize: 2)
        let batches = Array(loader)
        #expect(batches.count == 3)
        #expect(batches[0].0.shape == [2, 1, 2, 2] && batches[0].1.shape == [2, 2, 2] && batches[0].1.dtype == .int64)
        #expect(batches[1].0.toArray() == Array(repeating: 2, count: 4) + Array(repeating: 3, count: 4))
        #expect(batches[1].1.toIntArray() == [0, 0, 0, 0, 1, 1, 1, 1] && batches[2].0.shape == [1, 1, 2, 2])
    }

    @Test func singleTensorsAndDictionariesStack() {
        let tensors = DataLoader(TensorSamples(count: 6), batchSize: 4, dropLast: true)
        #expect(tensors.count == 1 && Array(tensors)[0].shape == [4, 2] && Array(tensors)[0].toArray() == [0, 0, 1, 1, 2, 2, 3, 3])
        let dictionaries = Array(DataLoader(DictionaryDataset(count: 3), batchSize: 2))
        #expect(dictionaries.count == 2 && Set(dictionaries[0].keys) == ["input_ids", "attention_mask"])
        #expect(dictionaries[0]["input_ids"]!.shape == [2, 3] && dictionaries[0]["input_ids"]!.toIntArray() == [0, 1, 2, 1, 2, 3])
        #expect(dictionaries[1]["attention_mask"]!.shape == [1, 3])
    }

    /// Sequences of different lengths need a collate of one's own: padded to the longest, as
    /// PyTorch's `collate_fn=lambda b: pad_sequence(b, batch_first=True)`.
    @Test func aCollateFunctionOfOnesOwn() {
        let loader = DataLoader(SequenceDataset(count: 5), batchSize: 3) { samples in
            (padSequence(samples.map { $0.to(.float32) }, batchFirst: true), Tensor(samples.map { $0.shape[0] }, shape: [samples.count]))
        }
        let batches = Array(loader)
        #expect(batches.count == 2 && batches[0].0.shape == [3, 3] && batches[0].1.toIntArray() == [1, 2, 3])
        #expect(batches[0].0.toArray() == [0, 0, 0, 1, 1, 0, 2, 2, 2] && batches[1].0.shape == [2, 5])
        // With a sampler, the same function.
        let reversed = DataLoader(SequenceDataset(count: 3), batchSize: 3, sampler: ReversedSampler(count: 3)) { $0.map { $0.shape[0] } }
        #expect(Array(reversed) == [[3, 2, 1]])
    }

    /// Target tensors through ConcatDataset batches that span its parts (gathered part by part and
    /// put back in order), and through Subset; int64 and 1-D targets; samples that are views.
    @Test func targetTensorsThroughConcatenationsAndViews() {
        func part(_ offset: Int, _ n: Int) -> TensorDataset<Tensor> {
            let values: [Float] = (offset..<offset + n).map(Float.init)
            let pairs: [Float] = values.flatMap { v -> [Float] in [v / 2, -v] }
            return TensorDataset(inputs: Tensor(values, shape: [n, 1]), targets: Tensor(pairs, shape: [n, 2]))
        }
        let joined = ConcatDataset([part(0, 3), part(3, 4)])
        let (inputs, targets) = joined.batch(at: [5, 1, 3, 0, 6])
        #expect(inputs.toArray() == [5, 1, 3, 0, 6] && targets.shape == [5, 2])
        #expect(targets.toArray() == [2.5, -5, 0.5, -1, 1.5, -3, 0, 0, 3, -6])
        for (x, y) in DataLoader(Subset(joined, indices: [6, 2, 4]), batchSize: 3) {
            #expect(x.toArray() == [6, 2, 4] && y.toArray() == [3, -6, 1, -2, 2, -4])
        }
        let counts = TensorDataset(inputs: Tensor.zeros([4, 2]), targets: Tensor([7, 8, 9, 10], shape: [4]))
        let (_, target) = counts[2]
        #expect(target.shape == [] && target.dtype == .int64 && target.toIntArray() == [9])
        let batch = Array(DataLoader(counts, batchSize: 4))[0].1
        #expect(batch.dtype == .int64 && batch.toIntArray() == [7, 8, 9, 10])
        // Transposed samples (strided views), float32 and int64, stack as their values.
        let grid = Tensor((0..<6).map(Float.init), shape: [2, 3])
        #expect(collate([grid.t(), grid.t() + 10]).toArray() == [0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15])
        let ids = Tensor([1, 2, 3, 4], shape: [2, 2])
        #expect(collate([ids.t(), ids]).toIntArray() == [1, 3, 2, 4, 1, 2, 3, 4])
    }

    /// A collate function of one's own gives the same batches whether or not it runs ahead on the
    /// loader's thread.
    @Test func prefetchingChangesNothing() {
        func batches(_ prefetch: Bool) -> [[Float]] {
            let loader = DataLoader(SequenceDataset(count: 9), batchSize: 2, shuffle: true, seed: 4, prefetch: prefetch) {
                padSequence($0.map { $0.to(.float32) }, batchFirst: true, paddingValue: -1)
            }
            return Array(loader).map { $0.toArray() }
        }
        #expect(batches(true) == batches(false))
    }

    @Test func conflictingOptionsAndMismatchedSamplesStop() async {
        let both = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataLoader(SegmentationDataset(count: 4), batchSize: 2, shuffle: true, sampler: SequentialSampler(count: 4))
        }
        #expect(stderr(both).contains("shuffle cannot go with a sampler or a batch sampler"))
        let samplers = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let sampler = SequentialSampler(count: 4)
            _ = DataLoader(SegmentationDataset(count: 4), sampler: sampler, batchSampler: BatchSampler(sampler, batchSize: 2))
        }
        #expect(stderr(samplers).contains("give a sampler or a batch sampler, not both"))
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataLoader(SegmentationDataset(count: 4), batchSize: 2, batchSampler: BatchSampler(SequentialSampler(count: 4), batchSize: 2))
        }
        #expect(stderr(size).contains("a batch sampler sets the batches; leave batchSize and dropLast at their defaults"))
        let lengths = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Array(DataLoader(SequenceDataset(count: 3), batchSize: 3))
        }
        #expect(stderr(lengths).contains("samples in a batch must share shape and dtype (on the CPU); sample 1 is [2] int64 on cpu, the first is [1] int64"))
        let keys = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = collate([["a": Tensor.zeros([1])], ["b": Tensor.zeros([1])]])
        }
        #expect(stderr(keys).contains("samples in a batch must have the same keys; sample 1 has [\"b\"], the first [\"a\"]"))
        let targets = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TensorDataset(inputs: Tensor.zeros([3, 2]), targets: Tensor.zeros([4]))
        }
        #expect(stderr(targets).contains("TensorDataset needs inputs [N, ...] and targets [N, ...]; got [3, 2] and [4]"))
    }
}

/// Sample i is [i, i] (float32).
struct TensorSamples: Dataset {
    let count: Int
    subscript(index: Int) -> Tensor { Tensor.full([2], Float(index)) }
}

/// Visits 0..<count backwards.
final class ReversedSampler: Sampler {
    let count: Int
    init(count: Int) { self.count = count }
    func nextEpoch() -> [Int] { Array((0..<count).reversed()) }
}
