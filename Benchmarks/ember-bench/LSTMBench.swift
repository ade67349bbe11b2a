import Ember
import Foundation

/// The recurrent network of examples/mnist-rnn: a 2-layer LSTM (128 hidden, batch first) reading a
/// digit as 28 rows of 28 pixels, a linear layer on the last step.
final class BenchLSTM: Module {
    let lstm = LSTM(28, 128, numLayers: 2, batchFirst: true)
    let fc = Linear(128, 10)
    override func forward(_ x: Tensor) -> Tensor { fc(lstm(x, nil).output.select(1, -1)) }
}

/// Milliseconds per training step of `BenchLSTM` (Adam, batch 100, random MNIST-shaped batches, as
/// scripts/bench_pytorch_lstm.py does for PyTorch), with the step's breakdown.
func lstmBenchmark(steps: Int) {
    manualSeed(1)
    let model = BenchLSTM()
    let batches = (0..<8).map { _ in (Tensor.randn([100, 28, 28]), Tensor.randint(0, 10, [100])) }
    print("lstm: 2-layer LSTM 28→128 over 28 steps, linear 128→10, Adam, batch 100, \(numThreads()) threads")
    stepBenchmark(model, Adam(model.parameters(), lr: 0.01), batches: batches, steps: steps, epochSteps: 600)
}
