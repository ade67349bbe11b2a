import ArgumentParser
import Ember
import Foundation

/// The models `ember` trains, named as on the command line and recorded in saved files' metadata
/// (`ember.arch`), so `ember eval` rebuilds the right network.
public enum Architecture: String, ExpressibleByArgument, CaseIterable {
    case mlp
    case mlp3
    case cnn

    /// The metadata key under which a saved model names its architecture.
    public static let metadataKey = "ember.arch"

    public func makeModel() -> Module {
        switch self {
        case .mlp: return MLP()
        case .mlp3: return MLP3()
        case .cnn: return CNN()
        }
    }

    /// The architecture a saved file records, or the one given with `--arch`.
    public static func resolve(recorded: String?, override: Architecture?, file: String) throws -> Architecture {
        if let override { return override }
        guard let recorded else {
            throw ValidationError("\(file) does not record its architecture; pass --arch "
                + allCases.map(\.rawValue).joined(separator: "|"))
        }
        guard let arch = Architecture(rawValue: recorded) else {
            throw ValidationError("\(file) records architecture '\(recorded)', which this ember does not know; "
                + "pass --arch " + allCases.map(\.rawValue).joined(separator: "|"))
        }
        return arch
    }
}

/// The seed MLP: 784 → 256 → ReLU → 10 (parameter names fc1, fc2 as in the PyTorch tutorial).
public final class MLP: Module {
    let fc1 = Linear(784, 256)
    let relu = ReLU()
    let fc2 = Linear(256, 10)

    public override func forward(_ x: Tensor) -> Tensor {
        fc2(relu(fc1(x.reshape([x.shape[0], -1]))))
    }
}

/// The deeper seed MLP: 784 → 128 → ReLU → 64 → ReLU → 10 (fc1, fc2, fc3).
public final class MLP3: Module {
    let fc1 = Linear(784, 128)
    let fc2 = Linear(128, 64)
    let fc3 = Linear(64, 10)

    public override func forward(_ x: Tensor) -> Tensor {
        let h = fc2(fc1(x.reshape([x.shape[0], -1])).relu()).relu()
        return fc3(h)
    }
}

/// The CNN of PyTorch's MNIST example (examples/mnist/main.py): conv 1→32 3×3, ReLU, conv 32→64 3×3,
/// ReLU, max-pool 2, dropout 0.25, flatten, fc 9216→128, ReLU, dropout 0.5, fc 128→10. Parameter
/// names conv1, conv2, fc1, fc2 as there, so its state dict loads either way. Returns logits (the
/// example's log_softmax + nll_loss is cross-entropy of these).
public final class CNN: Module {
    let conv1 = Conv2d(1, 32, kernelSize: 3)
    let conv2 = Conv2d(32, 64, kernelSize: 3)
    let dropout1 = Dropout(0.25)
    let dropout2 = Dropout(0.5)
    let fc1 = Linear(9216, 128)
    let fc2 = Linear(128, 10)

    public override func forward(_ x: Tensor) -> Tensor {
        var h = x.reshape([x.shape[0], 1, 28, 28])
        h = conv2(conv1(h).relu()).relu()
        h = dropout1(maxPool2d(h, kernel: (2, 2))).flatten(startDim: 1)
        return fc2(dropout2(fc1(h).relu()))
    }
}

/// Reads a state dict from a safetensors file or a PyTorch checkpoint (.pth/.pt), with the
/// safetensors metadata (empty for PyTorch checkpoints).
public func readStateDict(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let url = URL(fileURLWithPath: path)
    if path.hasSuffix(".pth") || path.hasSuffix(".pt") {
        let entries = try TorchCheckpoint.read(contentsOf: url)
        return (Dictionary(entries.map { ($0.key, $0.tensor) }, uniquingKeysWith: { first, _ in first }), [:])
    }
    return try Safetensors.read(contentsOf: url)
}

/// Writes a state dict as safetensors or, for .pth/.pt paths, as a PyTorch checkpoint.
public func writeStateDict(_ tensors: [(String, Tensor)], metadata: [String: String], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let contiguous = noGrad { tensors.map { ($0.0, $0.1.contiguous()) } }
    if path.hasSuffix(".pth") || path.hasSuffix(".pt") {
        try TorchCheckpoint.write(contiguous.map { (key: $0.0, tensor: $0.1) }, to: url)
    } else {
        try Safetensors.write(Dictionary(uniqueKeysWithValues: contiguous), metadata: metadata, to: url)
    }
}

extension Architecture {
    /// The architectures whose state dict has exactly these keys and shapes.
    public static func matching(_ tensors: [String: Tensor]) -> [Architecture] {
        allCases.filter { arch in
            let expected = arch.makeModel().stateDict()
            return expected.count == tensors.count
                && expected.allSatisfy { key, tensor in tensors[key]?.shape == tensor.shape }
        }
    }
}

/// Loads a model file (Ember or PyTorch, safetensors or .pth) into a fresh model of its
/// architecture: the one recorded in the file, else `--arch`, else the only one whose keys and
/// shapes fit.
public func loadModel(path: String, arch: Architecture?) throws -> (Module, Architecture, [String: String]) {
    let (tensors, metadata) = try readStateDict(path: path)
    let architecture: Architecture
    if arch == nil, metadata[Architecture.metadataKey] == nil {
        let candidates = Architecture.matching(tensors)
        guard candidates.count == 1 else {
            throw ValidationError("\(path) does not record its architecture and its keys fit "
                + (candidates.isEmpty ? "none of" : "several of") + " the known ones; pass --arch "
                + Architecture.allCases.map(\.rawValue).joined(separator: "|"))
        }
        architecture = candidates[0]
    } else {
        architecture = try Architecture.resolve(recorded: metadata[Architecture.metadataKey], override: arch, file: path)
    }
    let model = architecture.makeModel()
    do {
        try model.loadStateDict(tensors)
    } catch {
        throw ValidationError("\(path) does not fit the \(architecture.rawValue) architecture: \(error)")
    }
    return (model.eval(), architecture, metadata)
}
