// A convolutional autoencoder on MNIST, in Swift with Ember, as in the PyTorch autoencoder tutorials:
// the encoder halves the image twice with strided convolutions (1×28×28 → 16×14×14 → 32×7×7), the
// decoder doubles it back with transposed convolutions (ConvTranspose2d with output_padding 1) and a
// sigmoid, and the network learns to reproduce its input: MSE against the pixels in [0, 1], Adam lr 1e-3,
// batch 64, 5 epochs. It prints the test set's reconstruction error each epoch, draws a few test
// digits beside their reconstructions, and saves 8 digits above their reconstructions as
// mnist_autoencoder.png (`saveImage`, like torchvision's save_image).
//
//     swift run -c release mnist-autoencoder
import Ember
import Foundation

final class Autoencoder: Module {
    let encoder = Sequential {
        Conv2d(1, 16, kernelSize: 3, stride: 2, padding: 1)   // → 16×14×14
        ReLU()
        Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1)  // → 32×7×7
        ReLU()
    }
    let decoder = Sequential {
        ConvTranspose2d(32, 16, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)  // → 16×14×14
        ReLU()
        ConvTranspose2d(16, 1, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)   // → 1×28×28
        Sigmoid()
    }

    override func forward(_ x: Tensor) -> Tensor { decoder(encoder(x)) }
}

manualSeed(1)
let trainSet = try MNIST(train: true)   // pixels in [0, 1], the autoencoder's targets
let testSet = try MNIST(train: false)
let trainLoader = DataLoader(trainSet, batchSize: 64, shuffle: true, seed: 1)
let testLoader = DataLoader(testSet, batchSize: 1000)

let model = Autoencoder()
print(model)
let criterion = MSELoss()
let optimizer = Adam(model.parameters(), lr: 1e-3)

/// The mean squared error per pixel over the whole test set.
func testError() -> Double {
    model.eval()
    var total = 0.0
    noGrad {
        for (images, _) in testLoader {
            total += Double(criterion(model(images), images).item()) * Double(images.shape[0])
        }
    }
    return total / Double(testSet.count)
}

let epochs = 5
for epoch in 1...epochs {
    model.train()
    let start = Date()
    for (step, (images, _)) in trainLoader.enumerated() {
        let loss = criterion(model(images), images)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        if (step + 1) % 100 == 0 {
            print("Epoch [\(epoch)/\(epochs)], Step [\(step + 1)/\(trainLoader.count)], Loss: \(String(format: "%.4f", loss.item()))")
        }
    }
    let seconds = Date().timeIntervalSince(start)
    print(String(format: "Epoch %d: %.1f s, test reconstruction MSE %.5f", epoch, seconds, testError()))
}

/// A 28×28 image in [0, 1] as 14 lines of text, two pixel rows per line.
func drawing(_ image: Tensor) -> [String] {
    let pixels = image.reshape([28, 28]).toArray()
    let shades = Array(" .:-=+*#%@")
    return stride(from: 0, to: 28, by: 2).map { row in
        String((0..<28).map { column in
            let value = (pixels[row * 28 + column] + pixels[(row + 1) * 28 + column]) / 2
            return shades[min(shades.count - 1, Int(value * Float(shades.count)))]
        })
    }
}

model.eval()
let samples = Tensor.stack((0..<3).map { testSet[$0].0 }, dim: 0)
let reconstructions = noGrad { model(samples) }
print("Test digits (left) and their reconstructions (right):")
for i in 0..<3 {
    for (original, rebuilt) in zip(drawing(samples.select(0, i)), drawing(reconstructions.select(0, i))) {
        print(original + "   " + rebuilt)
    }
}

let eight = Tensor.stack((0..<8).map { testSet[$0].0 }, dim: 0)
try saveImage(Tensor.cat([eight, noGrad { model(eight) }], dim: 0), to: "mnist_autoencoder.png", nrow: 8)
print("Saved 8 test digits (top) and their reconstructions (bottom) to mnist_autoencoder.png")

try model.save(to: URL(fileURLWithPath: "mnist_autoencoder.safetensors"))
print("Saved the model to mnist_autoencoder.safetensors")
