import Testing
@testable import Ember

@Suite("Subset and randomSplit")
struct SubsetTests {
    /// Ten rows [i, 10 + i] with label i, gathered whole batches at a time.
    static let rows = TensorDataset(inputs: Tensor((0..<10).flatMap { [Float($0), Float(10 + $0)] }, shape: [10, 2]),
                                    labels: Tensor(Array(0..<10), shape: [10]))

    @Test func subsetReadsTheBaseAtItsIndices() {
        let subset = Subset(Self.rows, indices: [7, 2, 2, 9])
        #expect(subset.count == 4)
        let (x, y) = subset[0]
        #expect(x.toArray() == [7, 17] && y == 7)
        let (batchX, batchY) = subset.batch(at: [3, 1])
        #expect(batchX.toArray() == [9, 19, 2, 12] && batchY.toIntArray() == [9, 2])
    }

    @Test func dataLoaderBatchesASubsetAlikeThroughEitherPath() {
        // TensorDataset gathers batches itself; CountingDataset goes sample by sample through collate.
        let gathered = Array(DataLoader(Subset(Self.rows, indices: [4, 0, 6, 3, 8]), batchSize: 2))
        #expect(gathered.map { $0.1.toIntArray() } == [[4, 0], [6, 3], [8]])
        #expect(gathered[1].0.toArray() == [6, 16, 3, 13])
        let collated = Array(DataLoader(Subset(CountingDataset(count: 10), indices: [4, 0, 6, 3, 8]), batchSize: 2))
        #expect(collated.map { $0.0.toArray() } == [[4, -4, 0, 0], [6, -6, 3, -3], [8, -8]])
        #expect(collated.map { $0.1.toIntArray() } == [[1, 0], [0, 0], [2]])
    }

    @Test func randomSplitPartitionsTheSamplesReproducibly() {
        let parts = randomSplit(CountingDataset(count: 100), lengths: [70, 20, 10], seed: 3)
        #expect(parts.map(\.count) == [70, 20, 10])
        let all = parts.flatMap(\.indices)
        #expect(all.sorted() == Array(0..<100), "the parts must cover every sample exactly once")
        #expect(all != Array(0..<100), "the split must be shuffled")
        #expect(randomSplit(CountingDataset(count: 100), lengths: [70, 20, 10], seed: 3).map(\.indices)
                == parts.map(\.indices))
        #expect(randomSplit(CountingDataset(count: 100), lengths: [70, 20, 10], seed: 4)[0].indices != parts[0].indices)
    }

    @Test func fractionsRoundDownAndDealTheRemainderFromTheFirstPart() {
        // PyTorch's rule: floor(fraction * n) each, then one more to parts 0, 1, ... until all are used.
        #expect(randomSplit(CountingDataset(count: 10), fractions: [0.5, 0.3, 0.2]).map(\.count) == [5, 3, 2])
        #expect(randomSplit(CountingDataset(count: 11), fractions: [1.0 / 3, 1.0 / 3, 1.0 / 3]).map(\.count) == [4, 4, 3])
        #expect(randomSplit(CountingDataset(count: 7), fractions: [0.9, 0.1]).map(\.count) == [7, 0])
    }

    @Test func lengthsThatDoNotAddUpStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = randomSplit(CountingDataset(count: 10), lengths: [8, 3])
        }
        #expect(stderr(r).contains("randomSplit lengths [8, 3] add up to 11, but the dataset has 10 samples"))
    }

    @Test func fractionsOverOneStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = randomSplit(CountingDataset(count: 10_000_000), fractions: [0.5000004, 0.5000004])
        }
        #expect(stderr(r).contains("add up to more than 1"))
    }

    @Test func subsetIndexOutOfRangeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Subset(CountingDataset(count: 10), indices: [3, 10])
        }
        #expect(stderr(r).contains("Subset index 10 is out of range for a dataset of 10 samples"))
    }
}
