import Foundation
import Testing
@testable import Ember

/// Embedding and the recurrent layers against PyTorch (fixtures from scripts/make_rnn_fixtures.py):
/// outputs, final states and the gradients of sum(output·up) + sum(h_n·up_h) (+ sum(c_n·up_c)).
@Suite("Embedding and recurrent layers")
struct RecurrentTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("rnn.json") }

    @Test func embeddingMatchesTorchAndSkipsThePaddingRow() throws {
        let f = object(fixture["embedding"])
        let layer = Embedding(10, 3, paddingIdx: 1)
        #expect(layer.weight.select(0, 1).toArray() == [0, 0, 0])
        _ = try layer.loadStateDict(["weight": tensor(f["weight"], [10, 3])])
        let indices = Tensor(ints(f["indices"]), shape: ints(f["indices_shape"]))
        let out = layer(indices)
        #expect(out.shape == [2, 4, 3])
        expectClose(out.toArray(), floats(f["out"]), "out")
        out.backward(tensor(f["upstream"], [2, 4, 3]))
        expectClose(layer.weight.grad!.toArray(), floats(f["grad_weight"]), "grad weight")
        #expect(layer.weight.grad!.select(0, 1).toArray() == [0, 0, 0])
        #expect(layer.description == "Embedding(10, 3, padding_idx=1)")
    }

    @Test func embeddingWithoutPaddingAccumulatesRepeatedRows() {
        let weight = Tensor([[1, 2], [3, 4], [5, 6]], requiresGrad: true)
        let out = embedding(Tensor([2, 0, 2]), weight: weight)
        #expect(out.toArray() == [5, 6, 1, 2, 5, 6])
        out.backward(Tensor([[1.0, 1], [10, 10], [100, 100]]))
        #expect(weight.grad!.toArray() == [10, 10, 0, 0, 101, 101])
        // A negative paddingIdx counts from the end, in the module and in the function.
        #expect(Embedding(5, 2, paddingIdx: -1).paddingIdx == 4)
        #expect(Embedding(5, 2, paddingIdx: -1).weight.select(0, 4).toArray() == [0, 0])
        weight.grad = nil
        embedding(Tensor([2, 0, 2]), weight: weight, paddingIdx: -1).backward(Tensor([[1.0, 1], [10, 10], [100, 100]]))
        #expect(weight.grad!.toArray() == [10, 10, 0, 0, 0, 0])
    }

    @Test func recurrentLayersMatchTorch() throws {
        #expect((fixture["layers"] as? [Any])?.count == 7)
        for case let c as [String: Any] in fixture["layers"] as? [Any] ?? [] {
            let what = "\(c["kind"]!) layers \(c["num_layers"]!) bias \(c["bias"]!) batchFirst \(c["batch_first"]!) "
                + "bidirectional \(c["bidirectional"]!)"
            let module = try recurrentLayer(c)
            let x = tensor(c["input"], ints(c["input_shape"]), requiresGrad: true)
            let stateShape = ints(c["state_shape"])
            let h0 = c["h0"].map { tensor($0, stateShape, requiresGrad: true) }
            let c0 = c["c0"].map { tensor($0, stateShape, requiresGrad: true) }
            let output: Tensor, hN: Tensor, cN: Tensor?
            switch module {
            case let lstm as LSTM:
                let result = lstm(x, h0.map { ($0, c0!) })
                (output, hN, cN) = (result.output, result.state.h, result.state.c)
            case let rnn as RNN: (output, hN) = rnn(x, h0); cN = nil
            case let gru as GRU: (output, hN) = gru(x, h0); cN = nil
            default: Issue.record("unexpected module"); return
            }
            expectRecurrentResults(c, module, input: x, output: output, h: hN, c: cN, h0: h0, c0: c0, what)
        }
    }

    @Test func projectedLSTMsMatchTorch() throws {
        let cases = fixture["projected"] as? [[String: Any]] ?? []
        #expect(cases.count == 2)
        for c in cases {
            let what = "LSTM proj_size \(c["proj_size"]!) layers \(c["num_layers"]!) packed \(c["packed"]!)"
            let lstm = try #require(try recurrentLayer(c) as? LSTM)
            #expect(lstm.description.contains("proj_size=\(c["proj_size"]!)"))
            let x = tensor(c["input"], ints(c["input_shape"]), requiresGrad: true)
            let h0 = tensor(c["h0"], ints(c["state_shape"]), requiresGrad: true)
            let c0 = tensor(c["c0"], ints(c["c_state_shape"]), requiresGrad: true)
            let batchFirst = c["batch_first"] as! Bool
            let output: Tensor, state: (h: Tensor, c: Tensor)
            if c["packed"] as! Bool {
                let packed = packPaddedSequence(x, lengths: ints(c["lengths"]), batchFirst: batchFirst, enforceSorted: false)
                let result = lstm(packed, (h0, c0))
                (output, state) = (padPackedSequence(result.output, batchFirst: batchFirst).0, result.state)
            } else {
                (output, state) = lstm(x, (h0, c0))
            }
            expectRecurrentResults(c, lstm, input: x, output: output, h: state.h, c: state.c, h0: h0, c0: c0, what)
        }
    }

    @Test func cellsMatchTorch() throws {
        #expect((fixture["cells"] as? [Any])?.count == 4)
        for case let c as [String: Any] in fixture["cells"] as? [Any] ?? [] {
            let kind = c["kind"] as! String, bias = c["bias"] as! Bool
            let (inputSize, hidden) = (c["input_size"] as! Int, c["hidden_size"] as! Int)
            let x = tensor(c["input"], [3, inputSize], requiresGrad: true)
            let h0 = tensor(c["h0"], [3, hidden], requiresGrad: true)
            let what = "\(kind) bias \(bias)"
            switch kind {
            case "LSTMCell":
                let cell = LSTMCell(inputSize, hidden, bias: bias)
                try loadParameters(cell, c["params"])
                let c0 = tensor(c["c0"], [3, hidden], requiresGrad: true)
                let (h, cNext) = cell(x, (h0, c0))
                expectClose(h.toArray(), floats(c["h"]), "\(what) h")
                expectClose(cNext.toArray(), floats(c["c"]), "\(what) c")
                ((h * tensor(c["upstream"], [3, hidden])).sum() + (cNext * tensor(c["upstream_c"], [3, hidden])).sum()).backward()
                expectClose(c0.grad!.toArray(), floats(c["grad_c0"]), "\(what) grad c0")
                expectParameterGrads(cell, c["grads"], what)
            default:
                let cell: RecurrentCellBase = kind == "GRUCell" ? GRUCell(inputSize, hidden, bias: bias)
                    : RNNCell(inputSize, hidden, bias: bias, nonlinearity: RNNNonlinearity(rawValue: c["nonlinearity"] as! String)!)
                try loadParameters(cell, c["params"])
                let h = (cell as? GRUCell)?(x, h0) ?? (cell as! RNNCell)(x, h0)
                expectClose(h.toArray(), floats(c["h"]), "\(what) h")
                (h * tensor(c["upstream"], [3, hidden])).sum().backward()
                expectParameterGrads(cell, c["grads"], what)
            }
            expectClose(x.grad!.toArray(), floats(c["grad_input"]), "\(what) grad input")
            expectClose(h0.grad!.toArray(), floats(c["grad_h0"]), "\(what) grad h0")
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        manualSeed(7)
        let gru = GRU(2, 3, numLayers: 2, batchFirst: true, bidirectional: true)
        let x = Tensor.randn([2, 3, 2], requiresGrad: true)
        let lstm = LSTM(2, 3)
        for f in [{ (t: Tensor) in gru(t, nil).output }, { (t: Tensor) in lstm(t, nil).state.c }] {
            let analytic = { () -> [Float] in
                x.grad = nil
                f(x).sum().backward()
                return x.grad!.toArray()
            }()
            expectClose(analytic, numericalGradient(of: f, at: x, h: 1e-2), atol: 2e-3, rtol: 1e-2, "finite differences")
        }
    }

    @Test func shapesModesAndDescriptions() {
        let lstm = LSTM(3, 4, numLayers: 2, batchFirst: true, dropout: 0.5, bidirectional: true)
        #expect(lstm.parameters().count == 16)
        #expect(lstm.stateDictKeys.prefix(5) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"])
        #expect(lstm.namedParameters().first { $0.0 == "weight_ih_l1" }!.1.shape == [16, 8])
        let x = Tensor.randn([2, 5, 3])
        let (output, (h, c)) = lstm(x, nil)
        #expect(output.shape == [2, 5, 8] && h.shape == [4, 2, 4] && c.shape == [4, 2, 4])
        #expect(lstm(x).shape == [2, 5, 8])   // forward: the output sequence
        // Training applies dropout between the layers, so two runs differ; evaluation turns it off.
        #expect(lstm(x).toArray() != lstm(x).toArray())
        lstm.eval()
        #expect(lstm(x).toArray() == lstm(x).toArray())
        #expect(lstm.description == "LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)")
        #expect(RNN(3, 4, nonlinearity: .relu, bias: false).description == "RNN(3, 4, bias=False)")   // as PyTorch prints it
        #expect(RNNCell(3, 4, bias: false, nonlinearity: .relu).description == "RNNCell(3, 4, bias=False, nonlinearity=relu)")
        #expect(GRUCell(3, 4).description == "GRUCell(3, 4)")
        // Unbatched input: [seq, features] in, states without a batch dim.
        let gru = GRU(3, 4, numLayers: 2)
        let (single, hidden) = gru(Tensor.randn([5, 3]), nil)
        #expect(single.shape == [5, 4] && hidden.shape == [2, 4])
        let bound = 1 / Float(4).squareRoot()
        #expect(gru.parameters().allSatisfy { $0.toArray().allSatisfy { abs($0) <= bound } })
        #expect(LSTMCell(3, 4)(Tensor.randn([3])).shape == [4])
    }
}
