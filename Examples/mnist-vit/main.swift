// A Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words") that classifies MNIST
// digits, as the small ViT-on-MNIST tutorials written with PyTorch's nn.TransformerEncoder do: each
// digit is cut into 16 patches of 7×7 pixels, each patch becomes a 64-wide token, a learned class
// token goes in front, learned position embeddings are added, 4 pre-norm encoder layers (4 heads,
// GELU, feed-forward 128, dropout 0.1) mix them, and a linear head reads the class token.
// Adam lr 1e-3, batch 128, 3 epochs.
//
//     swift run -c release mnist-vit
import Ember
import Foundation

final class VisionTransformer: Module {
    let patchEmbedding = Linear(49, 64)                 // a 7×7 patch → a token
    let classToken = Init.normal(Tensor.zeros([1, 1, 64], requiresGrad: true), std: 0.02)
    let positionEmbedding = Init.normal(Tensor.zeros([1, 17, 64], requiresGrad: true), std: 0.02)
    let encoder = TransformerEncoder(
        TransformerEncoderLayer(dModel: 64, nhead: 4, dimFeedforward: 128, dropout: 0.1, activation: .gelu,
                                batchFirst: true, normFirst: true),
        numLayers: 4, norm: LayerNorm(64))
    let head = Linear(64, 10)

    override func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        // [N, 1, 28, 28] → [N, 16, 49]: a 4×4 grid of 7×7 patches, row by row.
        let patches = x.reshape([n, 4, 7, 4, 7]).permute(0, 1, 3, 2, 4).reshape([n, 16, 49])
        let tokens = Tensor.cat([classToken.expand([n, 1, 64]), patchEmbedding(patches)], dim: 1) + positionEmbedding
        return head(encoder(tokens).select(1, 0))      // classify from the class token
    }
}

let epochs = 3
manualSeed(1)
let normalize = Normalize(mean: MNIST.mean, std: MNIST.std)
let trainSet = try MNIST(train: true, transform: normalize)
let testSet = try MNIST(train: false, transform: normalize)
let trainLoader = DataLoader(trainSet, batchSize: 128, shuffle: true, seed: 1)
let testLoader = DataLoader(testSet, batchSize: 1000)

let model = VisionTransformer()
print(model)
print("\(model.parameters().reduce(0) { $0 + $1.count }) parameters")
let criterion = CrossEntropyLoss()
let optimizer = Adam(model.parameters(), lr: 1e-3)

for epoch in 1...epochs {
    model.train()
    let start = Date()
    for (step, (images, labels)) in trainLoader.enumerated() {
        let loss = criterion(model(images), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        if (step + 1) % 100 == 0 {
            print("Epoch [\(epoch)/\(epochs)], Step [\(step + 1)/\(trainLoader.count)], Loss: \(String(format: "%.4f", loss.item()))")
        }
    }
    print(String(format: "Epoch %d: %.1f s", epoch, Date().timeIntervalSince(start)))
}

model.eval()
var correct = 0, total = 0
noGrad {
    for (images, labels) in testLoader {
        correct += Int(model(images).argmax(dim: 1).eq(labels).sum().item())
        total += labels.count
    }
}
print(String(format: "Test accuracy of the model on the 10000 test images: %.2f %%", Double(correct) / Double(total) * 100))
try model.save(to: URL(fileURLWithPath: "mnist_vit.safetensors"))
print("Saved the model to mnist_vit.safetensors")
