import Ember
import Foundation

/// Evaluation of the 10,000 MNIST test images with the seed MLP trained for one epoch: the whole
/// pass at several batch sizes, and the one-batch pass broken into its phases (best of 5 each).
func evaluationBenchmark() throws {
    manualSeed(1)
    let (train, test) = try normalizedMNIST()
    let model = BenchMLP()
    trainEpochs(model, train, epochs: 1, steps: nil, verbose: false)
    print("evaluation: seed MLP after one epoch, \(numThreads()) threads")
    model.eval()
    defer { model.train() }
    let all = Array(0..<test.count)
    for batchSize in [10_000, 1_000, 250] {
        var correct = 0
        let seconds = secondsPerCall(minimum: 0.2) {
            correct = 0
            noGrad {
                for (images, labels) in DataLoader(test, batchSize: batchSize, prefetch: false) {
                    correct += Int(model(images).argmax(dim: 1).eq(labels).sum().item())
                }
            }
        }
        print("evaluation of 10,000 test images, batch \(batchSize): \(format(seconds * 1000, 1)) ms, "
              + "accuracy \(format(Double(correct) / 100, 2)) %")
    }
    let (images, labels) = test.batch(at: all)
    let x = images.reshape([test.count, -1])
    let hidden = noGrad { model.fc1(x) }
    let activated = noGrad { hidden.relu() }
    let logits = noGrad { model.fc2(activated) }
    let phases: [(String, () -> Void)] = [
        ("gather", { _ = test.batch(at: all) }),
        ("fc1", { _ = noGrad { model.fc1(x) } }),
        ("relu", { _ = noGrad { hidden.relu() } }),
        ("fc2", { _ = noGrad { model.fc2(activated) } }),
        ("argmax+count", { _ = noGrad { logits.argmax(dim: 1).eq(labels).sum().item() } }),
    ]
    let parts = phases.map { name, body in "\(name) \(format(secondsPerCall(minimum: 0.1, body) * 1000, 2))" }
    print("evaluation phases at batch 10,000 (ms): " + parts.joined(separator: ", "))
    let floor = evaluationProductFloor(rows: test.count)
    let flops = 2 * Double(test.count * 784 * 256)
    print("floor: the first layer's product through raw sgemm takes \(format(floor * 1000, 2)) ms "
          + "(\(format(flops / floor / 1e9, 1)) GFLOP/s)")
    let peak = peakFlops().allCores
    if peak > 0 {
        print("at the FP32 FMA peak of \(format(peak)) GFLOP/s that product would take "
              + "\(format(flops / peak / 1e6, 2)) ms")
    }
}
