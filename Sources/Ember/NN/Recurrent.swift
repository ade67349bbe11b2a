/// What RNN, LSTM and GRU share (PyTorch's `RNNBase`): stacked layers, each run over the whole
/// sequence, optionally in both directions, with dropout between layers while training.
///
/// Input [seq, batch, inputSize] ([batch, seq, inputSize] with `batchFirst`), or unbatched
/// [seq, inputSize]. Output: every step's last-layer hidden state, [seq, batch, directions·hiddenSize]
/// (batch first likewise). States: [numLayers·directions, batch, hiddenSize] ([numLayers·directions,
/// hiddenSize] unbatched), layer-major with the reverse direction second, as in PyTorch.
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
    /// (name, tensor) in PyTorch's order; not a `[Tensor]`, so reflection does not list them again.
    private var namedWeights: [(name: String, tensor: Tensor)] = []

    init(_ kind: Kind, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool, dropout: Float,
         bidirectional: Bool) {
        precondition(inputSize >= 0 && hiddenSize > 0 && numLayers >= 1,
                     "Ember: \(kind.name) needs inputSize ≥ 0, hiddenSize > 0 and numLayers ≥ 1, got \(inputSize), "
                        + "\(hiddenSize) and \(numLayers)")
        precondition(dropout >= 0 && dropout <= 1, "Ember: \(kind.name): dropout must be in [0, 1], got \(dropout)")
        self.kind = kind
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
                let layerInput = layer == 0 ? inputSize : hiddenSize * directions
                namedWeights.append(("weight_ih_l\(layer)\(suffix)", Tensor.zeros([rows, layerInput], requiresGrad: true)))
                namedWeights.append(("weight_hh_l\(layer)\(suffix)", Tensor.zeros([rows, hiddenSize], requiresGrad: true)))
                if bias {
                    namedWeights.append(("bias_ih_l\(layer)\(suffix)", Tensor.zeros([rows], requiresGrad: true)))
                    namedWeights.append(("bias_hh_l\(layer)\(suffix)", Tensor.zeros([rows], requiresGrad: true)))
                }
            }
        }
        resetParameters()
    }

    public var directions: Int { bidirectional ? 2 : 1 }

    /// PyTorch's default: every weight and bias U(−1/√hidden, 1/√hidden).
    open func resetParameters() {
        let bound = 1 / Float(hiddenSize).squareRoot()
        for (_, t) in namedWeights { Init.uniform(t, low: -bound, high: bound) }
    }

    open override func directParameters() -> [(String, Tensor)] { namedWeights.map { ($0.name, $0.tensor) } }

    /// The weights of layer `layer`, direction `direction` (0 forward, 1 reverse).
    private func weights(_ layer: Int, _ direction: Int) -> (ih: Tensor, hh: Tensor, biasIH: Tensor?, biasHH: Tensor?) {
        let perDirection = bias ? 4 : 2
        let first = (layer * directions + direction) * perDirection
        let w = namedWeights[first..<first + perDirection].map(\.tensor)
        return (w[0], w[1], bias ? w[2] : nil, bias ? w[3] : nil)
    }

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
        let stateShape = unbatched ? [numLayers * directions, hiddenSize] : [numLayers * directions, batch, hiddenSize]
        func initialState(_ s: Tensor?, _ name: String) -> Tensor? {
            guard let s else { return nil }
            guard s.shape == stateShape else {
                shapeFailure(ShapeError("\(op): expected \(name) of shape \(stateShape) for input of shape \(input.shape), "
                    + "got \(s.shape)"))
            }
            return unbatched ? s.unsqueeze(1) : s
        }
        let h0 = initialState(h0, "h0"), c0 = initialState(c0, "c0")
        let zeros = Tensor.zeros([batch, hiddenSize], dtype: x.dtype, device: x.device)

        var layerInput = x
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        for layer in 0..<numLayers {
            var outputs: [Tensor] = []
            for direction in 0..<directions {
                let w = weights(layer, direction)
                let index = layer * directions + direction
                let projected = linear(layerInput, weight: w.ih, bias: w.biasIH)   // all steps at once
                var h = h0?[index] ?? zeros
                var c = c0?[index] ?? zeros
                var hs = [Tensor](repeating: zeros, count: steps)
                for s in 0..<steps {
                    let t = direction == 0 ? s : steps - 1 - s
                    switch kind {
                    case .rnn(let f): h = RecurrentStep.rnn(projected[t], h, weightHH: w.hh, biasHH: w.biasHH, f)
                    case .lstm: (h, c) = RecurrentStep.lstm(projected[t], h, c, weightHH: w.hh, biasHH: w.biasHH)
                    case .gru: h = RecurrentStep.gru(projected[t], h, weightHH: w.hh, biasHH: w.biasHH)
                    }
                    hs[t] = h
                }
                outputs.append(Tensor.stack(hs))
                finalH.append(h)
                finalC.append(c)
            }
            layerInput = outputs.count == 1 ? outputs[0] : Tensor.cat(outputs, dim: 2)
            if dropout > 0 && isTraining && layer < numLayers - 1 {
                layerInput = Ember.dropout(layerInput, p: dropout)
            }
        }
        let output = unbatched ? layerInput.squeeze(1) : (batchFirst ? layerInput.transpose(0, 1) : layerInput)
        func stacked(_ states: [Tensor]) -> Tensor {
            let s = Tensor.stack(states)
            return unbatched ? s.squeeze(1) : s
        }
        let c: Tensor? = if case .lstm = kind { stacked(finalC) } else { nil }
        return (output, stacked(finalH), c)
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
        let result = run(x, h0: h0, c0: nil)
        return (result.output, result.h)
    }

}

/// A stacked LSTM, like `torch.nn.LSTM` (without `proj_size`): `let (output, (h, c)) = lstm(x, nil)`
/// or `lstm(x, (h0, c0))`; see `RNNBase` for the shapes and `RecurrentStep` for the gates.
public final class LSTM: RNNBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Float = 0, bidirectional: Bool = false) {
        super.init(.lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional)
    }

    /// The output sequence and the last (h, c) of every layer and direction.
    public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (output: Tensor, state: (h: Tensor, c: Tensor)) {
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
        let result = run(x, h0: h0, c0: nil)
        return (result.output, result.h)
    }
}
