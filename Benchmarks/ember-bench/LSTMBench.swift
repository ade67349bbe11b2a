import Ember
import Foundation

/// The recurrent network of examples/mnist-rnn: a 2-layer LSTM (128 hidden, batch first) reading a
/// digit as 28 rows of 28 pixels, a linear layer on the last step; or the same with a GRU.
final class BenchRecurrent: Module {
    let lstm: LSTM?, gru: GRU?
    let fc = Linear(128, 10)
    init(gru useGRU: Bool) {
        lstm = useGRU ? nil : LSTM(28, 128, numLayers: 2, batchFirst: true)
        gru = useGRU ? GRU(28, 128, numLayers: 2, batchFirst: true) : nil
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor { fc((lstm.map { $0(x, nil).output } ?? gru!(x, nil).output).select(1, -1)) }
}

/// Milliseconds per training step of `BenchRecurrent` (Adam, batch 100, random MNIST-shaped batches,
/// as scripts/bench_pytorch_lstm.py does for PyTorch), with the step's breakdown.
func recurrentBenchmark(steps: Int, gru: Bool) {
    manualSeed(1)
    let model = BenchRecurrent(gru: gru)
    let batches = (0..<8).map { _ in (Tensor.randn([100, 28, 28]), Tensor.randint(0, 10, [100])) }
    print("\(gru ? "gru" : "lstm"): 2-layer \(gru ? "GRU" : "LSTM") 28→128 over 28 steps, linear 128→10, Adam, batch 100, "
          + "\(numThreads()) threads")
    stepBenchmark(model, Adam(model.parameters(), lr: 0.01), batches: batches, steps: steps, epochSteps: 600)
}
