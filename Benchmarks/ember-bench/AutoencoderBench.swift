import Ember

/// The convolutional autoencoder of examples/mnist-autoencoder: strided Conv2d 1→16→32 down to 7×7,
/// ConvTranspose2d 32→16→1 back up to 28×28, sigmoid.
final class BenchAutoencoder: Module {
    let encoder = Sequential {
        Conv2d(1, 16, kernelSize: 3, stride: 2, padding: 1)
        ReLU()
        Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1)
        ReLU()
    }
    let decoder = Sequential {
        ConvTranspose2d(32, 16, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
        ReLU()
        ConvTranspose2d(16, 1, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
        Sigmoid()
    }
    override func forward(_ x: Tensor) -> Tensor { decoder(encoder(x)) }
}

/// Milliseconds per training step of `BenchAutoencoder` (MSE against the input, Adam, batch 64, random
/// images in [0, 1], as scripts/bench_pytorch_autoencoder.py does for PyTorch), with the breakdown.
func autoencoderBenchmark(steps: Int) {
    manualSeed(1)
    let model = BenchAutoencoder()
    let batches = (0..<8).map { _ in Tensor.rand([64, 1, 28, 28]) }.map { ($0, $0) }
    print("autoencoder: Conv2d 1→16→32 (stride 2), ConvTranspose2d 32→16→1 (stride 2), MSE, Adam, batch 64, "
          + "\(numThreads()) threads")
    stepBenchmark(model, Adam(model.parameters(), lr: 1e-3), batches: batches, steps: steps, epochSteps: 938,
                  loss: { mseLoss($0, $1) })
}
