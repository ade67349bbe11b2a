import Foundation
import Testing
@testable import Ember

/// Samplers and the DataLoader's use of them.
@Suite struct SamplerTests {
    @Test func shuffleIsARandomSamplerWithTheSameOrderAsBefore() {
        // DataLoader(shuffle:seed:) draws the permutation it always drew, so runs stay reproducible.
        let loader = DataLoader(CountingDataset(count: 50), batchSize: 50, shuffle: true, seed: 7)
        let expected = RandomGenerator(seed: 7)
        for _ in 0..<3 { #expect(loader.nextEpochBatches().flatMap { $0 } == expected.permutation(50)) }
        #expect(loader.shuffle && !DataLoader(CountingDataset(count: 5), batchSize: 2).shuffle)
        #expect(!DataLoader(CountingDataset(count: 5), batchSize: 2, sampler: SequentialSampler(count: 5)).shuffle)
    }

    @Test func weightedSamplingFollowsTheWeights() {
        let sampler = WeightedRandomSampler([1, 2, 0, 7], numSamples: 40_000, seed: 3)
        var counts = [0, 0, 0, 0]
        for i in sampler.nextEpoch() { counts[i] += 1 }
        #expect(counts[2] == 0)
        for (i, weight) in [1.0, 2, 0, 7].enumerated() {
            #expect(Swift.abs(Double(counts[i]) / 40_000 - weight / 10) < 0.01, "index \(i): \(counts[i])")
        }
        #expect(sampler.nextEpoch() != sampler.nextEpoch())
        #expect(WeightedRandomSampler([1, 2, 0, 7], numSamples: 10, seed: 3).nextEpoch()
                == WeightedRandomSampler([1, 2, 0, 7], numSamples: 10, seed: 3).nextEpoch())
    }

    @Test func weightedSamplingWithoutReplacementDrawsEachOnceHeavierFirst() {
        let sampler = WeightedRandomSampler([10, 1, 0, 1, 1], numSamples: 4, replacement: false, seed: 1)
        var heavyFirst = 0
        for _ in 0..<2000 {
            let epoch = sampler.nextEpoch()
            #expect(Set(epoch) == [0, 1, 3, 4])
            if epoch[0] == 0 { heavyFirst += 1 }
        }
        // Index 0 comes first with probability 10/13.
        #expect(Swift.abs(Double(heavyFirst) / 2000 - 10.0 / 13) < 0.03)
    }

    @Test func subsetAndRandomSamplers() {
        let subset = SubsetRandomSampler([3, 8, 11, 20], seed: 2)
        let first = subset.nextEpoch(), second = subset.nextEpoch()
        #expect(first.sorted() == [3, 8, 11, 20] && second.sorted() == [3, 8, 11, 20] && subset.count == 4)
        let draws = RandomSampler(count: 5, replacement: true, numSamples: 1000, seed: 4).nextEpoch()
        #expect(draws.count == 1000 && Set(draws) == [0, 1, 2, 3, 4])
        #expect(RandomSampler(count: 6, numSamples: 3, seed: 1).nextEpoch().count == 3)
        // More samples than the dataset holds chain permutations, as in PyTorch.
        let chained = RandomSampler(count: 3, numSamples: 7, seed: 1).nextEpoch()
        #expect(chained.count == 7 && Set(chained[0..<3]) == [0, 1, 2] && Set(chained[3..<6]) == [0, 1, 2])
    }

    @Test func balancedBatchesFromAnImbalancedDataset() {
        // 90 samples of class 0, 10 of class 1: weights 1/count give each class about half the draws.
        let labels = (0..<100).map { $0 < 90 ? 0 : 1 }
        let dataset = TensorDataset(inputs: Tensor.randn([100, 3]), labels: Tensor(labels))
        let weights = labels.map { 1 / Double($0 == 0 ? 90 : 10) }
        let loader = DataLoader(dataset, batchSize: 50, sampler: WeightedRandomSampler(weights, numSamples: 2000, seed: 5))
        #expect(loader.count == 40)
        var ones = 0, total = 0
        for (_, y) in loader {
            ones += y.toIntArray().filter { $0 == 1 }.count
            total += y.shape[0]
        }
        #expect(total == 2000 && Swift.abs(Double(ones) / 2000 - 0.5) < 0.04)
    }

    @Test func samplerIndexOutOfRangeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let loader = DataLoader(CountingDataset(count: 3), batchSize: 2, sampler: SubsetRandomSampler([0, 5]))
            for _ in loader {}
        }
        #expect(stderr(r).contains("DataLoader: the sampler gave index 5, but the dataset has 3 samples"))
    }

    @Test func batchSamplerCutsTheOrderIntoBatches() {
        let batches = BatchSampler(SequentialSampler(count: 10), batchSize: 3)
        #expect(batches.count == 4 && batches.nextEpochBatches() == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
        let dropping = BatchSampler(SequentialSampler(count: 10), batchSize: 3, dropLast: true)
        #expect(dropping.count == 3 && dropping.nextEpochBatches() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
        // A shuffled order is cut the same way, with a new order each epoch.
        let shuffled = BatchSampler(RandomSampler(count: 7, seed: 2), batchSize: 4)
        let (first, second) = (shuffled.nextEpochBatches(), shuffled.nextEpochBatches())
        #expect(first.map(\.count) == [4, 3] && first.flatMap { $0 }.sorted() == Array(0..<7) && first != second)
        let loader = DataLoader(CountingDataset(count: 10), batchSize: 3, dropLast: true)
        #expect(loader.batchSize == 3 && loader.dropLast && loader.sampler is SequentialSampler && loader.count == 3)
    }

    /// Batches of samples of one class each, as a custom batch sampler for a metric-learning loss would give.
    final class ClassBatches: BatchSampling {
        let labels: [Int]
        init(labels: [Int]) { self.labels = labels }
        var count: Int { Set(labels).count }
        func nextEpochBatches() -> [[Int]] {
            Set(labels).sorted().map { label in labels.indices.filter { labels[$0] == label } }
        }
    }

    @Test func aCustomBatchSamplerSetsTheBatches() {
        let labels = [2, 0, 1, 0, 2, 2, 1]
        let dataset = TensorDataset(inputs: Tensor((0..<7).map(Float.init), shape: [7, 1]), labels: Tensor(labels))
        let loader = DataLoader(dataset, batchSampler: ClassBatches(labels: labels))
        #expect(loader.batchSize == nil && loader.sampler == nil && loader.count == 3)
        let batches = Array(loader)
        #expect(batches.map { $0.1.toIntArray() } == [[0, 0], [1, 1], [2, 2, 2]])
        #expect(batches.map { $0.0.toArray() } == [[1, 3], [2, 6], [0, 4, 5]])
    }

    @Test func anEmptyBatchStops() async {
        final class Empty: BatchSampling {
            var count: Int { 1 }
            func nextEpochBatches() -> [[Int]] { [[0], []] }
        }
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            for _ in DataLoader(CountingDataset(count: 3), batchSampler: Empty()) {}
        }
        #expect(stderr(r).contains("DataLoader: the batch sampler gave an empty batch (batch 1)"))
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataLoader(CountingDataset(count: 3), batchSize: 0)
        }
        #expect(stderr(size).contains("BatchSampler: batchSize must be positive, got 0"))
    }
}
