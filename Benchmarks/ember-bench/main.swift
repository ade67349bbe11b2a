import Ember
import Foundation

// ember-bench [matmul|elementwise|all|train|eval|peak|cnn|lstm|gru|vit|autoencoder|stn|optim|linalg|ctc|conv3d|pinn|checkpoint|linear-ce|onnx FILE]: benchmarks, not tests. Build with -c release.
// EMBER_NUM_THREADS=n runs with n threads (like torch.set_num_threads).
let which = CommandLine.arguments.dropFirst().first ?? "all"
print("machine: \(machineDescription())")
switch which {
case "matmul": matmulBenchmark()
case "elementwise": elementwiseBenchmark()
case "train":
    let epochs = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1 : 1
    let steps = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) : nil
    try trainingBenchmark(epochs: epochs, steps: steps)
case "eval": try evaluationBenchmark()
case "peak": peakBenchmark()
case "lstm", "gru":
    recurrentBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 30 : 30,
                       gru: CommandLine.arguments[1] == "gru")
case "optim": optimizerBenchmark()
case "linalg": linalgBenchmark()
case "ctc": ctcBenchmark()
case "conv3d": conv3dBenchmark()
case "stn": stnBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 30 : 30)
case "autoencoder": autoencoderBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 30 : 30)
case "checkpoint": checkpointBenchmark(mode: CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "plain")
case "linear-ce":
    linearCrossEntropyBenchmark(mode: CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "whole",
                                chunk: CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 256 : 256)
case "pinn": pinnBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 200 : 200)
case "vit": vitBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 30 : 30)
case "cnn":
    // ember-bench cnn [steps] [step]: "step" times only the training step (for profiling).
    try cnnBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 50 : 50,
                     convLayers: CommandLine.arguments.count <= 3 || CommandLine.arguments[3] != "step")
case "onnx":
    let arguments = CommandLine.arguments.dropFirst(2)
    let batches = arguments.dropFirst().compactMap { Int($0) }
    try onnxBenchmark(path: arguments.first ?? "model.onnx", batches: batches.isEmpty ? [1, 64, 1000] : batches)
case "all":
    peakBenchmark()
    print()
    matmulBenchmark()
    print()
    elementwiseBenchmark()
default:
    print("usage: ember-bench [matmul|elementwise|all|train [epochs] [steps]|eval|peak|cnn [steps] [step]|lstm [steps]|gru [steps]|vit [steps]|autoencoder [steps]|stn [steps]|optim|linalg|ctc|conv3d|pinn [steps]|checkpoint plain|blocks|linear-ce whole|chunked [rows]|onnx FILE [batch ...]]")
}
