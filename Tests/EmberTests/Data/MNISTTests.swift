import Foundation
import Testing
@testable import Ember

@Suite("Shipped MNIST", .serialized)
struct MNISTTests {
    static let root = repositoryRoot.appendingPathComponent("Datasets/MNIST")

    @Test func trainingSetLoadsWithKnownStatistics() throws {
        let train = try MNIST(train: true, root: Self.root, download: false)
        #expect(train.count == 60000 && train.height == 28 && train.width == 28)
        var counts = [Int](repeating: 0, count: 10)
        for i in 0..<train.count { counts[train.label(i)] += 1 }
        #expect(counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        var sum = 0.0, squares = 0.0
        for p in train.pixels {
            let v = Double(p) / 255
            sum += v
            squares += v * v
        }
        let n = Double(train.pixels.count)
        let mean = sum / n
        let std = (squares / n - mean * mean).squareRoot()
        #expect(abs(mean - 0.1307) < 1e-4 && abs(std - 0.3081) < 1e-4, "mean \(mean), std \(std)")
        #expect(train.classes == (0...9).map(String.init))
    }

    @Test func testSetAndSamples() throws {
        let test = try MNIST(train: false, root: Self.root, download: false)
        #expect(test.count == 10000)
        let (image, label) = test[0]
        #expect(image.shape == [1, 28, 28] && image.dtype == .float32)
        #expect(label == 7)  // the first test digit is a 7
        let values = image.toArray()
        #expect(values.min()! >= 0 && values.max()! <= 1)
    }

    @Test func batchFastPathMatchesPerSampleTransform() throws {
        let test = try MNIST(train: false, root: Self.root, download: false,
                             transform: Normalize(mean: MNIST.mean, std: MNIST.std))
        // More rows than the gather prefetches ahead, with a repeat.
        let indices = [5, 0, 9999, 42, 7, 7, 3000, 1, 2]
        let (x, y) = test.batch(at: indices)
        #expect(x.shape == [9, 1, 28, 28] && y.shape == [9] && y.dtype == .int64)
        let stacked = collate(indices.map { test[$0] })
        expectClose(x.toArray(), stacked.0.toArray(), atol: 1e-5, rtol: 1e-5, "normalized batch")
        #expect(y.toIntArray() == stacked.1.toIntArray())
        // An augmentation disables the fast path but keeps the same shapes.
        test.transform = Compose([RandomCrop(size: 28, padding: 2, seed: 3), Normalize(mean: MNIST.mean, std: MNIST.std)])
        #expect(test.transform?.elementwiseAffine == nil)
        #expect(test.batch(at: indices).0.shape == [9, 1, 28, 28])
        // withTransform reads the same images through another transform, leaving the original as it was.
        let plain = test.withTransform(nil)
        #expect(plain.count == 10000 && plain.transform == nil && test.transform != nil)
        #expect(plain.batch(at: indices).0.toArray() == collate(indices.map { plain[$0] }).0.toArray())
        expectClose(plain.batch(at: indices).0.toArray().map { ($0 - MNIST.mean) / MNIST.std }, x.toArray(),
                    atol: 1e-5, rtol: 1e-5, "unnormalized batch")
    }

    @Test func lookupFindsTheRepositoryDatasets() throws {
        // No root: the search walks up from the current folder and the test executable to Datasets/MNIST.
        let folders = MNIST.spec.searchFolders().map(\.standardizedFileURL.path)
        #expect(folders.contains(Self.root.standardizedFileURL.path))
        let files = try MNIST.spec.locate(train: false, download: false)
        #expect(files.images.lastPathComponent.hasPrefix("t10k-images"))
        // An explicit root that holds the files wins.
        let located = try MNIST.spec.locate(train: true, root: Self.root, download: false)
        #expect(located.images.deletingLastPathComponent().standardizedFileURL.path == Self.root.standardizedFileURL.path)
        #expect(FashionMNIST.spec.systemFolders == ["/usr/share/datasets/fashion-mnist"])
    }
}
