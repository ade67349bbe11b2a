import Foundation
import Testing
@testable import Ember

/// A per-sample dataset (no BatchGathering): sample i is a [2] tensor [i, -i] with label i % 3.
struct CountingDataset: Dataset {
    let count: Int
    subscript(index: Int) -> (Tensor, Int) { (Tensor([Float(index), -Float(index)], shape: [2]), index % 3) }
}

@Suite("DataLoader")
struct DataLoaderTests {
    func epoch<D>(_ loader: DataLoader<D, (Tensor, Tensor)>) -> (ids: [[Int]], labels: [[Int]], shapes: [[Int]]) {
        var ids: [[Int]] = [], labels: [[Int]] = [], shapes: [[Int]] = []
        for (x, y) in loader {
            ids.append(x.toArray().enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) })
            labels.append(y.toIntArray())
            shapes.append(x.shape)
            #expect(y.dtype == .int64 && x.dtype == .float32)
        }
        return (ids, labels, shapes)
    }

    @Test func inOrderBatchesWithPartialLast() {
        let loader = DataLoader(CountingDataset(count: 10), batchSize: 4)
        #expect(loader.count == 3)
        let e = epoch(loader)
        #expect(e.ids == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        #expect(e.labels == [[0, 1, 2, 0], [1, 2, 0, 1], [2, 0]])
        #expect(e.shapes == [[4, 2], [4, 2], [2, 2]])
    }

    @Test func dropLast() {
        let loader = DataLoader(CountingDataset(count: 10), batchSize: 4, dropLast: true)
        #expect(loader.count == 2)
        #expect(epoch(loader).ids == [[0, 1, 2, 3], [4, 5, 6, 7]])
        let exact = DataLoader(CountingDataset(count: 8), batchSize: 4, dropLast: true)
        #expect(epoch(exact).ids.count == 2)
    }

    @Test func shuffleVisitsEverySampleOncePerEpochAndIsSeeded() {
        let a = DataLoader(CountingDataset(count: 103), batchSize: 10, shuffle: true, seed: 7)
        let b = DataLoader(CountingDataset(count: 103), batchSize: 10, shuffle: true, seed: 7, prefetch: false)
        let c = DataLoader(CountingDataset(count: 103), batchSize: 10, shuffle: true, seed: 8)
        let a1 = epoch(a).ids, a2 = epoch(a).ids
        let b1 = epoch(b).ids, b2 = epoch(b).ids
        #expect(a1 == b1 && a2 == b2, "same seed, same batches, with or without prefetching")
        #expect(a1 != a2, "each epoch has a new order")
        #expect(epoch(c).ids != a1, "another seed, another order")
        for ids in [a1, a2] {
            #expect(ids.flatMap { $0 }.sorted() == Array(0..<103))
            #expect(ids.map(\.count) == Array(repeating: 10, count: 10) + [3])
        }
        #expect(a1.flatMap { $0 } == RandomGenerator(seed: 7).permutation(103))
        #expect(a.epoch == 2)
    }

    @Test func gatheringDatasetsUseTheirBatchPath() {
        let inputs = Tensor((0..<20).map(Float.init), shape: [10, 2])
        let labels = Tensor(Array(0..<10), shape: [10])
        let data = TensorDataset(inputs: inputs, labels: labels)
        #expect(data[3].0.toArray() == [6, 7] && data[3].1 == 3)
        let loader = DataLoader(data, batchSize: 3, shuffle: true, seed: 1)
        var seen: [Int] = []
        for (x, y) in loader {
            let rows = y.toIntArray()
            seen += rows
            #expect(x.toArray() == rows.flatMap { [Float(2 * $0), Float(2 * $0 + 1)] })
        }
        #expect(seen.sorted() == Array(0..<10))
    }

    @Test func deviceDataLoaderGivesDataLoadersBatches() {
        let inputs = Tensor((0..<22).map(Float.init), shape: [11, 2])
        let labels = Tensor(Array(0..<11), shape: [11])
        let data = TensorDataset(inputs: inputs, labels: labels)
        for dropLast in [false, true] {
            let host = DataLoader(data, batchSize: 4, shuffle: true, seed: 7, dropLast: dropLast)
            let device = DeviceDataLoader(data, batchSize: 4, shuffle: true, seed: 7, dropLast: dropLast, device: .cpu)
            #expect(device.count == host.count)
            for _ in 0..<2 {   // two epochs: the shuffle continues alike
                let a = Array(IteratorSequence(host.makeIterator()).map { ($0.0.toArray(), $0.1.toIntArray()) })
                let b = Array(IteratorSequence(device.makeIterator()).map { ($0.0.toArray(), $0.1.toIntArray()) })
                #expect(a.map(\.0) == b.map(\.0))
                #expect(a.map(\.1) == b.map(\.1))
                #expect(b.count == (dropLast ? 2 : 3))
            }
        }
    }

    @Test func seededAugmentationsAreDeterministicWithPrefetch() throws {
        func run(prefetch: Bool) throws -> [Float] {
            let test = try MNIST(train: false, root: repositoryRoot.appendingPathComponent("Datasets/MNIST"), download: false,
                                 transform: Compose([RandomAffine(translate: (0.1, 0.1), seed: 5), Normalize(mean: 0.1307, std: 0.3081)]))
            let loader = DataLoader(test, batchSize: 16, shuffle: true, seed: 2, prefetch: prefetch)
            var sums: [Float] = []
            for (i, (x, _)) in loader.enumerated() {
                sums.append(x.toArray().reduce(0, +))
                if i == 5 { break }
            }
            return sums
        }
        #expect(try run(prefetch: true) == run(prefetch: false))
    }

    @Test func breakingOutEarlyIsSafe() {
        let loader = DataLoader(CountingDataset(count: 50), batchSize: 5)
        for (i, _) in loader.enumerated() where i == 1 { break }
        #expect(epoch(loader).ids.count == 10)
    }
}
