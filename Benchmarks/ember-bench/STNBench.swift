import Ember

/// The network of examples/mnist-stn (PyTorch's spatial transformer tutorial): a localisation network
/// regresses an affine matrix, affineGrid + gridSample warp the digit, then a small CNN classifies it.
final class BenchSTN: Module {
    let conv1 = Conv2d(1, 10, kernelSize: 5)
    let conv2 = Conv2d(10, 20, kernelSize: 5)
    let conv2Drop = Dropout2d()
    let fc1 = Linear(320, 50)
    let fc2 = Linear(50, 10)
    let localization = Sequential {
        Conv2d(1, 8, kernelSize: 7)
        MaxPool2d(2, stride: 2)
        ReLU()
        Conv2d(8, 10, kernelSize: 5)
        MaxPool2d(2, stride: 2)
        ReLU()
    }
    let fcLoc = Sequential {
        Linear(10 * 3 * 3, 32)
        ReLU()
        Linear(32, 3 * 2)
    }

    override func forward(_ input: Tensor) -> Tensor {
        let theta = fcLoc(localization(input).view(-1, 10 * 3 * 3)).view(-1, 2, 3)
        var x = gridSample(input, grid: affineGrid(theta, size: input.shape))
        x = maxPool2d(conv1(x), kernel: (2, 2)).relu()
        x = maxPool2d(conv2Drop(conv2(x)), kernel: (2, 2)).relu()
        x = dropout(fc1(x.view(-1, 320)).relu(), training: isTraining)
        return fc2(x).logSoftmax(dim: 1)
    }
}

/// Milliseconds per training step of `BenchSTN` (NLL loss, SGD lr 0.01, batch 64, random images and
/// labels, as scripts/bench_pytorch_stn.py does for PyTorch), with the breakdown; then the sampler alone.
func stnBenchmark(steps: Int) {
    manualSeed(1)
    let model = BenchSTN()
    let batches = (0..<8).map { _ in (Tensor.randn([64, 1, 28, 28]), Tensor.randint(0, 10, [64])) }
    print("stn: the spatial transformer tutorial's network (affineGrid + gridSample, then a CNN), NLL, SGD, batch 64, "
          + "\(numThreads()) threads")
    stepBenchmark(model, SGD(model.parameters(), lr: 0.01), batches: batches, steps: steps, epochSteps: 938,
                  loss: { nllLoss($0, $1) })
    // The sampler alone, forward and backward, at the tutorial's shapes.
    let x = Tensor.randn([64, 1, 28, 28], requiresGrad: true)
    let theta = (Tensor([1, 0, 0, 0, 1, 0] as [Float], shape: [1, 2, 3]) + Tensor.randn([64, 2, 3]) * 0.1).requiringGrad()
    let seconds = secondsPerCall {
        let out = gridSample(x, grid: affineGrid(theta, size: x.shape))
        out.sum().backward()
    }
    print("affineGrid + gridSample [64, 1, 28, 28], forward + backward: \(format(seconds * 1e6, 0)) µs")
    let grid = affineGrid(theta, size: x.shape).detach().requiringGrad()
    let sampler = secondsPerCall { gridSample(x, grid: grid).sum().backward() }
    let gridAlone = secondsPerCall { affineGrid(theta, size: x.shape).sum().backward() }
    print("  of which gridSample \(format(sampler * 1e6, 0)) µs, affineGrid \(format(gridAlone * 1e6, 0)) µs")
}
