import ArgumentParser
import Ember
import EmberModels
import Foundation

/// `ember convert`: between PyTorch checkpoints (.pth/.pt) and safetensors files.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a state dict between PyTorch (.pth/.pt) and safetensors (.safetensors).",
        discussion: "Keys, shapes and values are kept; PyTorch checkpoints are read safely (no code in them runs).")

    @Argument(help: "The file to read (.pth, .pt or .safetensors).")
    var input: String

    @Argument(help: "The file to write (.pth, .pt or .safetensors).")
    var output: String

    @Flag(help: "Print one JSON object describing the result.")
    var json = false

    static let extensions = [".pth", ".pt", ".safetensors"]

    func validate() throws {
        for path in [input, output] where !Self.extensions.contains(where: { path.hasSuffix($0) }) {
            throw ValidationError("\(path): expected a .pth, .pt or .safetensors file")
        }
        guard input != output else { throw ValidationError("input and output are the same file: \(input)") }
    }

    func run() throws {
        let (tensors, metadata) = try readStateDict(path: input)
        // Keep PyTorch's key order where the input has one (safetensors files are sorted anyway).
        let ordered: [(String, Tensor)]
        if input.hasSuffix(".safetensors") {
            ordered = tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        } else {
            ordered = try TorchCheckpoint.read(contentsOf: URL(fileURLWithPath: input)).map { ($0.key, $0.tensor) }
        }
        try writeStateDict(ordered, metadata: metadata, to: output)
        if json {
            try printJSON(["input": input, "output": output, "tensors": ordered.count,
                           "keys": ordered.map { ["key": $0.0, "shape": $0.1.shape, "dtype": $0.1.dtype.rawValue] }])
        } else {
            print("Wrote \(ordered.count) tensors from \(input) to \(output)")
            for (key, tensor) in ordered { print("  \(key) \(tensor.shape) \(tensor.dtype)") }
        }
    }
}
