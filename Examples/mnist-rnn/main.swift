// An LSTM that reads each MNIST digit as a sequence of 28 rows of 28 pixels, as in the recurrent
// network of yunjey's pytorch-tutorial (tutorials/02-intermediate/recurrent_neural_network): a
// 2-layer LSTM with 128 hidden units (batch first), a linear layer on the last step's output, Adam
// lr 0.01, batch 100, 2 epochs.
//
//     swift run -c release mnist-rnn
import Ember
import Foundation

final class RNNClassifier: Module {
    let lstm = LSTM(28, 128, numLayers: 2, batchFirst: true)
    let fc = Linear(128, 10)

    override func forward(_ x: Tensor) -> Tensor {
        let rows = x.reshape([-1, 28, 28])              // [batch, 28 steps, 28 pixels]
        let (output, _) = lstm(rows, nil)               // zero initial states
        return fc(output.select(1, -1))                 // the last step's hidden state
    }
}

let epochs = 2
manualSeed(1)
let normalize = Normalize(mean: MNIST.mean, std: MNIST.std)
let trainSet = try MNIST(train: true, transform: normalize)
let testSet = try MNIST(train: false, transform: normalize)
let trainLoader = DataLoader(trainSet, batchSize: 100, shuffle: true, seed: 1)
let testLoader = DataLoader(testSet, batchSize: 1000)

let model = RNNClassifier()
print(model)
let criterion = CrossEntropyLoss()
let optimizer = Adam(model.parameters(), lr: 0.01)

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
try model.save(to: URL(fileURLWithPath: "mnist_rnn.safetensors"))
print("Saved the model to mnist_rnn.safetensors")
