import Ember
import Foundation

/// The seed MLP (784-256-10) as the tutorial defines it.
final class BenchMLP: Module {
    let fc1 = Linear(784, 256)
    let relu = ReLU()
    let fc2 = Linear(256, 10)
    override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x.reshape([x.shape[0], -1])))) }
}

/// Seconds per training epoch of the seed MLP (Adam, batch 64, 60,000 MNIST images) and the step's
/// breakdown: gather (batch assembly), forward (with loss), backward, optimizer.
func trainingBenchmark(epochs: Int, steps: Int?) throws {
    manualSeed(1)
    let train = try MNIST(train: true, transform: Normalize(mean: MNIST.mean, std: MNIST.std), progress: false)
    let test = try MNIST(train: false, transform: Normalize(mean: MNIST.mean, std: MNIST.std), progress: false)
    let model = BenchMLP()
    let optimizer = Adam(model.parameters(), lr: 1e-3)
    let order = RandomGenerator(seed: 1)
    var phase = [Double](repeating: 0, count: 4)
    print("training: seed MLP 784-256-10, Adam lr 1e-3, batch 64, \(numThreads()) threads")
    var epochSeconds: [Double] = []
    for epoch in 1...epochs {
        let permutation = order.permutation(train.count)
        let batches = steps ?? (train.count + 63) / 64
        let start = secondsNow()
        for step in 0..<batches {
            let lo = (step * 64) % train.count
            timedTrainingStep(model, optimizer, train, Array(permutation[lo..<min(lo + 64, train.count)]), phases: &phase)
        }
        let seconds = secondsNow() - start
        epochSeconds.append(seconds)
        print("epoch \(epoch): \(format(seconds, 3)) s (\(batches) steps, \(format(seconds / Double(batches) * 1e6, 0)) µs/step)")
    }
    let steps = Double(epochs * (steps ?? (train.count + 63) / 64))
    print("step breakdown (µs): gather \(format(phase[0] / steps * 1e6, 1)), forward \(format(phase[1] / steps * 1e6, 1)), "
          + "backward \(format(phase[2] / steps * 1e6, 1)), optimizer \(format(phase[3] / steps * 1e6, 1))")
    let evalStart = secondsNow()
    var correct = 0
    model.eval()
    noGrad {
        for (images, labels) in DataLoader(test, batchSize: 10_000, prefetch: false) {
            correct += Int(model(images).argmax(dim: 1).eq(labels).sum().item())
        }
    }
    print("evaluation of 10,000 test images: \(format((secondsNow() - evalStart) * 1000, 1)) ms, accuracy \(format(Double(correct) / 100, 2)) %")
    print("best epoch: \(format(epochSeconds.min()!, 3)) s")
}
