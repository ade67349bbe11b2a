import Ember

// ember-bench [matmul|elementwise|all]: benchmarks, not tests. Build with -c release.
let which = CommandLine.arguments.dropFirst().first ?? "all"
print("machine: \(machineDescription())")
switch which {
case "matmul": matmulBenchmark()
case "elementwise": elementwiseBenchmark()
case "all":
    matmulBenchmark()
    print()
    elementwiseBenchmark()
default:
    print("usage: ember-bench [matmul|elementwise|all]")
}
