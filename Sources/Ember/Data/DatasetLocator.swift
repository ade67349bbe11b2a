import Foundation

/// Where an IDX image dataset (MNIST and its look-alikes) lives and how to fetch it.
public struct IDXDatasetSpec: Sendable {
    /// Display and folder name, e.g. "MNIST" (folders Datasets/MNIST, torchvision's MNIST/raw).
    public var name: String
    /// Cache folder name under ~/.cache/ember, e.g. "mnist".
    public var cacheName: String
    /// Base URLs tried in order; a file's URL is the base plus its file name.
    public var mirrors: [URL]
    /// File names and MD5s (of the files as downloaded, i.e. the .gz files).
    public var trainImages: (file: String, md5: String)
    public var trainLabels: (file: String, md5: String)
    public var testImages: (file: String, md5: String)
    public var testLabels: (file: String, md5: String)
    /// Folders where an operating-system package installs the files (checked before downloading).
    public var systemFolders: [String]
    /// Class names, in label order.
    public var classes: [String]

    public init(name: String, cacheName: String, mirrors: [URL],
                trainImages: (file: String, md5: String), trainLabels: (file: String, md5: String),
                testImages: (file: String, md5: String), testLabels: (file: String, md5: String),
                systemFolders: [String] = [], classes: [String]) {
        self.name = name
        self.cacheName = cacheName
        self.mirrors = mirrors
        self.trainImages = trainImages
        self.trainLabels = trainLabels
        self.testImages = testImages
        self.testLabels = testLabels
        self.systemFolders = systemFolders
        self.classes = classes
    }

    /// The two files (images, labels) of a split.
    public func files(train: Bool) -> [(file: String, md5: String)] {
        train ? [trainImages, trainLabels] : [testImages, testLabels]
    }

    /// ~/.cache/ember/<cacheName> (or $XDG_CACHE_HOME/ember/<cacheName>).
    public var defaultCacheFolder: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("ember").appendingPathComponent(cacheName)
    }

    /// The folders searched, in order, when no explicit root is given:
    /// $EMBER_DATA_DIR, the repository's Datasets/<name> (found from the current folder and from the
    /// executable's folder, walking up), the cache folder, then system package folders.
    public func searchFolders(root: URL? = nil) -> [URL] {
        var folders: [URL] = []
        func addVariants(_ base: URL) {
            folders.append(base)
            folders.append(base.appendingPathComponent(name))
            folders.append(base.appendingPathComponent(name).appendingPathComponent("raw"))
        }
        if let root { addVariants(root) }
        if let env = ProcessInfo.processInfo.environment["EMBER_DATA_DIR"], !env.isEmpty {
            addVariants(URL(fileURLWithPath: (env as NSString).expandingTildeInPath))
        }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        } else if let exe = Bundle.main.executableURL {
            starts.append(exe.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for start in starts {
            var folder = start.standardizedFileURL
            for _ in 0..<8 {
                folders.append(folder.appendingPathComponent("Datasets").appendingPathComponent(name))
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        folders.append(defaultCacheFolder)
        folders += systemFolders.map { URL(fileURLWithPath: $0) }
        var seen = Set<String>()
        return folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The file in `folder`, compressed or not, if present.
    static func existing(_ file: String, in folder: URL) -> URL? {
        let gz = folder.appendingPathComponent(file)
        if FileManager.default.fileExists(atPath: gz.path) { return gz }
        if file.hasSuffix(".gz") {
            let plain = folder.appendingPathComponent(String(file.dropLast(3)))
            if FileManager.default.fileExists(atPath: plain.path) { return plain }
        }
        return nil
    }

    /// Finds (images, labels) of a split, downloading them when allowed and found nowhere.
    ///
    /// Lookup order: `root` (e.g. `--data-dir`), $EMBER_DATA_DIR, the repository's Datasets/, the cache
    /// folder, system package folders; then a download into `root`, or the cache folder when there is none.
    public func locate(train: Bool, root: URL? = nil, download: Bool = true, progress: Bool = true) throws -> (images: URL, labels: URL) {
        let needed = files(train: train)
        let folders = searchFolders(root: root)
        for folder in folders {
            let found = needed.compactMap { IDXDatasetSpec.existing($0.file, in: folder) }
            if found.count == needed.count { return (found[0], found[1]) }
        }
        let target = root ?? defaultCacheFolder
        guard download else {
            throw EmberIOError(.datasetNotFound, file: target.path,
                               "\(name) (\(needed.map(\.file).joined(separator: ", "))) was not found in any of: \(folders.map(\.path).joined(separator: ", ")). Put the files in one of these folders, set EMBER_DATA_DIR, or allow downloading")
        }
        var urls: [URL] = []
        for (file, md5) in needed {
            if let present = IDXDatasetSpec.existing(file, in: target) {
                urls.append(present)
                continue
            }
            let destination = target.appendingPathComponent(file)
            if progress { FileHandle.standardError.write(Data("Downloading \(name) \(file) to \(target.path)\n".utf8)) }
            do {
                try Downloader.download(from: mirrors.map { $0.appendingPathComponent(file) }, to: destination, md5: md5, progress: progress)
            } catch let error as EmberIOError {
                throw EmberIOError(error.kind, file: error.file,
                                   "\(error.message). \(name) was not found locally either (searched \(folders.count) folders); copy the files into \(target.path) or set EMBER_DATA_DIR")
            }
            urls.append(destination)
        }
        return (urls[0], urls[1])
    }
}

extension IDXDatasetSpec {
    /// MNIST handwritten digits (LeCun, Cortes, Burges), from the mirror PyTorch uses.
    public static let mnist = IDXDatasetSpec(
        name: "MNIST", cacheName: "mnist",
        mirrors: [URL(string: "https://ossci-datasets.s3.amazonaws.com/mnist/")!],
        trainImages: ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        trainLabels: ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        testImages: ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        testLabels: ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        classes: (0...9).map(String.init))

    /// Fashion-MNIST (Zalando Research). Debian's `dataset-fashion-mnist` package installs it under /usr/share/datasets.
    public static let fashionMNIST = IDXDatasetSpec(
        name: "FashionMNIST", cacheName: "fashion-mnist",
        mirrors: [URL(string: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")!],
        trainImages: ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        trainLabels: ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        testImages: ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        testLabels: ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        systemFolders: ["/usr/share/datasets/fashion-mnist"],
        classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])

    /// Kuzushiji-MNIST (ROIS-DS Center for Open Data in the Humanities).
    public static let kmnist = IDXDatasetSpec(
        name: "KMNIST", cacheName: "kmnist",
        mirrors: [URL(string: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/")!],
        trainImages: ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        trainLabels: ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        testImages: ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        testLabels: ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
        classes: ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"])
}
