import Ember
import Foundation

// ember-bench [matmul|elementwise|all|train|cnn]: benchmarks, not tests. Build with -c release.
let which = CommandLine.arguments.dropFirst().first ?? "all"
// EMBER_THREADS=n: run with n threads (BLAS and element-wise), like torch.set_num_threads.
if let threads = ProcessInfo.processInfo.environment["EMBER_THREADS"].flatMap({ Int($0) }) { setNumThreads(threads) }
print("machine: \(machineDescription())")
switch which {
case "matmul": matmulBenchmark()
case "elementwise": elementwiseBenchmark()
case "train":
    let epochs = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1 : 1
    let steps = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) : nil
    try trainingBenchmark(epochs: epochs, steps: steps)
case "cnn":
    // ember-bench cnn [steps] [step]: "step" times only the training step (for profiling).
    try cnnBenchmark(steps: CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 50 : 50,
                     convLayers: CommandLine.arguments.count <= 3 || CommandLine.arguments[3] != "step")
case "all":
    matmulBenchmark()
    print()
    elementwiseBenchmark()
default:
    print("usage: ember-bench [matmul|elementwise|all|train [epochs] [steps]|cnn [steps] [step]]")
}
