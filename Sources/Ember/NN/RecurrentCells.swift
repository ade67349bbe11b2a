/// The nonlinearity of a plain (Elman) recurrent layer: h' = f(W_ih·x + b_ih + W_hh·h + b_hh).
public enum RNNNonlinearity: String, Sendable {
    case tanh, relu
}

/// One time step of each recurrent layer, given the input's projection `xp` = W_ih·x + b_ih (which
/// `RNNBase` computes for all steps of a sequence in one product). Gate order and formulas are
/// PyTorch's, so its weights load unchanged:
///
/// - RNN:  h' = f(xp + W_hh·h + b_hh)
/// - LSTM: i, f, g, o = chunks of xp + W_hh·h + b_hh;  c' = σ(f)·c + σ(i)·tanh(g);  h' = σ(o)·tanh(c')
/// - GRU:  r, z, n from xp and hp = W_hh·h + b_hh;  r = σ(xr + hr), z = σ(xz + hz),
///         n = tanh(xn + r·hn);  h' = (1 − z)·n + z·h
enum RecurrentStep {
    static func rnn(_ xp: Tensor, _ h: Tensor, weightHH: Tensor, biasHH: Tensor?, _ f: RNNNonlinearity) -> Tensor {
        let pre = xp + linear(h, weight: weightHH, bias: biasHH)
        return f == .tanh ? pre.tanh() : pre.relu()
    }

    static func lstm(_ xp: Tensor, _ h: Tensor, _ c: Tensor, weightHH: Tensor, biasHH: Tensor?) -> (h: Tensor, c: Tensor) {
        let gates = (xp + linear(h, weight: weightHH, bias: biasHH)).chunk(4, dim: -1)
        let cell = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh()
        return (gates[3].sigmoid() * cell.tanh(), cell)
    }

    static func gru(_ xp: Tensor, _ h: Tensor, weightHH: Tensor, biasHH: Tensor?) -> Tensor {
        let x = xp.chunk(3, dim: -1), hp = linear(h, weight: weightHH, bias: biasHH).chunk(3, dim: -1)
        let reset = (x[0] + hp[0]).sigmoid(), update = (x[1] + hp[1]).sigmoid()
        let candidate = (x[2] + reset * hp[2]).tanh()
        return candidate + update * (h - candidate)
    }
}

/// What the three cells share (PyTorch's `RNNCellBase`): `weight_ih` [gates·hidden, input],
/// `weight_hh` [gates·hidden, hidden], `bias_ih` and `bias_hh` [gates·hidden], all initialized
/// U(−1/√hidden, 1/√hidden). A cell takes one time step: input [batch, inputSize] (or [inputSize]).
open class RecurrentCellBase: Module {
    public let inputSize: Int
    public let hiddenSize: Int
    public var weightIh: Tensor
    public var weightHh: Tensor
    public var biasIh: Tensor?
    public var biasHh: Tensor?

    init(inputSize: Int, hiddenSize: Int, bias: Bool, gates: Int) {
        precondition(inputSize >= 0 && hiddenSize > 0,
                     "Ember: recurrent cell needs inputSize ≥ 0 and hiddenSize > 0, got \(inputSize) and \(hiddenSize)")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        weightIh = Tensor.zeros([gates * hiddenSize, inputSize], requiresGrad: true)
        weightHh = Tensor.zeros([gates * hiddenSize, hiddenSize], requiresGrad: true)
        biasIh = bias ? Tensor.zeros([gates * hiddenSize], requiresGrad: true) : nil
        biasHh = bias ? Tensor.zeros([gates * hiddenSize], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    /// PyTorch's default: every weight and bias U(−1/√hidden, 1/√hidden).
    open func resetParameters() {
        let bound = 1 / Float(hiddenSize).squareRoot()
        for t in [weightIh, weightHh] + [biasIh, biasHh].compactMap({ $0 }) { Init.uniform(t, low: -bound, high: bound) }
    }

    /// The input as [batch, inputSize] (checked), with whether a batch dim was added.
    func batched(_ x: Tensor, _ op: String) -> (x: Tensor, unbatched: Bool) {
        guard (x.rank == 1 || x.rank == 2), x.shape[x.rank - 1] == inputSize else {
            shapeFailure(ShapeError("\(op): expected input of shape [batch, \(inputSize)] or [\(inputSize)], got \(x.shape)"))
        }
        return x.rank == 1 ? (x.unsqueeze(0), true) : (x, false)
    }

    /// A given state as [batch, hiddenSize] (checked), or zeros.
    func state(_ s: Tensor?, batch: Int, unbatched: Bool, _ op: String, _ name: String, like x: Tensor) -> Tensor {
        guard let s else { return Tensor.zeros([batch, hiddenSize], dtype: x.dtype, device: x.device) }
        let expected = unbatched ? [hiddenSize] : [batch, hiddenSize]
        guard s.shape == expected else {
            shapeFailure(ShapeError("\(op): expected \(name) of shape \(expected) for input of batch \(batch), got \(s.shape)"))
        }
        return unbatched ? s.unsqueeze(0) : s
    }

    var biasDescription: String { biasIh == nil ? ", bias=False" : "" }

    open override var extraDescription: String { "\(inputSize), \(hiddenSize)" + biasDescription }
}

/// One step of a plain recurrent layer, like `torch.nn.RNNCell`: `cell(x, h)` is h' = f(W_ih·x + b_ih
/// + W_hh·h + b_hh). `cell(x)` starts from a zero state.
public final class RNNCell: RecurrentCellBase {
    public let nonlinearity: RNNNonlinearity

    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, nonlinearity: RNNNonlinearity = .tanh) {
        self.nonlinearity = nonlinearity
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, gates: 1)
    }

    /// The next hidden state, [batch, hiddenSize] (or [hiddenSize] for an unbatched input).
    public func callAsFunction(_ x: Tensor, _ h: Tensor?) -> Tensor {
        refreshParametrizations()
        return step(x, h)
    }

    private func step(_ x: Tensor, _ h: Tensor?) -> Tensor {
        let (input, unbatched) = batched(x, "RNNCell")
        let h0 = state(h, batch: input.shape[0], unbatched: unbatched, "RNNCell", "h", like: input)
        let xp = linear(input, weight: weightIh, bias: biasIh)
        let out = RecurrentStep.rnn(xp, h0, weightHH: weightHh, biasHH: biasHh, nonlinearity)
        return unbatched ? out.squeeze(0) : out
    }

    public override func forward(_ x: Tensor) -> Tensor { step(x, nil) }   // callAsFunction(_:) has refreshed

    public override var extraDescription: String {
        super.extraDescription + (nonlinearity == .tanh ? "" : ", nonlinearity=\(nonlinearity.rawValue)")
    }
}

/// One step of an LSTM, like `torch.nn.LSTMCell`: `cell(x, (h, c))` returns the next (h, c).
/// `forward(x)` (and so `cell(x)` and `Sequential`) starts from zeros and returns h only.
public final class LSTMCell: RecurrentCellBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, gates: 4)
    }

    public func callAsFunction(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
        refreshParametrizations()
        return step(x, state)
    }

    private func step(_ x: Tensor, _ state: (h: Tensor, c: Tensor)?) -> (h: Tensor, c: Tensor) {
        let (input, unbatched) = batched(x, "LSTMCell")
        let batch = input.shape[0]
        let h0 = self.state(state?.h, batch: batch, unbatched: unbatched, "LSTMCell", "h", like: input)
        let c0 = self.state(state?.c, batch: batch, unbatched: unbatched, "LSTMCell", "c", like: input)
        let xp = linear(input, weight: weightIh, bias: biasIh)
        let (h, c) = RecurrentStep.lstm(xp, h0, c0, weightHH: weightHh, biasHH: biasHh)
        return unbatched ? (h.squeeze(0), c.squeeze(0)) : (h, c)
    }

    public override func forward(_ x: Tensor) -> Tensor { step(x, nil).h }   // callAsFunction(_:) has refreshed
}

/// One step of a GRU, like `torch.nn.GRUCell`: `cell(x, h)` returns the next h.
public final class GRUCell: RecurrentCellBase {
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, gates: 3)
    }

    public func callAsFunction(_ x: Tensor, _ h: Tensor?) -> Tensor {
        refreshParametrizations()
        return step(x, h)
    }

    private func step(_ x: Tensor, _ h: Tensor?) -> Tensor {
        let (input, unbatched) = batched(x, "GRUCell")
        let h0 = state(h, batch: input.shape[0], unbatched: unbatched, "GRUCell", "h", like: input)
        let xp = linear(input, weight: weightIh, bias: biasIh)
        let out = RecurrentStep.gru(xp, h0, weightHH: weightHh, biasHH: biasHh)
        return unbatched ? out.squeeze(0) : out
    }

    public override func forward(_ x: Tensor) -> Tensor { step(x, nil) }   // callAsFunction(_:) has refreshed
}
