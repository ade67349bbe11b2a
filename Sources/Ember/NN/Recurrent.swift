/// What RNN, LSTM and GRU share (PyTorch's `RNNBase`): stacked layers, each run over the whole
/// sequence, optionally in both directions, with dropout between layers while training.
///
/// Input [seq, batch, inputSize] ([batch, seq, inputSize] with `batchFirst`), or unbatched
/// [seq, inputSize]. Output: every step's last-layer hidden state, [seq, batch, directions·hiddenSize]
/// (batch first likewise). States: [numLayers·directions, batch, hiddenSize] ([numLayers·directions,
/// hiddenSize] unbatched), layer-major with the reverse direction second, as in PyTorch. An LSTM with
/// `projSize` has hidden states (and outputs) of `projSize` and cell states of `hiddenSize`.
///
/// A `PackedSequence` (`packPaddedSequence`, `packSequence`) runs each sequence of a batch only as far
/// as it goes, so padding never reaches the states; the output is packed the same way.
///
/// Parameters, named as PyTorch names them so its state dicts load unchanged:
/// `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`, with `_reverse` for the
/// backward direction; all initialized U(−1/√hidden, 1/√hidden). Each layer projects the input of all
/// time steps in one matrix product; only the hidden-state product runs step by step.
open class RNNBase: Module {
    enum Kind {
        case rnn(RNNNonlinearity), lstm, gru

        var gates: Int {
            switch self {
            case .rnn: return 1
            case .lstm: return 4
            case .gru: return 3
            }
        }

        var name: String {
            switch self {
            case .rnn: return "RNN"
            case .lstm: return "LSTM"
            case .gru: return "GRU"
            }
        }
    }

    let kind: Kind
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let bias: Bool
    public let batchFirst: Bool
    /// Dropout probability on the outputs of each layer but the last, while training.
    public let dropout: Float
    public let bidirectional: Bool
    /// The size an LSTM projects its hidden state to (`weight_hr_l{k}`), or 0 for none.
    public let projSize: Int
    /// (name, tensor) in PyTorch's order; not a `[Tensor]`, so reflection does not list them again.
    private var namedWeights: [(name: String, tensor: Tensor)] = []

    init(_ kind: Kind, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool, dropout: Float,
         bidirectional: Bool, projSize: Int = 0) {
        precondition(inputSize >= 0 && hiddenSize > 0 && numLayers >= 1,
                     "Ember: \(kind.name) needs inputSize ≥ 0, hiddenSize > 0 and numLayers ≥ 1, got \(inputSize), "
                        + "\(hiddenSize) and \(numLayers)")
        precondition(dropout >= 0 && dropout <= 1, "Ember: \(kind.name): dropout must be in [0, 1], got \(dropout)")
        precondition(projSize >= 0 && projSize < hiddenSize,
                     "Ember: \(kind.name): projSize must be in 0..<hiddenSize (\(hiddenSize)), got \(projSize)")
        self.kind = kind
        self.projSize = projSize
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        super.init()
        let rows = kind.gates * hiddenSize
        for layer in 0..<numLayers {
            for suffix in bidirectional ? ["", "_reverse"] : [""] {
                let layerInput = layer == 0 ? inputSize : outputSize * directions
                namedWeights.append(("weight_ih_l\(layer)\(suffix)", Tensor.zeros([rows, layerInput], requiresGrad: true)))
                namedWeights.append(("weight_hh_l\(layer)\(suffix)", Tensor.zeros([rows, outputSize], requiresGrad: true)))
                if bias {
                    namedWeights.append(("bias_ih_l\(layer)\(suffix)", Tensor.zeros([rows], requiresGrad: true)))
                    namedWeights.append(("bias_hh_l\(layer)\(suffix)", Tensor.zeros([rows], requiresGrad: true)))
                }
                if projSize > 0 {
                    namedWeights.append(("weight_hr_l\(layer)\(suffix)", Tensor.zeros([projSize, hiddenSize], requiresGrad: true)))
                }
            }
        }
        resetParameters()
    }

    public var directions: Int { bidirectional ? 2 : 1 }

    /// The size of each direction's hidden state and output: `projSize` when projecting, else `hiddenSize`.
    public var outputSize: Int { projSize > 0 ? projSize : hiddenSize }

    /// PyTorch's default: every weight and bias U(−1/√hidden, 1/√hidden).
    open func resetParameters() {
        let bound = 1 / Float(hiddenSize).squareRoot()
        for (_, t) in namedWeights { Init.uniform(t, low: -bound, high: bound) }
    }

    open override func directParameters() -> [(String, Tensor)] { namedWeights.map { ($0.name, $0.tensor) } }

    /// The weights of layer `layer`, direction `direction` (0 forward, 1 reverse).
    private func weights(_ layer: Int, _ direction: Int) -> Weights {
        let perDirection = (bias ? 4 : 2) + (projSize > 0 ? 1 : 0)
        let first = (layer * directions + direction) * perDirection
        let w = namedWeights[first..<first + perDirection].map(\.tensor)
        return (w[0], w[1], bias ? w[2] : nil, bias ? w[3] : nil, projSize > 0 ? w[perDirection - 1] : nil)
    }

    private typealias Weights = (ih: Tensor, hh: Tensor, biasIH: Tensor?, biasHH: Tensor?, hr: Tensor?)

    /// Runs every layer over `input`, from the states `h0` (and `c0` for an LSTM), or zeros.
    func run(_ input: Tensor, h0: Tensor?, c0: Tensor?) -> (output: Tensor, h: Tensor, c: Tensor?) {
        let op = kind.name
        guard (input.rank == 2 || input.rank == 3), input.shape[input.rank - 1] == inputSize else {
            let order = batchFirst ? "[batch, seq, \(inputSize)]" : "[seq, batch, \(inputSize)]"
            shapeFailure(ShapeError("\(op): expected input of shape \(order) or [seq, \(inputSize)], got \(input.shape)"))
        }
        let unbatched = input.rank == 2
        // Time-major [seq, batch, features] inside.
        let x = unbatched ? input.unsqueeze(1) : (batchFirst ? input.transpose(0, 1) : input)
        let (steps, batch) = (x.shape[0], x.shape[1])
        guard steps > 0 else { shapeFailure(ShapeError("\(op): expected a sequence of at least one step, got input \(input.shape)")) }
        func initialState(_ s: Tensor?, _ name: String, size: Int) -> Tensor? {
            guard let s else { return nil }
            let stateShape = unbatched ? [numLayers * directions, size] : [numLayers * directions, batch, size]
            guard s.shape == stateShape else {
                shapeFailure(ShapeError("\(op): expected \(name) of shape \(stateShape) for input of shape \(input.shape), "
                    + "got \(s.shape)"))
            }
            return unbatched ? s.unsqueeze(1) : s
        }
        // Every sequence runs all `steps`: the packed layout with `batch` sequences at each step.
        let result = runSteps(x.reshape([steps * batch, inputSize]), batchSizes: Array(repeating: batch, count: steps),
                              h0: initialState(h0, "h0", size: outputSize), c0: initialState(c0, "c0", size: hiddenSize))
        let output = result.output.reshape([steps, batch, directions * outputSize])
        return (unbatched ? output.squeeze(1) : (batchFirst ? output.transpose(0, 1) : output),
                unbatched ? result.h.squeeze(1) : result.h, unbatched ? result.c?.squeeze(1) : result.c)
    }

    /// Runs every layer over a packed batch, each sequence only as far as it goes; states are in the
    /// caller's batch order.
    func run(_ input: PackedSequence, h0: Tensor?, c0: Tensor?) -> (output: PackedSequence, h: Tensor, c: Tensor?) {
        let op = kind.name
        guard input.data.rank == 2, input.data.shape[1] == inputSize else {
            shapeFailure(ShapeError("\(op): expected packed data of shape [steps, \(inputSize)], got \(input.data.shape)"))
        }
        let sorted = input.sortedIndices.map { Tensor($0, device: input.data.device) }
        let unsorted = input.unsortedIndices.map { Tensor($0, device: input.data.device) }
        func initialState(_ s: Tensor?, _ name: String, size: Int) -> Tensor? {
            guard let s else { return nil }
            let stateShape = [numLayers * directions, input.batchSize, size]
            guard s.shape == stateShape else {
                shapeFailure(ShapeError("\(op): expected \(name) of shape \(stateShape) for a packed batch of "
                    + "\(input.batchSize) sequences, got \(s.shape)"))
            }
            return sorted.map { s.indexSelect(dim: 1, indices: $0) } ?? s
        }
        let result = runSteps(input.data, batchSizes: input.batchSizes, h0: initialState(h0, "h0", size: outputSize),
                              c0: initialState(c0, "c0", size: hiddenSize))
        func unsort(_ s: Tensor) -> Tensor { unsorted.map { s.indexSelect(dim: 1, indices: $0) } ?? s }
        return (input.replacing(data: result.output), unsort(result.h), result.c.map(unsort))
    }

    /// Every layer over packed steps `data` [N, inputSize] (`batchSizes[t]` sequences at step t, longest
    /// first), from `h0`/`c0` [layers·directions, batch, hidden] in that order, or zeros. Returns every
    /// step's last-layer output [N, directions·hidden] and each sequence's final states.
    private func runSteps(_ data: Tensor, batchSizes: [Int], h0: Tensor?, c0: Tensor?) -> (output: Tensor, h: Tensor, c: Tensor?) {
        let isLSTM = if case .lstm = kind { true } else { false }
        let zeros = Tensor.zeros([batchSizes[0], outputSize], dtype: data.dtype, device: data.device)
        let zeroCells = projSize > 0 ? Tensor.zeros([batchSizes[0], hiddenSize], dtype: data.dtype, device: data.device) : zeros
        let offsets = PackedSequence.stepOffsets(batchSizes)
        var layerInput = data
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let result = runDirection(layerInput, weights(layer, direction), batchSizes: batchSizes, offsets: offsets,
                                          h0: h0?[index] ?? zeros, c0: isLSTM ? c0?[index] ?? zeroCells : nil, reverse: direction == 1)
                outputs.append(result.output)
                finalH.append(result.h)
                if let c = result.c { finalC.append(c) }
            }
            layerInput = outputs.count == 1 ? outputs[0] : Tensor.cat(outputs, dim: 1)
            if dropout > 0 && isTraining && layer < numLayers - 1 {
                layerInput = Ember.dropout(layerInput, p: dropout)
            }
        }
        return (layerInput, Tensor.stack(finalH), isLSTM ? Tensor.stack(finalC) : nil)
    }

    /// One direction of one layer. The input of all steps is projected in one matrix product; then the
    /// steps run, as one fused op for an LSTM or GRU where the backend has one (`fusedLSTM`, `fusedGRU`),
    /// else as composed ops.
    private func runDirection(_ input: Tensor, _ w: Weights,
                              batchSizes: [Int], offsets: [Int], h0: Tensor, c0: Tensor?,
                              reverse: Bool) -> (output: Tensor, h: Tensor, c: Tensor?) {
        let projected = linear(input, weight: w.ih, bias: w.biasIH)
        let kind = self.kind
        if case .lstm = kind, w.hr == nil, let c0,
           let fused = fusedLSTM(projected, h0: h0, c0: c0, weightHH: w.hh, biasHH: w.biasHH, batchSizes: batchSizes,
                                 reverse: reverse, stepwise: {
                                     let steps = Self.runSteps(kind, projected, w, batchSizes: batchSizes, offsets: offsets,
                                                               h0: h0, c0: c0, reverse: reverse)
                                     return (steps.output, steps.h, steps.c!)
                                 }) {
            return fused
        }
        if case .gru = kind,
           let fused = fusedGRU(projected, h0: h0, weightHH: w.hh, biasHH: w.biasHH, batchSizes: batchSizes, reverse: reverse,
                                stepwise: {
                                    let steps = Self.runSteps(kind, projected, w, batchSizes: batchSizes, offsets: offsets,
                                                              h0: h0, c0: nil, reverse: reverse)
                                    return (steps.output, steps.h)
                                }) {
            return (fused.output, fused.h, nil)
        }
        return Self.runSteps(kind, projected, w, batchSizes: batchSizes, offsets: offsets, h0: h0, c0: c0, reverse: reverse)
    }

    /// The steps of one direction as composed ops, from the projected input. Going forward, sequences
    /// that end drop off the bottom of the state (their final state is kept); going backward,
    /// sequences join from `h0` as the walk reaches their last step.
    private static func runSteps(_ kind: Kind, _ projected: Tensor, _ w: Weights,
                                 batchSizes: [Int], offsets: [Int], h0: Tensor, c0: Tensor?,
                                 reverse: Bool) -> (output: Tensor, h: Tensor, c: Tensor?) {
        let steps = batchSizes.count
        var h = reverse ? h0.narrow(0, start: 0, length: batchSizes[steps - 1]) : h0
        var c = reverse ? c0?.narrow(0, start: 0, length: batchSizes[steps - 1]) : c0
        var endedH: [Tensor] = [], endedC: [Tensor] = []
        var hs = [Tensor](repeating: h0, count: steps)
        for s in 0..<steps {
            let t = reverse ? steps - 1 - s : s
            let (running, current) = (batchSizes[t], h.shape[0])
            if running < current {
                endedH.append(h.narrow(0, start: running, length: current - running))
                h = h.narrow(0, start: 0, length: running)
                if let cell = c {
                    endedC.append(cell.narrow(0, start: running, length: current - running))
                    c = cell.narrow(0, start: 0, length: running)
                }
            } else if running > current {
                h = Tensor.cat([h, h0.narrow(0, start: current, length: running - current)])
                if let cell = c, let c0 { c = Tensor.cat([cell, c0.narrow(0, start: current, length: running - current)]) }
            }
            let xp = projected.narrow(0, start: offsets[t], length: running)
            switch kind {
            case .rnn(let f): h = RecurrentStep.rnn(xp, h, weightHH: w.hh, biasHH: w.biasHH, f)
            case .lstm:
                (h, c) = RecurrentStep.lstm(xp, h, c!, weightHH: w.hh, biasHH: w.biasHH)
                if let hr = w.hr { h = linear(h, weight: hr, bias: nil) }   // the projection: h = W_hr · (o ⊙ tanh(c))
            case .gru: h = RecurrentStep.gru(xp, h, weightHH: w.hh, biasHH: w.biasHH)
            }
            hs[t] = h
        }
        // Rows that ended earlier are the shorter sequences, further down the batch.
        func final(_ last: Tensor, _ ended: [Tensor]) -> Tensor { ended.isEmpty ? last : Tensor.cat([last] + ended.reversed()) }
        return (steps == 1 ? hs[0] : Tensor.cat(hs), final(h, endedH), c.map { final($0, endedC) })
    }

    /// The output sequence alone, from zero states (so the layer also works inside `Sequential`).
    open override func forward(_ x: Tensor) -> Tensor { run(x, h0: nil, c0: nil).output }

    open override var extraDescription: String {
        var text = "\(inputSize), \(hiddenSize)"
        if numLayers != 1 { text += ", num_layers=\(numLayers)" }
        if !bias { text += ", bias=False" }
        if batchFirst { text += ", batch_first=True" }
        if dropout != 0 { text += ", dropout=\(dropout)" }
        if bidirectional { text += ", bidirectional=True" }
        if projSize > 0 { text += ", proj_size=\(projSize)" }
        return text
    }
}

/// A stacked Elman recurrent layer, like `torch.nn.RNN`: h_t = f(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)
/// with f tanh or ReLU. `let (output, hN) = rnn(x, nil)` (zero initial state) or `rnn(x, h0)`;
/// `rnn(x)` alone is the output sequence (`forward`). See `RNNBase` for the shapes.
public final class RNN: RNNBase {
    public let nonlinearity: RNNNonlinearity

    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, nonlinearity: RNNNonlinearity = .tanh,
                bias: Bool = true, batchFirst: Bool = false, dropout: Float = 0, bidirectional: Bool = false) {
        self.nonlinearity = nonlinearity
        super.init(.rnn(nonlinearity), inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional)
    }

    /// The output sequence and the last hidden state of every layer and direction.
    public func callAsFunction(_ x: Tensor, _ h0: Tensor?) -> (output: Tensor, hidden: Tensor) {
        refreshParametrizations()
        let result = run(x, h0: h0, c0: nil)
        return (result.output, result.h)
    }

    /// The same over a packed batch (see `PackedSequence`): each sequence's last hidden state is taken at
    /// its own last step; `h0` and the result are in the caller's batch order.
    public func callAsFunction(_ x: PackedSequence, _ h0: Tensor?) -> (output: PackedSequence, hidden: Tensor) {
        refreshParametrizations()
        let result = run(x, h0: h0, c0: nil)
        return (result.output, result.h)
    }

}

/// A stacked LSTM, like `torch.nn.LSTM`: `let (output, (h, c)) = lstm(x, nil)` or `lstm(x, (h0, c0))`;
/// see `RNNBase` for the shapes and `RecurrentStep` for the gates. With `projSize` each step's hidden
/// state is projected to that size by `weight_hr_l{k}` (PyTorch's LSTM with projections).
public final class LSTM: RNNBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false, projSize: Int = 0) {
        super.init(.lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, projSize: projSize)
    }

    /// The output sequence and the last (h, c) of every layer and direction.
    public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (output: Tensor, state: (h: Tensor, c: Tensor)) {
        refreshParametrizations()
        let result = run(x, h0: state?.h, c0: state?.c)
        return (result.output, (result.h, result.c!))
    }

    /// The same over a packed batch (see `PackedSequence`): each sequence's last (h, c) is taken at its own
    /// last step; the initial and final states are in the caller's batch order.
    public func callAsFunction(_ x: PackedSequence, _ state: (h: Tensor, c: Tensor)?)
        -> (output: PackedSequence, state: (h: Tensor, c: Tensor)) {
        refreshParametrizations()
        let result = run(x, h0: state?.h, c0: state?.c)
        return (result.output, (result.h, result.c!))
    }
}

/// A stacked GRU, like `torch.nn.GRU`: `let (output, hN) = gru(x, nil)` or `gru(x, h0)`; see
/// `RNNBase` for the shapes and `RecurrentStep` for the gates.
public final class GRU: RNNBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false) {
        super.init(.gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional)
    }

    /// The output sequence and the last hidden state of every layer and direction.
    public func callAsFunction(_ x: Tensor, _ h0: Tensor?) -> (output: Tensor, hidden: Tensor) {
        refreshParametrizations()
        let result = run(x, h0: h0, c0: nil)
        return (result.output, result.h)
    }

    /// The same over a packed batch (see `PackedSequence`): each sequence's last hidden state is taken at
    /// its own last step; `h0` and the result are in the caller's batch order.
    public func callAsFunction(_ x: PackedSequence, _ h0: Tensor?) -> (output: PackedSequence, hidden: Tensor) {
        refreshParametrizations()
        let result = run(x, h0: h0, c0: nil)
        return (result.output, result.h)
    }
}
