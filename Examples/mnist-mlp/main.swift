// The classic PyTorch MNIST tutorial, in Swift with Ember:
// an MLP 784 → 256 → ReLU → 10, Adam (lr 1e-3), batch 64, 5 epochs, then test accuracy and a saved model.
//
//     swift run -c release mnist-mlp
import Ember
import Foundation

final class MLP: Module {
    let fc1 = Linear(784, 256)
    let relu = ReLU()
    let fc2 = Linear(256, 10)

    override func forward(_ x: Tensor) -> Tensor {
        fc2(relu(fc1(x.view(x.shape[0], -1))))
    }
}

manualSeed(1)
let normalize = Normalize(mean: 0.1307, std: 0.3081)
let trainSet = try MNIST(train: true, transform: normalize)
let testSet = try MNIST(train: false, transform: normalize)
let trainLoader = DataLoader(trainSet, batchSize: 64, shuffle: true, seed: 1)
let testLoader = DataLoader(testSet, batchSize: 1000)

let model = MLP()
let criterion = CrossEntropyLoss()
let optimizer = Adam(model.parameters(), lr: 1e-3)

let epochs = 5
for epoch in 1...epochs {
    model.train()
    for (step, (images, labels)) in trainLoader.enumerated() {
        let loss = criterion(model(images), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        if (step + 1) % 100 == 0 {
            print("Epoch [\(epoch)/\(epochs)], Step [\(step + 1)/\(trainLoader.count)], Loss: \(String(format: "%.4f", loss.item()))")
        }
    }
}

model.eval()
var correct = 0, total = 0
noGrad {
    for (images, labels) in testLoader {
        let predicted = model(images).argmax(dim: 1)
        correct += Int(predicted.eq(labels).sum().item())
        total += labels.count
    }
}
print("Test Accuracy: \(String(format: "%.2f", Double(correct) / Double(total) * 100))%")

try model.save(to: URL(fileURLWithPath: "mnist_mlp.safetensors"))
print("Saved the model to mnist_mlp.safetensors")
