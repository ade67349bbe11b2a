import CEmberKernels
import Foundation

/// Grayscale images with class labels from a pair of IDX files, kept as bytes in memory.
/// Samples are (image [1, H, W] float32 in [0, 1] then `transform`, label).
///
/// Batches skip per-sample tensors when `transform` is nil or elementwise (`Normalize`, `ToTensor`,
/// `Compose` of those): pixels go straight from bytes into the batch buffer through a 256-entry table.
public class IDXImageDataset: Dataset, BatchGathering {
    /// Pixels, row-major [count, height, width].
    public let pixels: [UInt8]
    public let labelBytes: [UInt8]
    public let count: Int
    public let height: Int
    public let width: Int
    public let classes: [String]
    /// Applied to each image after conversion to [0, 1].
    public var transform: (any Transform)?

    public init(images: IDXArray, labels: IDXArray, classes: [String] = [], transform: (any Transform)? = nil) {
        precondition(images.shape.count == 3 && labels.shape.count == 1 && images.shape[0] == labels.shape[0],
                     "Ember: IDXImageDataset needs images [N, H, W] and labels [N]; got \(images.shape) and \(labels.shape)")
        pixels = images.bytes
        labelBytes = labels.bytes
        count = images.shape[0]
        height = images.shape[1]
        width = images.shape[2]
        self.classes = classes
        self.transform = transform
    }

    /// Loads a split of `spec`, finding or downloading its files (see `IDXDatasetSpec.locate`).
    public convenience init(_ spec: IDXDatasetSpec, train: Bool = true, root: URL? = nil, download: Bool = true,
                            transform: (any Transform)? = nil, progress: Bool = true) throws {
        let files = try spec.locate(train: train, root: root, download: download, progress: progress)
        let (x, y) = try IDX.readImagesAndLabels(images: files.images, labels: files.labels)
        self.init(images: x, labels: y, classes: spec.classes, transform: transform)
    }

    /// The first `n` samples (all when `n` ≥ count), with the same classes and transform: a quick
    /// subset for experiments and tests.
    public func prefix(_ n: Int) -> IDXImageDataset {
        let n = Swift.max(0, Swift.min(n, count))
        let plane = height * width
        return IDXImageDataset(images: IDXArray(shape: [n, height, width], bytes: Array(pixels.prefix(n * plane))),
                               labels: IDXArray(shape: [n], bytes: Array(labelBytes.prefix(n))),
                               classes: classes, transform: transform)
    }

    /// The same samples with another transform; the pixels are shared, not copied. A validation split
    /// carved out of an augmented training set reads its images through one of these, unaugmented.
    public func withTransform(_ transform: (any Transform)?) -> IDXImageDataset {
        IDXImageDataset(images: IDXArray(shape: [count, height, width], bytes: pixels),
                        labels: IDXArray(shape: [count], bytes: labelBytes), classes: classes, transform: transform)
    }

    /// The shape of one sample's image: [1, H, W].
    public var imageShape: [Int] { [1, height, width] }

    /// The label of sample `index`.
    public func label(_ index: Int) -> Int { Int(labelBytes[index]) }

    public subscript(index: Int) -> (Tensor, Int) {
        precondition(index >= 0 && index < count, "Ember: sample index \(index) is out of range 0..<\(count)")
        let plane = height * width
        let image = ToTensor()(Array(pixels[index * plane ..< (index + 1) * plane]), shape: imageShape)
        return (transform.map { $0(image) } ?? image, label(index))
    }

    /// Batches of at least twice this many rows are gathered on several threads.
    static let gatherRowsPerThread = 16

    public func batch(at indices: [Int]) -> (Tensor, Tensor) {
        let affine: (scale: Float, shift: Float)? = transform == nil ? (1, 0) : transform!.elementwiseAffine
        guard let (scale, shift) = affine else {
            return collate(indices.map { self[$0] })
        }
        let plane = height * width
        let x = Tensor(uninitializedShape: [indices.count] + imageShape, dtype: .float32)
        let y = Tensor(uninitializedShape: [indices.count], dtype: .int64)
        let dst = x.storage.floats()
        let labelsOut = y.storage.int64s()
        var rows = [Int64](repeating: 0, count: indices.count)
        for (row, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "Ember: sample index \(index) is out of range 0..<\(count)")
            rows[row] = Int64(index)
            labelsOut[row] = Int64(labelBytes[index])
        }
        // Each row is a run of cache misses somewhere in a dataset larger than the caches; split over
        // the cores, twice as many misses are waited on at once.
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeBufferPointer { rows in
                Parallel.chunks(rows.count, grain: Self.gatherRowsPerThread) { r in
                    ember_gather_bytes_affine(src.baseAddress!, Int64(plane), rows.baseAddress! + r.lowerBound,
                                              Int64(r.count), dst + r.lowerBound * plane, scale, shift)
                }
            }
        }
        return (x, y)
    }
}

/// MNIST handwritten digits: 60,000 training and 10,000 test images, 28×28.
/// Found in `root`, $EMBER_DATA_DIR, the repository's Datasets/MNIST, ~/.cache/ember/mnist, else downloaded.
public final class MNIST: IDXImageDataset {
    public static let spec = IDXDatasetSpec.mnist
    /// The training set's pixel mean and standard deviation (after scaling to [0, 1]).
    public static let mean: Float = 0.1307
    public static let std: Float = 0.3081

    public convenience init(train: Bool = true, root: URL? = nil, download: Bool = true,
                            transform: (any Transform)? = nil, progress: Bool = true) throws {
        try self.init(MNIST.spec, train: train, root: root, download: download, transform: transform, progress: progress)
    }
}

/// Fashion-MNIST: 28×28 images of clothing in 10 classes, a drop-in replacement for MNIST.
public final class FashionMNIST: IDXImageDataset {
    public static let spec = IDXDatasetSpec.fashionMNIST
    public static let mean: Float = 0.2860
    public static let std: Float = 0.3530

    public convenience init(train: Bool = true, root: URL? = nil, download: Bool = true,
                            transform: (any Transform)? = nil, progress: Bool = true) throws {
        try self.init(FashionMNIST.spec, train: train, root: root, download: download, transform: transform, progress: progress)
    }
}

/// Kuzushiji-MNIST: 28×28 images of 10 cursive Japanese characters.
public final class KMNIST: IDXImageDataset {
    public static let spec = IDXDatasetSpec.kmnist
    public static let mean: Float = 0.1918
    public static let std: Float = 0.3483

    public convenience init(train: Bool = true, root: URL? = nil, download: Bool = true,
                            transform: (any Transform)? = nil, progress: Bool = true) throws {
        try self.init(KMNIST.spec, train: train, root: root, download: download, transform: transform, progress: progress)
    }
}
