import Ember
import Foundation

/// The Vision Transformer of examples/mnist-vit: 16 patches of 7×7 pixels as 64-wide tokens after a
/// class token, learned positions, 4 pre-norm encoder layers (4 heads, GELU, feed-forward 128), a
/// linear head on the class token.
final class BenchViT: Module {
    let patchEmbedding = Linear(49, 64)
    let classToken = Init.normal(Tensor.zeros([1, 1, 64], requiresGrad: true), std: 0.02)
    let positionEmbedding = Init.normal(Tensor.zeros([1, 17, 64], requiresGrad: true), std: 0.02)
    let encoder = TransformerEncoder(
        TransformerEncoderLayer(dModel: 64, nhead: 4, dimFeedforward: 128, dropout: 0.1, activation: .gelu,
                                batchFirst: true, normFirst: true),
        numLayers: 4, norm: LayerNorm(64))
    let head = Linear(64, 10)

    override func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        let patches = x.reshape([n, 4, 7, 4, 7]).permute(0, 1, 3, 2, 4).reshape([n, 16, 49])
        let tokens = Tensor.cat([classToken.expand([n, 1, 64]), patchEmbedding(patches)], dim: 1) + positionEmbedding
        return head(encoder(tokens).select(1, 0))
    }
}

/// Milliseconds per training step of `BenchViT` (Adam, batch 128, random MNIST-shaped batches, as
/// scripts/bench_pytorch_vit.py does for PyTorch), with the step's breakdown.
func vitBenchmark(steps: Int) {
    manualSeed(1)
    let model = BenchViT()
    let batches = (0..<8).map { _ in (Tensor.randn([128, 1, 28, 28]), Tensor.randint(0, 10, [128])) }
    print("vit: 16 patches + class token, 4 pre-norm encoder layers (64 wide, 4 heads, GELU, feed-forward 128), "
          + "Adam, batch 128, \(numThreads()) threads")
    stepBenchmark(model, Adam(model.parameters(), lr: 1e-3), batches: batches, steps: steps, epochSteps: 469)
}
