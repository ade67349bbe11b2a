// A 3 → 4 → ReLU → 1 network learns the sum of three numbers: MSE loss, SGD lr 0.01, 100 epochs.
//
//     swift run sum-regression
import Ember
import Foundation

final class SumNet: Module {
    let fc1 = Linear(3, 4)
    let relu = ReLU()
    let fc2 = Linear(4, 1)

    override func forward(_ x: Tensor) -> Tensor { fc2(relu(fc1(x))) }
}

// From some starting weights SGD at lr 0.01 oscillates on these unscaled inputs (PyTorch too);
// this seed starts where it converges.
manualSeed(4)
let inputs = Tensor([[1.0, 2, 3], [2, 3, 4], [3, 4, 5]])
let targets = Tensor([[6.0], [9], [12]])

let model = SumNet()
let criterion = MSELoss()
let optimizer = SGD(model.parameters(), lr: 0.01)

for epoch in 1...100 {
    optimizer.zeroGrad()
    let loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0 {
        print("Epoch [\(epoch)/100], Loss: \(String(format: "%.4f", loss.item()))")
    }
}

let predictions = noGrad { model(inputs) }
print("Predictions: \(predictions.toArray().map { String(format: "%.3f", $0) }.joined(separator: ", ")) (targets 6, 9, 12)")
