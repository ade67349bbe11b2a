import Ember
import Foundation

/// Peak memory and step time of a deep MLP (16 residual blocks Linear 2048→2048 + GELU, batch 1024)
/// trained plainly or with every block checkpointed. Peak RSS only grows within a process, so each
/// mode runs in its own: `ember-bench checkpoint plain`, then `ember-bench checkpoint blocks`.
func checkpointBenchmark(mode: String) {
    final class Block: Module {
        let fc = Linear(2048, 2048)
        override func forward(_ x: Tensor) -> Tensor { fc(x).gelu() + x }
    }
    manualSeed(3)
    let blocks = (0..<16).map { _ in Block() }
    let optimizer = SGD(blocks.flatMap { $0.parameters() }, lr: 1e-4)
    let x = Tensor.randn([1024, 2048])
    let checkpointed = mode == "blocks"
    func step() {
        optimizer.zeroGrad()
        var h = x
        for block in blocks { h = checkpointed ? checkpoint(block, h) : block(h) }
        h.square().mean().backward()
        optimizer.step()
    }
    step()
    let start = Date()
    for _ in 0..<3 { step() }
    let seconds = Date().timeIntervalSince(start) / 3
    let peakMB = peakResidentMegabytes()
    print(String(format: "checkpoint %@: 16 blocks Linear 2048→2048 + GELU, batch 1024, %d threads: "
                 + "step %.0f ms, peak RSS %.0f MB", checkpointed ? "every block" : "none", numThreads(), seconds * 1e3,
                 peakMB))
}
