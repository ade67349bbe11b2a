// The deeper MNIST MLP: 784 → 128 → ReLU → 64 → ReLU → 10, trained like mnist-mlp.
//
//     swift run -c release mnist-mlp3
//     swift run -c release mnist-mlp3 --muon    # Muon for the hidden weights, Adam for the rest
import Ember
import Foundation

final class MLP3: Module {
    let fc1 = Linear(784, 128)
    let fc2 = Linear(128, 64)
    let fc3 = Linear(64, 10)

    override func forward(_ x: Tensor) -> Tensor {
        var h = x.view(x.shape[0], -1)
        h = fc1(h).relu()
        h = fc2(h).relu()
        return fc3(h)
    }
}

manualSeed(1)
let normalize = Normalize(mean: 0.1307, std: 0.3081)
let trainLoader = DataLoader(try MNIST(train: true, transform: normalize), batchSize: 64, shuffle: true, seed: 1)
let testLoader = DataLoader(try MNIST(train: false, transform: normalize), batchSize: 1000)

let model = MLP3()
let criterion = CrossEntropyLoss()
// With --muon, the two hidden weight matrices go to Muon (orthogonalized momentum) and the output
// layer and biases stay with Adam, as Muon's authors advise. Scaled to match AdamW's update size,
// Muon takes Adam's rate as it is.
let useMuon = CommandLine.arguments.contains("--muon")
let hidden = useMuon ? [model.fc1.weight, model.fc2.weight] : []
let rest = model.parameters().filter { p in !hidden.contains { $0 === p } }
let optimizers: [Optimizer] = useMuon
    ? [Muon(hidden, lr: 1e-3, weightDecay: 0.01, adjustLR: .matchRMSAdamW), Adam(rest, lr: 1e-3)]
    : [Adam(model.parameters(), lr: 1e-3)]

for epoch in 1...5 {
    model.train()
    for (step, (images, labels)) in trainLoader.enumerated() {
        let loss = criterion(model(images), labels)
        optimizers.forEach { $0.zeroGrad() }
        loss.backward()
        optimizers.forEach { $0.step() }
        if (step + 1) % 100 == 0 {
            print("Epoch [\(epoch)/5], Step [\(step + 1)/\(trainLoader.count)], Loss: \(String(format: "%.4f", loss.item()))")
        }
    }
}

model.eval()
let (correct, total) = noGrad {
    testLoader.reduce((0, 0)) { counts, batch in
        let predicted = model(batch.0).argmax(dim: 1)
        return (counts.0 + Int(predicted.eq(batch.1).sum().item()), counts.1 + batch.1.count)
    }
}
print("Test Accuracy: \(String(format: "%.2f", Double(correct) / Double(total) * 100))%")
try model.save(to: URL(fileURLWithPath: "mnist_mlp3.safetensors"))
print("Saved the model to mnist_mlp3.safetensors")
