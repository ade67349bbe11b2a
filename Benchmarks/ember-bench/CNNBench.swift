import Ember
import Foundation

/// The CNN of PyTorch's MNIST example (same as `ember train --model cnn`).
final class BenchCNN: Module {
    let conv1 = Conv2d(1, 32, kernelSize: 3)
    let conv2 = Conv2d(32, 64, kernelSize: 3)
    let dropout1 = Dropout(0.25)
    let dropout2 = Dropout(0.5)
    let fc1 = Linear(9216, 128)
    let fc2 = Linear(128, 10)
    override func forward(_ x: Tensor) -> Tensor {
        var h = conv2(conv1(x).relu()).relu()
        h = dropout1(maxPool2d(h, kernel: (2, 2))).flatten(startDim: 1)
        return fc2(dropout2(fc1(h).relu()))
    }
}

/// Seconds per CNN training step (Adam, batch 64, MNIST) with its breakdown, extrapolated to an epoch
/// of 938 steps; then GFLOP/s of Conv2d forward and backward at the CNN's two shapes.
func cnnBenchmark(steps: Int, convLayers: Bool = true) throws {
    manualSeed(1)
    let train = try MNIST(train: true, transform: Normalize(mean: MNIST.mean, std: MNIST.std), progress: false)
    let model = BenchCNN()
    let optimizer = Adam(model.parameters(), lr: 1e-3)
    let order = RandomGenerator(seed: 1).permutation(train.count)
    print("cnn: PyTorch's MNIST CNN (conv 1→32→64 3×3, max-pool 2, fc 9216→128→10), Adam, batch 64, \(numThreads()) threads")
    var phase = [Double](repeating: 0, count: 4)
    let warmup = 3
    var start = secondsNow()
    for step in 0..<(steps + warmup) {
        if step == warmup { phase = [0, 0, 0, 0]; start = secondsNow() }
        let lo = (step * 64) % (train.count - 64)
        timedTrainingStep(model, optimizer, train, Array(order[lo..<lo + 64]), phases: &phase)
    }
    let perStep = (secondsNow() - start) / Double(steps)
    let epochSteps = (train.count + 63) / 64
    print("step: \(format(perStep * 1000, 1)) ms over \(steps) steps → \(format(perStep * Double(epochSteps), 1)) s per epoch "
          + "(\(epochSteps) steps)")
    let n = Double(steps)
    print("step breakdown (ms): gather \(format(phase[0] / n * 1e3, 2)), forward \(format(phase[1] / n * 1e3, 2)), "
          + "backward \(format(phase[2] / n * 1e3, 2)), optimizer \(format(phase[3] / n * 1e3, 2))")

    guard convLayers else { return }
    // Conv2d alone at the CNN's shapes. Backward computes dW and db, and dX where the input needs it
    // (conv2; conv1's input is the image): 2·forward FLOPs with dX, 1·forward without.
    for (name, inC, outC, size, inputGrad) in [("conv1", 1, 32, 28, false), ("conv2", 32, 64, 26, true)] {
        let conv = Conv2d(inC, outC, kernelSize: 3)
        let x = Tensor.randn([64, inC, size, size], requiresGrad: inputGrad)
        let outSize = size - 2
        let flops = 2.0 * 64 * Double(outC * outSize * outSize) * Double(inC * 9)
        let forward = secondsPerCall { _ = noGrad { conv(x) } }
        let g = Tensor.randn([64, outC, outSize, outSize])
        let both = secondsPerCall {
            let y = conv(x)
            (y * g).sum().backward()
            conv.zeroGrad()
            x.grad = nil
        }
        let extra = secondsPerCall { _ = noGrad { (conv(x) * g).sum() } }  // the forward part of `both`
        let backward = max(both - extra, 1e-9)
        let backwardFlops = flops * (inputGrad ? 2 : 1)
        print("\(pad(name, 6)) [64, \(inC), \(size), \(size)] → [64, \(outC), \(outSize), \(outSize)]: "
              + "forward \(format(forward * 1e3, 2)) ms (\(format(flops / forward / 1e9, 1)) GFLOP/s), "
              + "backward \(format(backward * 1e3, 2)) ms (\(format(backwardFlops / backward / 1e9, 1)) GFLOP/s"
              + (inputGrad ? ", dX + dW" : ", dW only") + ")")
    }
}
