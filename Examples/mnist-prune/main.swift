// Pruning, as in PyTorch's pruning tutorial (torch.nn.utils.prune), on the MNIST MLP: train it, then
// prune the smallest weights of both layers together (global magnitude pruning) in three rounds of
// 50 % of what is left, fine-tuning an epoch after each, and save the sparse model.
//
//     swift run -c release mnist-prune
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
let trainLoader = DataLoader(try MNIST(train: true, transform: normalize), batchSize: 64, shuffle: true, seed: 1)
let testLoader = DataLoader(try MNIST(train: false, transform: normalize), batchSize: 1000)

let model = MLP()
let criterion = CrossEntropyLoss()
let optimizer = Adam(model.parameters(), lr: 1e-3)

func trainEpoch() {
    model.train()
    for (images, labels) in trainLoader {
        let loss = criterion(model(images), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
    }
}

func testAccuracy() -> Double {
    model.eval()
    var correct = 0
    noGrad {
        for (images, labels) in testLoader { correct += Int(model(images).argmax(dim: 1).eq(labels).sum().item()) }
    }
    return Double(correct) / 100
}

/// The share of the two weight matrices that is zero.
func sparsity() -> Double {
    let weights = [model.fc1.weight, model.fc2.weight]
    let zeros = weights.reduce(0) { $0 + Int($1.eq(0).sum().item()) }
    return Double(zeros) / Double(weights.reduce(0) { $0 + $1.count }) * 100
}

for _ in 1...2 { trainEpoch() }
print(String(format: "Trained 2 epochs: test accuracy %.2f %%", testAccuracy()))

let weights = [PruningTarget(model.fc1, \.weight), PruningTarget(model.fc2, \.weight)]
for round in 1...3 {
    Prune.globalUnstructured(weights, L1Unstructured(amount: 0.5))   // half of what is left, both layers ranked together
    let pruned = testAccuracy()
    trainEpoch()                                                    // the pruned weights stay 0 while the rest trains
    print(String(format: "Round %d: %.1f %% of the weights pruned, test accuracy %.2f %% (%.2f %% before fine-tuning)",
                 round, sparsity(), testAccuracy(), pruned))
}
let fc1Zeros = model.fc1.weight.eq(0).sum().item() / Float(model.fc1.weight.count) * 100
let fc2Zeros = model.fc2.weight.eq(0).sum().item() / Float(model.fc2.weight.count) * 100
print(String(format: "fc1 is %.1f %% zeros, fc2 %.1f %%", fc1Zeros, fc2Zeros))
print("State dict while pruned: \(model.stateDictKeys.joined(separator: ", "))")

Prune.remove(model.fc1, \.weight)                                   // bake the zeros in: plain `weight` keys again
Prune.remove(model.fc2, \.weight)
try model.save(to: URL(fileURLWithPath: "mnist_mlp_pruned.safetensors"))
print(String(format: "Saved the pruned model (%.1f %% zeros, test accuracy %.2f %%) to mnist_mlp_pruned.safetensors",
             sparsity(), testAccuracy()))
