// PyTorch's spatial transformer network tutorial (pytorch.org/tutorials/intermediate/
// spatial_transformer_tutorial.html), in Swift with Ember: a localisation network looks at each digit
// and regresses a 2×3 affine matrix; `affineGrid` + `gridSample` warp the digit with it before the
// classifier sees it, and the whole thing trains end to end by SGD (lr 0.01, batch 64), gradients flowing
// through the sampler into the matrix. The tutorial runs 20 epochs; `--epochs N` sets them here (default 5).
// It prints the tutorial's log and test lines, and saves 32 test digits above their warped versions as
// mnist_stn.png (the tutorial's visualize_stn).
//
//     swift run -c release mnist-stn [--epochs N]
import Ember
import Foundation

final class Net: Module {
    let conv1 = Conv2d(1, 10, kernelSize: 5)
    let conv2 = Conv2d(10, 20, kernelSize: 5)
    let conv2Drop = Dropout2d()
    let fc1 = Linear(320, 50)
    let fc2 = Linear(50, 10)
    // The localisation network and the regressor of the 3 × 2 affine matrix.
    let localization = Sequential {
        Conv2d(1, 8, kernelSize: 7)
        MaxPool2d(2, stride: 2)
        ReLU()
        Conv2d(8, 10, kernelSize: 5)
        MaxPool2d(2, stride: 2)
        ReLU()
    }
    let fcLoc = Sequential {
        Linear(10 * 3 * 3, 32)
        ReLU()
        Linear(32, 3 * 2)
    }

    override init() {
        super.init()
        // Start from the identity transformation, as the tutorial does.
        let last = fcLoc.layers[2] as! Linear
        noGrad {
            last.weight.zero_()
            last.bias!.copy_(Tensor([1, 0, 0, 0, 1, 0] as [Float]))
        }
    }

    func stn(_ x: Tensor) -> Tensor {
        let theta = fcLoc(localization(x).view(-1, 10 * 3 * 3)).view(-1, 2, 3)
        return gridSample(x, grid: affineGrid(theta, size: x.shape))
    }

    override func forward(_ input: Tensor) -> Tensor {
        var x = stn(input)
        x = maxPool2d(conv1(x), kernel: (2, 2)).relu()
        x = maxPool2d(conv2Drop(conv2(x)), kernel: (2, 2)).relu()
        x = fc1(x.view(-1, 320)).relu()
        x = dropout(x, training: isTraining)
        return fc2(x).logSoftmax(dim: 1)
    }
}

let epochs = CommandLine.arguments.firstIndex(of: "--epochs").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 5
manualSeed(1)
let normalize = Normalize(mean: MNIST.mean, std: MNIST.std)
let trainLoader = DataLoader(try MNIST(train: true, transform: normalize), batchSize: 64, shuffle: true, seed: 1)
let testSet = try MNIST(train: false, transform: normalize)
let testLoader = DataLoader(testSet, batchSize: 64)
let model = Net()
let optimizer = SGD(model.parameters(), lr: 0.01)

func train(_ epoch: Int) {
    model.train()
    for (batch, (data, target)) in trainLoader.enumerated() {
        optimizer.zeroGrad()
        let loss = nllLoss(model(data), target)
        loss.backward()
        optimizer.step()
        if batch % 500 == 0 {
            let seen = batch * data.shape[0], total = trainLoader.dataset.count
            print(String(format: "Train Epoch: %d [%d/%d (%.0f%%)]\tLoss: %.6f", epoch, seen, total,
                         100 * Double(batch) / Double(trainLoader.count), loss.item()))
        }
    }
}

func test() {
    model.eval()
    var loss: Float = 0, correct = 0
    noGrad {
        for (data, target) in testLoader {
            let output = model(data)
            loss += nllLoss(output, target, reduction: .sum).item()
            correct += Int(output.argmax(dim: 1).eq(target).sum().item())
        }
    }
    let count = testSet.count
    print(String(format: "\nTest set: Average loss: %.4f, Accuracy: %d/%d (%.0f%%)\n", loss / Float(count), correct, count,
                 100 * Double(correct) / Double(count)))
}

let start = Date()
for epoch in 1...max(epochs, 1) {
    train(epoch)
    test()
}
print(String(format: "%d epochs in %.1f s", epochs, Date().timeIntervalSince(start)))

// The tutorial's visualize_stn: test digits (top four rows) and what the transformer makes of them.
model.eval()
let digits = Tensor.stack((0..<32).map { testSet[$0].0 }, dim: 0)
let warped = noGrad { model.stn(digits) }
try saveImage(Tensor.cat([digits, warped], dim: 0) * MNIST.std + MNIST.mean, to: "mnist_stn.png", nrow: 8)
print("Saved 32 test digits (top) and their transformed versions (bottom) to mnist_stn.png")
