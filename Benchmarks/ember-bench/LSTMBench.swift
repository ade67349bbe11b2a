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
    let optimizer = Adam(model.parameters(), lr: 0.01)
    let batches = (0..<8).map { _ in (Tensor.randn([100, 28, 28]), Tensor.randint(0, 10, [100])) }
    print("lstm: 2-layer LSTM 28→128 over 28 steps, linear 128→10, Adam, batch 100, \(numThreads()) threads")
    var phase = ArraySlice([Double](repeating: 0, count: 3))
    let warmup = 3
    var start = secondsNow()
    for step in 0..<(steps + warmup) {
        if step == warmup { phase = [0, 0, 0]; start = secondsNow() }
        let (x, y) = batches[step % batches.count]
        timedTrainingStep(model, optimizer, x, y, phases: &phase)
    }
    let perStep = (secondsNow() - start) / Double(steps)
    print("step: \(format(perStep * 1000, 1)) ms over \(steps) steps → \(format(perStep * 600, 1)) s per epoch (600 steps)")
    let n = Double(steps)
    print("step breakdown (ms): forward \(format(phase[0] / n * 1e3, 2)), backward \(format(phase[1] / n * 1e3, 2)), "
          + "optimizer \(format(phase[2] / n * 1e3, 2))")
}
