import Ember

// ember-bench [matmul|elementwise|all]: benchmarks, not tests. Build with -c release.
let which = CommandLine.arguments.dropFirst().first ?? "all"
print("machine: \(machineDescription())")
switch which {
case "matmul": matmulBenchmark()
case "elementwise": elementwiseBenchmark()
case "train":
    let epochs = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1 : 1
    let steps = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) : nil
    try trainingBenchmark(epochs: epochs, steps: steps)
case "all":
    matmulBenchmark()
    print()
    elementwiseBenchmark()
default:
    print("usage: ember-bench [matmul|elementwise|all|train [epochs] [steps]]")
}
