import ArgumentParser
import Ember
import EmberModels
import Foundation

/// A training run on disk: the model in a safetensors file that PyTorch loads as it is (metadata
/// records the architecture, dataset and epochs), and the optimizer state beside it in
/// `<name>.optim.safetensors`, so `--resume` continues exactly where the run stopped.
enum TrainingCheckpoint {
    static func optimizerPath(for path: String) -> String {
        (path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path) + ".optim.safetensors"
    }

    static func save(model: Module, optimizer: Optimizer, architecture: Architecture, dataset: DatasetName,
                     epochsDone: Int, to path: String) throws {
        try model.save(to: URL(fileURLWithPath: path), metadata: [
            Architecture.metadataKey: architecture.rawValue,
            "ember.dataset": dataset.rawValue,
            "ember.epochs": String(epochsDone),
            "format": "pt",
        ])
        let state = noGrad { optimizer.stateDict().mapValues { $0.contiguous() } }
        try Safetensors.write(state, metadata: ["ember.epochs": String(epochsDone)],
                              to: URL(fileURLWithPath: optimizerPath(for: path)))
    }

    /// Loads weights (and optimizer state when its file exists); returns the epochs already done.
    static func load(model: Module, optimizer: Optimizer, from path: String, architecture: Architecture) throws
        -> Int {
        let (tensors, metadata) = try Safetensors.read(contentsOf: URL(fileURLWithPath: path))
        if let recorded = metadata[Architecture.metadataKey], recorded != architecture.rawValue {
            throw ValidationError("\(path) holds a \(recorded) model but --model is \(architecture.rawValue); "
                + "pass --model \(recorded)")
        }
        try model.loadStateDict(tensors)
        let optimizerFile = optimizerPath(for: path)
        if FileManager.default.fileExists(atPath: optimizerFile) {
            let (state, _) = try Safetensors.read(contentsOf: URL(fileURLWithPath: optimizerFile))
            try optimizer.loadStateDict(state)
        } else {
            FileHandle.standardError.write(Data("warning: \(optimizerFile) not found; the optimizer starts fresh\n".utf8))
        }
        return Int(metadata["ember.epochs"] ?? "0") ?? 0
    }
}
