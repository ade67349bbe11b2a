import Ember
import Foundation

/// Step time and peak memory of a language model's output head: 2048 hidden vectors of 256 features
/// scored against 32,000 classes by `linearCrossEntropy`, forward and backward, with the whole
/// logits (`ember-bench linear-ce whole`) or 256 rows at a time (`ember-bench linear-ce chunked 256`).
/// Peak RSS only grows within a process, so each mode runs in its own.
func linearCrossEntropyBenchmark(mode: String, chunk: Int) {
    manualSeed(5)
    let (rows, features, classes) = (2048, 256, 32_000)
    let x = Tensor.randn([rows, features]).requiringGrad()
    let weight = (Tensor.randn([classes, features]) * 0.05).requiringGrad()
    let target = Tensor((0..<rows).map { ($0 * 7919) % classes })
    let chunked = mode == "chunked"
    func step() {
        x.grad = nil
        weight.grad = nil
        linearCrossEntropy(x, linearWeight: weight, target: target, chunkSize: chunked ? chunk : nil).backward()
    }
    step()
    let start = Date()
    for _ in 0..<3 { step() }
    let seconds = Date().timeIntervalSince(start) / 3
    let peakMB = peakResidentMegabytes()
    print(String(format: "linear-ce %@: %d rows × %d features → %d classes, forward + backward, %d threads: "
                 + "step %.0f ms, peak RSS %.0f MB", chunked ? "chunks of \(chunk) rows" : "whole logits", rows, features, classes,
                 numThreads(), seconds * 1e3, peakMB))
}
