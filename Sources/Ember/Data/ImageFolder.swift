import Dispatch
import Foundation

/// Images sorted into one folder per class, like `torchvision.datasets.ImageFolder`:
///
///     root/cat/001.png
///     root/cat/nested/002.jpg
///     root/dog/xyz.jpeg
///
///     let train = try ImageFolder(root: "photos/train",
///                                 transform: Compose([RandomResizedCrop(224), RandomHorizontalFlip(), Normalize(...)]))
///     train.classes          // ["cat", "dog"], sorted; labels are their indices
///
/// Samples are (image as [C, H, W] float32 in [0, 1] — `ToTensor` is already applied — then `transform`,
/// label). Images are decoded when a sample is asked for, converted to `mode` (RGB by default, as
/// torchvision's loader does; `.gray` for digit-like data). Classes and files are ordered as torchvision
/// orders them (by code point, files under nested folders included), so labels agree with a PyTorch run on
/// the same folder; hidden files and folders (names starting with ".") are skipped, where torchvision
/// would count a stray `.ipynb_checkpoints` folder as a class.
public struct ImageFolder: Dataset, BatchGathering {
    /// File name extensions (lower case, without the dot) that count as images: torchvision's, less the
    /// formats Ember cannot decode.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "ppm", "pgm"]
    /// The rest of torchvision's image extensions: finding such a file is an error (with the default
    /// `extensions`), as skipping it would give other labels and indices than PyTorch's.
    static let undecodableExtensions: Set<String> = ["bmp", "tif", "tiff", "webp"]

    public let root: String
    /// Class names (folder names), sorted; a label is an index into this.
    public let classes: [String]
    public let classToIndex: [String: Int]
    /// Every image file and its label, in order.
    public let samples: [(path: String, label: Int)]
    /// The mode images are converted to before becoming tensors.
    public let mode: Image.Mode
    public var transform: (any Transform)?

    public var count: Int { samples.count }
    /// The label of every sample, like torchvision's `targets`.
    public var targets: [Int] { samples.map(\.label) }

    /// Lists `root`'s class folders and their images (decoding none of them yet).
    public init(root: String, transform: (any Transform)? = nil, mode: Image.Mode = .rgb,
                extensions: Set<String> = ImageFolder.imageExtensions) throws {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            throw EmberIOError(.datasetNotFound, file: root, "no such folder; ImageFolder needs a folder with one subfolder of images per class")
        }
        let entries = try files.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }
        let classes = entries.filter { name in
            var folder: ObjCBool = false
            return files.fileExists(atPath: (root as NSString).appendingPathComponent(name), isDirectory: &folder) && folder.boolValue
        }.sorted(by: codePointOrder)
        guard !classes.isEmpty else {
            throw EmberIOError(.datasetNotFound, file: root, "no class folders inside; put each class's images in a subfolder named after it")
        }
        var samples: [(path: String, label: Int)] = []
        var empty: [String] = []
        let refused = extensions == ImageFolder.imageExtensions ? ImageFolder.undecodableExtensions : []
        for (label, name) in classes.enumerated() {
            let (images, undecodable) = ImageFolder.files(under: (root as NSString).appendingPathComponent(name),
                                                          extensions: extensions, refusing: refused)
            if let first = undecodable.first {
                throw EmberIOError(.unsupportedImage, file: first,
                                   "\(undecodable.count) file(s) in class folder '\(name)' are BMP, TIFF or WebP, which Ember does not "
                                   + "decode; convert them to PNG, or pass extensions: to choose the files to use")
            }
            if images.isEmpty { empty.append(name) }
            samples += images.map { ($0, label) }
        }
        guard empty.isEmpty else {
            throw EmberIOError(.datasetNotFound, file: root,
                               "no images in the class folder(s) \(empty.joined(separator: ", ")); image files end in "
                               + extensions.sorted().map { "." + $0 }.joined(separator: ", "))
        }
        self.root = root
        self.classes = classes
        self.classToIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.samples = samples
        self.mode = mode
        self.transform = transform
    }

    /// Image files below `folder`, in the order of Python's `sorted(os.walk(folder))` then `sorted(files)`:
    /// by containing folder path, then by name.
    /// Also lists the files with a `refusing` extension.
    private static func files(under folder: String, extensions: Set<String>, refusing: Set<String>)
        -> (images: [String], refused: [String]) {
        var found: [(folder: String, name: String)] = []
        var refused: [String] = []
        var pending = [folder]
        while let current = pending.popLast() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: current) else { continue }
            for name in names where !name.hasPrefix(".") {
                let path = (current as NSString).appendingPathComponent(name)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
                if isFolder.boolValue {
                    pending.append(path)
                } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
                    found.append((current, name))
                } else if refusing.contains((name as NSString).pathExtension.lowercased()) {
                    refused.append(path)
                }
            }
        }
        let images = found.sorted { $0.folder == $1.folder ? codePointOrder($0.name, $1.name) : codePointOrder($0.folder, $1.folder) }
            .map { ($0.folder as NSString).appendingPathComponent($0.name) }
        return (images, refused.sorted(by: codePointOrder))
    }

    /// Sample `index`'s image, decoded and converted, as a tensor (before `transform`).
    public func image(at index: Int) -> Tensor {
        precondition(index >= 0 && index < count, "Ember: ImageFolder index \(index) is out of range 0..<\(count)")
        do {
            return try Image.read(samples[index].path).converted(to: mode).tensor()
        } catch {
            fatalError("Ember: ImageFolder: \(error)")
        }
    }

    public subscript(index: Int) -> (Tensor, Int) {
        let image = image(at: index)
        return (transform.map { $0(image) } ?? image, samples[index].label)
    }

    /// Decodes the batch's images on all cores at once (decoding is most of the work), then applies
    /// `transform` to them in order, so random transforms draw the same numbers as one by one.
    public func batch(at indices: [Int]) -> (Tensor, Tensor) {
        var images = [Tensor?](repeating: nil, count: indices.count)
        images.withUnsafeMutableBufferPointer { slots in
            DispatchQueue.concurrentPerform(iterations: indices.count) { i in slots[i] = image(at: indices[i]) }
        }
        let batch = zip(images, indices).map { image, index in (transform.map { $0(image!) } ?? image!, samples[index].label) }
        if let odd = batch.firstIndex(where: { $0.0.shape != batch[0].0.shape }) {
            fatalError("Ember: ImageFolder: \(samples[indices[odd]].path) gives \(batch[odd].0.shape) but "
                       + "\(samples[indices[0]].path) gives \(batch[0].0.shape); a batch needs one size: add Resize and CenterCrop "
                       + "(or RandomResizedCrop) to the transform")
        }
        return collate(batch)
    }
}

/// Python's string order: by Unicode code point, not by Swift's canonical (normalised) order.
private func codePointOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
}
