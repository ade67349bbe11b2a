import ArgumentParser
import Ember
import EmberModels
import Foundation

/// The datasets `ember` knows, with their normalization constants.
enum DatasetName: String, ExpressibleByArgument, CaseIterable {
    case mnist
    case fashionMNIST = "fashion-mnist"
    case kmnist

    var spec: IDXDatasetSpec {
        switch self {
        case .mnist: return .mnist
        case .fashionMNIST: return .fashionMNIST
        case .kmnist: return .kmnist
        }
    }

    var normalization: (mean: Float, std: Float) {
        switch self {
        case .mnist: return (MNIST.mean, MNIST.std)
        case .fashionMNIST: return (FashionMNIST.mean, FashionMNIST.std)
        case .kmnist: return (KMNIST.mean, KMNIST.std)
        }
    }

    /// Loads a split, normalized like the seed programs (`Normalize(mean, std)`).
    func load(train: Bool, dataDirectory: String?, progress: Bool, augment: [any Transform] = []) throws -> IDXImageDataset {
        let (mean, std) = normalization
        let normalize: any Transform = Normalize(mean: mean, std: std)
        let transform: any Transform = augment.isEmpty ? normalize : Compose(augment + [normalize])
        return try IDXImageDataset(spec, train: train, root: dataDirectory.map { URL(fileURLWithPath: $0) },
                                   download: true, transform: transform, progress: progress)
    }
}

/// Options shared by the commands that read a dataset.
struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: \(DatasetName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetName = .mnist

    @Option(name: .customLong("data-dir"),
            help: "Folder with the dataset's IDX files (default: the repository's Datasets/, then ~/.cache/ember/<dataset>; downloaded when missing).")
    var dataDirectory: String?

    @Option(help: "Use only the first N training images (quick runs).")
    var trainSize: Int?

    @Option(help: "Use only the first N test images (quick runs).")
    var testSize: Int?

    @Option(help: "Batch size for evaluation (default 1000; 100 for the CNN, whose activations are 25× larger).")
    var testBatchSize: Int?

    /// The evaluation batch for a model: the option, else 1000 (100 for the CNN).
    func testBatchSize(for architecture: Architecture) -> Int {
        testBatchSize ?? (architecture == .cnn ? 100 : 1000)
    }

    @Option(help: "Worker threads for BLAS and element-wise kernels (default: all cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object with every result at the end, instead of text.")
    var json = false

    @Option(help: "Where to compute: cpu, cuda, cuda:N, or auto (the first GPU when CUDA is available, else the CPU).")
    var device: String = "auto"

    /// The --device option as a `Device`; throws, naming the reason, for a GPU that cannot be used.
    func resolvedDevice() throws -> Device {
        if device == "auto" { return Device.cudaIfAvailable }
        guard let parsed = Device(device) else {
            throw ValidationError("--device must be cpu, cuda, cuda:N or auto, got \"\(device)\"")
        }
        if case .cuda(let index) = parsed {
            guard CUDA.isAvailable else {
                throw ValidationError("--device \(device): \(CUDA.unavailableReason ?? "CUDA is unavailable"); use --device cpu")
            }
            guard index < CUDA.deviceCount else {
                throw ValidationError("--device \(device): this machine has \(CUDA.deviceCount) CUDA device(s)")
            }
        }
        return parsed
    }

    func validate() throws {
        if let testBatchSize, testBatchSize < 1 {
            throw ValidationError("--test-batch-size must be positive, got \(testBatchSize)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let trainSize, trainSize < 1 { throw ValidationError("--train-size must be at least 1, got \(trainSize)") }
        if let testSize, testSize < 1 { throw ValidationError("--test-size must be at least 1, got \(testSize)") }
    }

    /// A split of the chosen dataset, cut to --train-size / --test-size.
    func load(train: Bool, augment: [any Transform] = []) throws -> IDXImageDataset {
        let full = try dataset.load(train: train, dataDirectory: dataDirectory, progress: !json, augment: augment)
        let limit = train ? trainSize : testSize
        return limit.map { full.prefix($0) } ?? full
    }

    func applyThreads() {
        if let threads { setNumThreads(threads) }
    }
}

/// Prints a JSON object (sorted keys) on standard output. JSON has no NaN or infinity: a diverged
/// run's losses print as null rather than failing the whole report.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: jsonSafe(object), options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

private func jsonSafe(_ value: Any) -> Any {
    switch value {
    case let number as Double: return number.isFinite ? number : NSNull()
    case let number as Float: return number.isFinite ? Double(number) : NSNull()
    case let array as [Any]: return array.map(jsonSafe)
    case let object as [String: Any]: return object.mapValues(jsonSafe)
    default: return value
    }
}

/// Writes text to a file through a temporary file renamed when complete.
func writeTextAtomically(_ text: String, to path: String) throws {
    try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: path))
}

/// Messages for people go to standard error when standard output carries JSON.
func note(_ text: String, json: Bool) {
    if json {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    } else {
        print(text)
    }
}

/// The saved model that `eval` and `predict` read.
struct ModelFileOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: "The model file: Ember or PyTorch safetensors, or a PyTorch .pth/.pt checkpoint.")
    var path: String

    @Option(help: "The architecture, when the file does not record it and its keys do not tell: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: Architecture?

    func load() throws -> (Module, Architecture, [String: String]) {
        try loadModel(path: path, arch: arch)
    }
}
