import Foundation
import Testing
@testable import Ember

/// Packed sequences and the recurrent layers run on them, against PyTorch (the "packed" cases of
/// rnn.json from scripts/make_rnn_fixtures.py): packed data and batch sizes, the unpacked output,
/// final states and the gradients of sum(output·up) + sum(h_n·up_h) (+ sum(c_n·up_c)).
@Suite("Packed sequences")
struct PackedSequenceTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("rnn.json") }

    @Test func recurrentLayersOnPackedBatchesMatchTorch() throws {
        let cases = fixture["packed"] as? [Any] ?? []
        #expect(cases.count == 4)
        for case let c as [String: Any] in cases {
            let lengths = ints(c["lengths"]), batchFirst = c["batch_first"] as! Bool
            let what = "\(c["kind"]!) lengths \(lengths) layers \(c["num_layers"]!) bidirectional \(c["bidirectional"]!)"
            let module = try recurrentLayer(c)
            let x = tensor(c["input"], ints(c["input_shape"]), requiresGrad: true)
            let packed = packPaddedSequence(x, lengths: lengths, batchFirst: batchFirst, enforceSorted: c["enforce_sorted"] as! Bool)
            #expect(packed.batchSizes == ints(c["batch_sizes"]), "\(what) batch sizes")
            #expect(packed.sortedIndices == (c["sorted_indices"] as? [Int]), "\(what) sorted indices")
            #expect(packed.lengths == lengths, "\(what) lengths")
            expectClose(packed.data.toArray(), floats(c["packed_data"]), "\(what) packed data")

            let stateShape = ints(c["state_shape"])
            let h0 = c["h0"].map { tensor($0, stateShape, requiresGrad: true) }
            let c0 = c["c0"].map { tensor($0, stateShape, requiresGrad: true) }
            let packedOutput: PackedSequence, hN: Tensor, cN: Tensor?
            switch module {
            case let lstm as LSTM:
                let result = lstm(packed, h0.map { ($0, c0!) })
                (packedOutput, hN, cN) = (result.output, result.state.h, result.state.c)
            case let rnn as RNN: (packedOutput, hN) = rnn(packed, h0); cN = nil
            case let gru as GRU: (packedOutput, hN) = gru(packed, h0); cN = nil
            default: Issue.record("unexpected module"); return
            }
            expectClose(packedOutput.data.toArray(), floats(c["packed_output"]), "\(what) packed output")
            let (output, outputLengths) = padPackedSequence(packedOutput, batchFirst: batchFirst,
                                                            paddingValue: Float(c["padding_value"] as! Double),
                                                            totalLength: c["total_length"] as? Int)
            #expect(outputLengths == ints(c["output_lengths"]), "\(what) output lengths")
            expectRecurrentResults(c, module, input: x, output: output, h: hN, c: cN, h0: h0, c0: c0, what)
        }
    }

    /// A packed batch gives each sequence exactly what running it alone gives: padding never leaks in.
    @Test func eachSequenceRunsAsIfAlone() {
        let gru = GRU(2, 3, numLayers: 2, bidirectional: true)
        let generator = RandomGenerator(seed: 7)
        let sequences = [2, 5, 3].map { Tensor.randn([$0, 2], generator: generator) }
        let (output, hidden) = gru(packSequence(sequences, enforceSorted: false), nil)
        let unpacked = unpackSequence(output)
        for (i, s) in sequences.enumerated() {
            let (alone, aloneHidden) = gru(s, nil)
            #expect(unpacked[i].shape == alone.shape)
            expectClose(unpacked[i].toArray(), alone.toArray(), "sequence \(i) output")
            expectClose(hidden.select(1, i).toArray(), aloneHidden.toArray(), "sequence \(i) hidden")
        }
    }

    /// Dropout between layers applies to the packed steps: with p = 1 the second layer sees zeros, so
    /// every sequence still gives what it gives alone.
    @Test func dropoutBetweenLayersRunsOnThePackedSteps() {
        let lstm = LSTM(2, 3, numLayers: 2, dropout: 1)
        lstm.train()
        let generator = RandomGenerator(seed: 5)
        let sequences = [4, 1, 3].map { Tensor.randn([$0, 2], generator: generator) }
        let (output, (h, c)) = lstm(packSequence(sequences, enforceSorted: false), nil)
        let unpacked = unpackSequence(output)
        for (i, s) in sequences.enumerated() {
            let (alone, (aloneH, aloneC)) = lstm(s, nil)
            expectClose(unpacked[i].toArray(), alone.toArray(), "sequence \(i) output")
            expectClose(h.select(1, i).toArray(), aloneH.toArray(), "sequence \(i) h")
            expectClose(c.select(1, i).toArray(), aloneC.toArray(), "sequence \(i) c")
        }
    }

    @Test func packingRoundTripsAndGradientsSkipThePadding() {
        let a = Tensor([[1, 2], [3, 4], [5, 6]] as [[Float]], requiresGrad: true)
        let b = Tensor([[7, 8]] as [[Float]], requiresGrad: true)
        let c = Tensor([[9, 10], [11, 12]] as [[Float]], requiresGrad: true)
        let packed = packSequence([b, a, c], enforceSorted: false)
        #expect(packed.batchSizes == [3, 2, 1])
        #expect(packed.sortedIndices == [1, 2, 0])
        #expect(packed.unsortedIndices == [2, 0, 1])
        #expect(packed.data.toArray() == [1, 2, 9, 10, 7, 8, 3, 4, 11, 12, 5, 6])
        let (padded, lengths) = padPackedSequence(packed, batchFirst: true, paddingValue: -1, totalLength: 4)
        #expect(lengths == [1, 3, 2])
        #expect(padded.shape == [3, 4, 2])
        #expect(padded.select(0, 0).toArray() == [7, 8, -1, -1, -1, -1, -1, -1])
        let back = unpadSequence(padded, lengths: lengths, batchFirst: true)
        #expect(back.map(\.shape) == [[1, 2], [3, 2], [2, 2]])
        #expect(back[1].toArray() == a.toArray())
        (padded * Tensor.arange(24).reshape([3, 4, 2]).to(.float32)).sum().backward()
        #expect(b.grad!.toArray() == [0, 1])
        #expect(a.grad!.toArray() == [8, 9, 10, 11, 12, 13])
        #expect(c.grad!.toArray() == [16, 17, 18, 19])
        // Time-major packing of an already sorted batch keeps no permutation.
        let sorted = packPaddedSequence(Tensor.zeros([3, 2, 1]), lengths: [3, 2])
        #expect(sorted.sortedIndices == nil && sorted.batchSizes == [2, 2, 1] && sorted.lengths == [3, 2])
    }

    @Test func unsortedLengthsWithoutEnforceSortedFalseStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = packPaddedSequence(Tensor.zeros([4, 2, 3]), lengths: [2, 4])
        }
        #expect(stderr(r).contains("packPaddedSequence: lengths [2, 4] are not sorted longest first; sort the batch or pass enforceSorted: false"))
    }

    @Test func lengthsBeyondThePaddedInputStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = packPaddedSequence(Tensor.zeros([2, 4, 3]), lengths: [5, 0], batchFirst: true, enforceSorted: false)
        }
        #expect(stderr(r).contains("packPaddedSequence: every length must be in 1...4 (the padded length of input [2, 4, 3]), got 5 in [5, 0]"))
    }

    @Test func packedStateOfTheWrongShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let packed = packSequence([Tensor.zeros([3, 2]), Tensor.zeros([1, 2])])
            _ = LSTM(2, 4)(packed, (Tensor.zeros([1, 3, 4]), Tensor.zeros([1, 3, 4])))
        }
        #expect(stderr(r).contains("LSTM: expected h0 of shape [1, 2, 4] for a packed batch of 2 sequences, got [1, 3, 4]"))
    }

    @Test func unsortedIndicesThatAreNoPermutationStop() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = PackedSequence(data: Tensor.zeros([3, 2]), batchSizes: [2, 1], unsortedIndices: [0, 5])
        }
        #expect(stderr(r).contains("PackedSequence: unsortedIndices must be a permutation of 0..<2 (the batch size), got [0, 5]"))
    }

    @Test func emptyPackSequenceStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = packSequence([])
        }
        #expect(stderr(r).contains("packSequence: expects at least one sequence"))
    }

    @Test func shortTotalLengthStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = padPackedSequence(packSequence([Tensor.zeros([3, 2]), Tensor.zeros([1, 2])]), totalLength: 2)
        }
        #expect(stderr(r).contains("padPackedSequence: totalLength 2 is shorter than the longest sequence (3 steps)"))
    }
}
