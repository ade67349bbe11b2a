import Ember

/// Milliseconds per call of the CTC loss on a speech-sized batch (200 frames, 32 sequences, 29
/// classes, targets of 20–60 labels), through logSoftmax as a network would call it, as
/// scripts/bench_pytorch_ctc.py times PyTorch's: forward, and forward + backward.
func ctcBenchmark() {
    let generator = RandomGenerator(seed: 1)
    let (frames, batch, classes, longest) = (200, 32, 29, 60)
    let logits = Tensor.randn([frames, batch, classes], generator: generator)
    let targetLengths = (0..<batch).map { 20 + ($0 * 13) % (longest - 20 + 1) }
    let inputLengths = (0..<batch).map { frames - ($0 * 7) % 40 }
    let labels = Tensor.randint(1, classes, [batch, longest], generator: generator)
    func loss(_ x: Tensor) -> Tensor {
        ctcLoss(x.logSoftmax(dim: -1), targets: labels, inputLengths: inputLengths, targetLengths: targetLengths)
    }
    print("CTC loss \(frames)x\(batch)x\(classes), targets of 20-\(longest), \(numThreads()) threads (ms per call: forward, forward + backward)")
    let forward = secondsPerCall { _ = noGrad { loss(logits) } }
    let leaf = logits.detach().requiringGrad(true)
    let both = secondsPerCall {
        leaf.grad = nil
        loss(leaf).backward()
    }
    print("\(pad("ctc", 20))\(format(forward * 1e3, 2))  \(format(both * 1e3, 2))")
}
