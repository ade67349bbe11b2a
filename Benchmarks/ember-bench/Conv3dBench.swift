import Ember

/// Milliseconds per training step (forward, backward, Adam) of a small video classifier, as
/// scripts/bench_pytorch_conv3d.py times PyTorch's: clips [4, 3, 16, 56, 56] through Conv3d 3→32,
/// ReLU, MaxPool3d (1, 2, 2), Conv3d 32→64, ReLU, AdaptiveAvgPool3d(1), Linear 64→10; and
/// forward-only milliseconds of each Conv3d.
func conv3dBenchmark() {
    manualSeed(1)
    let generator = RandomGenerator(seed: 1)
    let conv1 = Conv3d(3, 32, kernelSize: 3, padding: 1), conv2 = Conv3d(32, 64, kernelSize: 3, padding: 1)
    let head = Linear(64, 10)
    let model = Sequential {
        conv1; ReLU(); MaxPool3d(kernelSize: (1, 2, 2)); conv2; ReLU(); AdaptiveAvgPool3d(1); Flatten(); head
    }
    let optimizer = Adam(model.parameters(), lr: 1e-3)
    let clips = Tensor.randn([4, 3, 16, 56, 56], generator: generator)
    let labels = Tensor.randint(0, 10, [4], generator: generator)
    print("conv3d: clips [4, 3, 16, 56, 56], Conv3d 3→32→64 (3×3×3, padding 1), Adam, \(numThreads()) threads (ms)")
    let step = secondsPerCall(minimum: 1) {
        optimizer.zeroGrad()
        crossEntropy(model(clips), labels).backward()
        optimizer.step()
    }
    let pooled = noGrad { maxPool3d(conv1(clips).relu(), kernel: (1, 2, 2)) }
    let first = secondsPerCall { _ = noGrad { conv1(clips) } }
    let second = secondsPerCall { _ = noGrad { conv2(pooled) } }
    print("\(pad("training step", 20))\(format(step * 1e3, 1))")
    print("\(pad("conv1 forward", 20))\(format(first * 1e3, 1))")
    print("\(pad("conv2 forward", 20))\(format(second * 1e3, 1))")
}
