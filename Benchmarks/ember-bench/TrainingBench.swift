import Ember
import Foundation

/// The seed MLP (784-256-10) as the tutorial defines it.
final class BenchMLP: Module {
    let fc1 = Linear(784, 256)
    let relu = ReLU()
    let fc2 = Linear(256, 10)
    override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x.reshape([x.shape[0], -1])))) }
}

/// The MNIST training and test sets, normalized as the tutorial does.
func normalizedMNIST() throws -> (train: MNIST, test: MNIST) {
    (try MNIST(train: true, transform: Normalize(mean: MNIST.mean, std: MNIST.std), progress: false),
     try MNIST(train: false, transform: Normalize(mean: MNIST.mean, std: MNIST.std), progress: false))
}

/// Seconds per training epoch of the seed MLP (Adam, batch 64, 60,000 MNIST images), the step's
/// breakdown (gather, forward with loss, backward, optimizer), and the floor: the step's five matrix
/// products through raw sgemm, measured in the same run.
func trainingBenchmark(epochs: Int, steps: Int?) throws {
    manualSeed(1)
    let (train, _) = try normalizedMNIST()
    let model = BenchMLP()
    print("training: seed MLP 784-256-10, Adam lr 1e-3, batch 64, \(numThreads()) threads")
    let epochSeconds = trainEpochs(model, train, epochs: epochs, steps: steps, verbose: true)
    let floor = stepProductsFloor()
    let epochSteps = Double((train.count + 63) / 64)
    print("floor: the step's products through raw sgemm take \(format(floor * 1e6, 1)) µs "
          + "(\(format(floor * epochSteps, 3)) s per epoch)")
    // Per step, so a shortened epoch (`steps`) compares alike.
    let bestStep = epochSeconds.min()! / Double(steps ?? (train.count + 63) / 64)
    print("best epoch: \(format(epochSeconds.min()!, 3)) s, \(format(bestStep / floor, 2))× the floor")
}

/// Trains `model` with Adam for `epochs` (or `steps` per epoch); returns each epoch's seconds.
@discardableResult
func trainEpochs(_ model: BenchMLP, _ train: MNIST, epochs: Int, steps: Int?, verbose: Bool) -> [Double] {
    let optimizer = Adam(model.parameters(), lr: 1e-3)
    let order = RandomGenerator(seed: 1)
    var phase = [Double](repeating: 0, count: 4)
    var epochSeconds: [Double] = []
    let batches = steps ?? (train.count + 63) / 64
    for epoch in 1...epochs {
        let permutation = order.permutation(train.count)
        let start = secondsNow()
        for step in 0..<batches {
            let lo = (step * 64) % train.count
            timedTrainingStep(model, optimizer, train, Array(permutation[lo..<min(lo + 64, train.count)]), phases: &phase)
        }
        let seconds = secondsNow() - start
        epochSeconds.append(seconds)
        if verbose {
            print("epoch \(epoch): \(format(seconds, 3)) s (\(batches) steps, \(format(seconds / Double(batches) * 1e6, 0)) µs/step)")
        }
    }
    let n = Double(epochs * batches)
    if verbose {
        print("step breakdown (µs): gather \(format(phase[0] / n * 1e6, 1)), forward \(format(phase[1] / n * 1e6, 1)), "
              + "backward \(format(phase[2] / n * 1e6, 1)), optimizer \(format(phase[3] / n * 1e6, 1))")
    }
    return epochSeconds
}
