import Foundation
import Testing
@testable import Ember

/// "Sum of three numbers" samples read lazily from a CSV file, a line at a time: a stream that opens
/// the file again each epoch and never holds it in memory.
struct CSVLines: IterableDataset {
    let path: String

    func makeIterator() -> AnyIterator<(Tensor, Tensor)> {
        guard let file = fopen(path, "r") else { fatalError("cannot open \(path)") }
        let reader = LineReader(file)
        return AnyIterator {
            guard let line = reader.next() else { return nil }
            let numbers = line.split(separator: ",").map { Float($0)! }
            return (Tensor(Array(numbers[0..<3])), Tensor([numbers[3]]))
        }
    }

    final class LineReader {
        private let file: UnsafeMutablePointer<FILE>
        init(_ file: UnsafeMutablePointer<FILE>) { self.file = file }
        deinit { fclose(file) }
        func next() -> String? {
            var line: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(line) }
            guard getline(&line, &capacity, file) > 0, let line else { return nil }
            return String(cString: line).trimmingCharacters(in: .newlines)
        }
    }
}

/// Samples 0, 1, 2, … (as a one-element input and its class i % 3), counting how many were read.
final class CountingStream: IterableDataset {
    let count: Int
    private(set) var read = 0
    private let lock = NSLock()
    init(count: Int) { self.count = count }

    func makeIterator() -> AnyIterator<(Tensor, Int)> {
        var i = 0
        return AnyIterator { [self] in
            guard i < count else { return nil }
            defer { i += 1 }
            lock.withLock { read += 1 }
            return (Tensor([Float(i)]), i % 3)
        }
    }
}

@Suite("IterableDataLoader")
struct IterableDataLoaderTests {
    /// The inputs of every batch of one epoch, as arrays of sample numbers.
    func epoch<S: Sequence>(_ loader: IterableDataLoader<S, (Tensor, Tensor)>) -> [[Float]] {
        loader.map { $0.0.toArray() }
    }

    @Test func consecutiveSamplesMakeBatches() {
        let stream = CountingStream(count: 10)
        let loader = IterableDataLoader(stream, batchSize: 4)
        var batches: [(Tensor, Tensor)] = []
        for batch in loader { batches.append(batch) }
        #expect(batches.map { $0.0.shape } == [[4, 1], [4, 1], [2, 1]])
        #expect(batches.flatMap { $0.0.toArray() } == (0..<10).map(Float.init))
        #expect(batches[2].1.dtype == .int64 && batches[2].1.toIntArray() == [2, 0])
        #expect(epoch(IterableDataLoader(stream, batchSize: 4, dropLast: true)) == [[0, 1, 2, 3], [4, 5, 6, 7]])
        #expect(epoch(IterableDataLoader(CountingStream(count: 0), batchSize: 4)).isEmpty)
        // Each epoch reads the stream again; without prefetching it reads exactly what was asked for.
        let exact = CountingStream(count: 10)
        let unhurried = IterableDataLoader(exact, batchSize: 3, prefetch: false)
        var iterator = unhurried.makeIterator()
        _ = iterator.next()
        #expect(exact.read == 3)
        _ = epoch(unhurried)
        #expect(exact.read == 13 && unhurried.epoch == 2)
    }

    @Test func prefetchingReadsOneBatchAheadWithTheSameBatches() {
        let stream = CountingStream(count: 20)
        let loader = IterableDataLoader(stream, batchSize: 5)
        do {
            let iterator = loader.makeIterator()
            #expect(iterator.next()!.0.toArray() == [0, 1, 2, 3, 4])
        }   // an iterator let go waits for the batch it was reading
        #expect(stream.read == 10)
        #expect(epoch(loader) == epoch(IterableDataLoader(CountingStream(count: 20), batchSize: 5, prefetch: false)))
    }

    @Test func aShuffleBufferShufflesLocallyAndReproducibly() {
        let stream = CountingStream(count: 50)
        let loader = IterableDataLoader(stream, batchSize: 50, shuffleBuffer: 8, seed: 7)
        let first = epoch(loader)[0], second = epoch(loader)[0]
        // Every sample once per epoch, in a new order each epoch.
        #expect(first.sorted() == (0..<50).map(Float.init) && second.sorted() == first.sorted() && first != second)
        #expect(first != (0..<50).map(Float.init))
        // Locally: with 8 held, sample i leaves after at most i + 7 others have arrived... and never
        // before it arrived, so position ≥ i − 7.
        for (position, sample) in first.enumerated() { #expect(position >= Int(sample) - 7, "sample \(sample) at \(position)") }
        // The same seed gives the same epochs; a buffer of 1 (or 0) keeps the stream's order.
        let again = IterableDataLoader(stream, batchSize: 50, shuffleBuffer: 8, seed: 7)
        #expect(epoch(again)[0] == first && epoch(again)[0] == second)
        #expect(epoch(IterableDataLoader(stream, batchSize: 50, shuffleBuffer: 1))[0] == (0..<50).map(Float.init))
        // A buffer as large as the stream is a full shuffle: the last samples can come first.
        let full = epoch(IterableDataLoader(stream, batchSize: 50, shuffleBuffer: 50, seed: 3))[0]
        #expect(full.prefix(10).contains { $0 >= 40 })
    }

    /// The sum-of-three-numbers network trained from a CSV file streamed a line at a time, the file
    /// split in two shards chained.
    @Test func aNetworkTrainsFromAStreamedFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ember-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let generator = RandomGenerator(seed: 5)
        var shards: [String] = []
        for shard in 0..<2 {
            let lines = (0..<300).map { _ -> String in
                let (a, b, c) = (generator.nextFloat(), generator.nextFloat(), generator.nextFloat())
                return "\(a),\(b),\(c),\(a + b + c)"
            }
            let path = directory.appendingPathComponent("part\(shard).csv").path
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            shards.append(path)
        }
        let stream = ChainDataset(shards.map { CSVLines(path: $0) })
        #expect(Array(stream).count == 600)
        let loader = IterableDataLoader(stream, batchSize: 16, shuffleBuffer: 100, seed: 1)

        manualSeed(2)
        let model = Sequential { Linear(3, 4); ReLU(); Linear(4, 1) }
        let optimizer = SGD(model.parameters(), lr: 0.01)
        var epochLosses: [Float] = []
        for _ in 0..<8 {
            var total: Float = 0, batches = 0
            for (x, y) in loader {
                let loss = mseLoss(model(x), y)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                batches += 1
            }
            #expect(batches == 38)   // 600 / 16, the last batch of 8 kept
            epochLosses.append(total / Float(batches))
        }
        #expect(epochLosses.last! < 0.1 * epochLosses.first!, "\(epochLosses)")
    }

    @Test func otherSampleTypesAndCustomCollation() {
        let tensors = (0..<5).map { Tensor.full([2], Float($0)) }
        let stacked = Array(IterableDataLoader(tensors, batchSize: 2))
        #expect(stacked.map(\.shape) == [[2, 2], [2, 2], [1, 2]])
        let numbers = (0..<3).map { (Tensor([Float($0)]), Float($0) * 2) }
        let pairs = Array(IterableDataLoader(numbers, batchSize: 3))
        #expect(pairs.count == 1 && pairs[0].1.toArray() == [0, 2, 4])
        let dictionaries = (0..<4).map { ["ids": Tensor([$0, $0 + 1], shape: [2])] }
        #expect(Array(IterableDataLoader(dictionaries, batchSize: 4))[0]["ids"]?.shape == [4, 2])
        // A stream that never ends, cut with Swift's prefix; a collate of one's own (here: lengths).
        let endless = sequence(first: 1) { $0 + 1 }.lazy.map { Tensor.zeros([$0]) }.prefix(7)
        let lengths = Array(IterableDataLoader(endless, batchSize: 3) { $0.map { $0.count } })
        #expect(lengths == [[1, 2, 3], [4, 5, 6], [7]])
        #expect(Array(ChainDataset([[1, 2], [], [3]] as [[Int]])) == [1, 2, 3])
    }

    @Test func badSettingsStopWithAMessage() async {
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = IterableDataLoader([Tensor.zeros([1])], batchSize: 0)
        }
        #expect(stderr(size).contains("IterableDataLoader: batchSize must be positive, got 0"))
        let buffer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = IterableDataLoader([Tensor.zeros([1])], shuffleBuffer: -1)
        }
        #expect(stderr(buffer).contains("IterableDataLoader: shuffleBuffer must be 0 (no shuffling) or positive, got -1"))
    }
}
