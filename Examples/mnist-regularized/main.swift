// Regularizing the MNIST MLP: batch norm, dropout and weight decay in the model and optimizer,
// a validation set held out of the training images, and early stopping that keeps the weights of
// the epoch with the lowest validation loss. Alongside, an exponential moving average of the weights
// (AveragedModel, like torch.optim.swa_utils) is kept and tested too.
//
//     swift run -c release mnist-regularized
import Ember
import Foundation

final class RegularizedMLP: Module {
    let fc1 = Linear(784, 512)
    let bn1 = BatchNorm1d(512)
    let fc2 = Linear(512, 256)
    let bn2 = BatchNorm1d(256)
    let fc3 = Linear(256, 10)
    let dropout = Dropout(p: 0.3)

    override func forward(_ x: Tensor) -> Tensor {
        var h = x.view(x.shape[0], -1)
        h = dropout(bn1(fc1(h)).relu())
        h = dropout(bn2(fc2(h)).relu())
        return fc3(h)
    }
}

manualSeed(1)
let normalize = Normalize(mean: 0.1307, std: 0.3081)
// 55,000 images to train on and 5,000 to choose the epoch with; the test set is only looked at once.
let parts = randomSplit(try MNIST(train: true, transform: normalize), lengths: [55_000, 5_000], seed: 1)
let trainLoader = DataLoader(parts[0], batchSize: 64, shuffle: true, seed: 1)
let validationLoader = DataLoader(parts[1], batchSize: 1000)
let testLoader = DataLoader(try MNIST(train: false, transform: normalize), batchSize: 1000)

let model = RegularizedMLP()
let criterion = CrossEntropyLoss()
let optimizer = Adam(model.parameters(), lr: 1e-3, weightDecay: 1e-4)   // L2 on every parameter
let stopper = EarlyStopping(patience: 3, minDelta: 1e-4)
// The average of the weights over the last ~1000 steps, batch-norm statistics included.
let ema = try AveragedModel(model, copy: RegularizedMLP(), averaging: .exponential(decay: 0.999), useBuffers: true)

/// Mean loss and accuracy (%) of `model` in eval mode: dropout off, batch norm on its running statistics.
func evaluate<D>(_ model: Module, _ loader: DataLoader<D, (Tensor, Tensor)>) -> (loss: Float, accuracy: Float) {
    model.eval()
    var lossSum: Float = 0, correct = 0, total = 0
    noGrad {
        for (images, labels) in loader {
            let logits = model(images)
            lossSum += crossEntropy(logits, labels, reduction: .sum).item()
            correct += Int(logits.argmax(dim: 1).eq(labels).sum().item())
            total += labels.count
        }
    }
    return (lossSum / Float(total), Float(correct) / Float(total) * 100)
}

var bestState: [String: Tensor] = [:]
for epoch in 1...30 {
    model.train()
    let started = Date()
    var lossSum: Float = 0
    for (images, labels) in trainLoader {
        let loss = criterion(model(images), labels)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        ema.updateParameters(from: model)
        lossSum += loss.item()
    }
    let validation = evaluate(model, validationLoader)
    print(String(format: "Epoch %2d: train loss %.4f, validation loss %.4f, validation accuracy %.2f%% (EMA %.2f%%), %.1f s",
                 epoch, lossSum / Float(trainLoader.count), validation.loss, validation.accuracy,
                 evaluate(ema, validationLoader).accuracy, Date().timeIntervalSince(started)))
    // stateDict() shares the model's storage, as in PyTorch: the best epoch's values are cloned.
    if stopper.isImprovement(validation.loss) { bestState = noGrad { model.stateDict().mapValues { $0.clone() } } }
    if stopper.step(validation.loss) {
        print("No improvement for \(stopper.patience) epochs: stopping")
        break
    }
}

try model.loadStateDict(bestState)
let test = evaluate(model, testLoader)
print(String(format: "Kept epoch %d (validation loss %.4f). Test loss %.4f, Test Accuracy: %.2f%%",
             stopper.bestEpoch! + 1, stopper.best!, test.loss, test.accuracy))
let emaTest = evaluate(ema, testLoader)
print(String(format: "EMA of the weights at the last epoch: Test loss %.4f, Test Accuracy: %.2f%%", emaTest.loss, emaTest.accuracy))
try model.save(to: URL(fileURLWithPath: "mnist_regularized.safetensors"))
print("Saved the model to mnist_regularized.safetensors")
