import Testing
@testable import Ember

@Suite("ConcatDataset")
struct ConcatDatasetTests {
    /// Rows [offset + i] with label offset + i.
    static func rows(_ count: Int, from offset: Int) -> TensorDataset<Int> {
        TensorDataset(inputs: Tensor((0..<count).map { Float(offset + $0) }, shape: [count, 1]),
                      labels: Tensor((0..<count).map { offset + $0 }, shape: [count]))
    }

    @Test func indexesTheDatasetsEndToEnd() {
        let all = ConcatDataset([Self.rows(3, from: 0), Self.rows(0, from: 100), Self.rows(4, from: 10), Self.rows(1, from: 20)])
        #expect(all.count == 8 && all.cumulativeCounts == [3, 3, 7, 8])
        #expect((0..<8).map { all[$0].1 } == [0, 1, 2, 10, 11, 12, 13, 20])
        #expect(all[5].0.toArray() == [12])
    }

    /// A batch across the datasets comes back in the order asked, through the gathering path and
    /// through collate alike.
    @Test func batchesAcrossDatasetsKeepTheirOrder() {
        let all = ConcatDataset([Self.rows(3, from: 0), Self.rows(4, from: 10)])
        let (x, y) = all.batch(at: [5, 0, 3, 2, 6])
        #expect(x.toArray() == [12, 0, 10, 2, 13] && y.toIntArray() == [12, 0, 10, 2, 13])
        let (inOne, labels) = all.batch(at: [4, 3])
        #expect(inOne.toArray() == [11, 10] && labels.toIntArray() == [11, 10])
        let loader = DataLoader(all, batchSize: 3, sampler: SubsetRandomSampler([6, 1, 4, 0, 2], seed: 3))
        for (inputs, targets) in loader { #expect(inputs.toArray().map { Int($0) } == targets.toIntArray()) }
        let counted = ConcatDataset([CountingDataset(count: 2), CountingDataset(count: 3)])
        #expect(Array(DataLoader(counted, batchSize: 5)).map { $0.0.toArray() } == [[0, 0, 1, -1, 0, 0, 1, -1, 2, -2]])
    }

    @Test func anIndexPastTheEndStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConcatDataset([ConcatDatasetTests.rows(2, from: 0), ConcatDatasetTests.rows(2, from: 5)])[4]
        }
        #expect(stderr(r).contains("ConcatDataset index 4 is out of range 0..<4"))
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConcatDataset([TensorDataset<Int>]())
        }
        #expect(stderr(empty).contains("ConcatDataset needs at least one dataset"))
    }
}
