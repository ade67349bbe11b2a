// Trains an image classifier from a folder of image files, like the torchvision tutorials built on
// `datasets.ImageFolder`: one subfolder per class, any mix of PNG, JPEG, PGM and PPM files.
//
//     swift run -c release image-folder                      # MNIST written out as PNG folders first
//     swift run -c release image-folder --root photos --size 64 --epochs 10
//     swift run -c release image-folder --loader-only        # time decoding + transforms alone
//
// With --root, the folder needs train/ and test/ (or val/), each with one subfolder per class. Without
// it, the example writes 12,000 MNIST digits (1,000 + 200 per class) as PNG files under the temporary
// folder and trains on those: every image goes through libpng twice, as a user's files would.
import Ember
import Foundation

func argument(_ name: String) -> String? {
    guard let at = CommandLine.arguments.firstIndex(of: name), at + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[at + 1]
}

/// MNIST's first `perClass` images of each digit as `folder/<digit>/<index>.png`.
func exportMNIST(train: Bool, perClass: Int, to folder: URL) throws {
    let source = try MNIST(train: train)
    var written = [Int](repeating: 0, count: 10)
    for index in 0..<source.count where written[source.label(index)] < perClass {
        let label = source.label(index)
        let plane = source.height * source.width
        let image = Image(width: source.width, height: source.height, mode: .gray,
                          pixels: Array(source.pixels[index * plane..<(index + 1) * plane]))
        try image.write(to: folder.appendingPathComponent("\(label)/\(index).png").path)
        written[label] += 1
    }
}

/// A small CNN for `channels × size × size` images: two conv + pool stages, then a linear classifier.
final class SmallCNN: Module {
    let conv1: Conv2d, conv2: Conv2d, fc: Linear

    init(channels: Int, size: Int, classes: Int) {
        conv1 = Conv2d(channels, 16, kernelSize: 3, padding: 1)
        conv2 = Conv2d(16, 32, kernelSize: 3, padding: 1)
        fc = Linear(32 * (size / 4) * (size / 4), classes)
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor {
        var h = maxPool2d(conv1(x).relu(), kernel: (2, 2))
        h = maxPool2d(conv2(h).relu(), kernel: (2, 2))
        return fc(h.flatten(startDim: 1))
    }
}

manualSeed(1)
let epochs = Int(argument("--epochs") ?? "3")!
var root: URL
var size: Int
var mode: Image.Mode
var mean: [Float], std: [Float]
if let given = argument("--root") {
    root = URL(fileURLWithPath: given)
    size = Int(argument("--size") ?? "64")!
    mode = .rgb
    (mean, std) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])  // ImageNet's, as the tutorials use
} else {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("ember-mnist-png")
    if !FileManager.default.fileExists(atPath: root.appendingPathComponent("test").path) {
        let start = Date()
        try exportMNIST(train: true, perClass: 1000, to: root.appendingPathComponent("train"))
        try exportMNIST(train: false, perClass: 200, to: root.appendingPathComponent("test"))
        print(String(format: "wrote 12000 MNIST PNG files to %@ in %.1f s", root.path, Date().timeIntervalSince(start)))
    }
    size = 28
    mode = .gray
    (mean, std) = ([MNIST.mean], [MNIST.std])
}
let testFolder = ["test", "val"].map { root.appendingPathComponent($0) }.first { FileManager.default.fileExists(atPath: $0.path) }
guard let testFolder else { fatalError("\(root.path) needs a test/ or val/ folder beside train/") }

// The standard pipelines: random crops for training, resize + centre crop for testing.
let train = try ImageFolder(root: root.appendingPathComponent("train").path, transform: Compose([
    RandomResizedCrop(size, scale: 0.7...1, seed: 1), RandomHorizontalFlip(p: mode == .gray ? 0 : 0.5, seed: 2),
    Normalize(mean: mean, std: std),
]), mode: mode)
let test = try ImageFolder(root: testFolder.path, transform: Compose([
    Resize(size), CenterCrop(size), Normalize(mean: mean, std: std),
]), mode: mode)
print("classes: \(train.classes.joined(separator: " ")); \(train.count) training and \(test.count) test images")

let trainLoader = DataLoader(train, batchSize: 64, shuffle: true, seed: 1)
let testLoader = DataLoader(test, batchSize: 256)
let model = SmallCNN(channels: mode.rawValue, size: size, classes: train.classes.count)
let optimizer = Adam(model.parameters(), lr: 1e-3)
let criterion = CrossEntropyLoss()

if CommandLine.arguments.contains("--loader-only") {
    // Decoding and transforms alone: three passes over the training folder, no model.
    for _ in 0..<3 {
        let start = Date()
        var count = 0
        for (images, _) in trainLoader { count += images.shape[0] }
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "loader: %.2f s per epoch, %.0f images/s", seconds, Double(count) / seconds))
    }
    exit(0)
}

for epoch in 1...max(epochs, 1) {
    model.train()
    let start = Date()
    var total: Float = 0, batches = 0
    for (images, labels) in trainLoader {
        optimizer.zeroGrad()
        let loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    }
    let seconds = Date().timeIntervalSince(start)
    model.eval()
    var correct = 0
    noGrad {
        for (images, labels) in testLoader { correct += Int(model(images).argmax(dim: 1).eq(labels).sum().item()) }
    }
    print(String(format: "epoch %d: loss %.4f, test accuracy %.2f %%, %.1f s (%.0f images/s)", epoch, total / Float(batches),
                 Double(correct) / Double(test.count) * 100, seconds, Double(train.count) / seconds))
}
