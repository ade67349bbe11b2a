import Dispatch
import Ember
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Times `body` and returns seconds per call: repeats until a batch lasts at least `minimum`
/// seconds, takes the best of `rounds` batches (the least disturbed by other processes).
func secondsPerCall(minimum: Double = 0.05, rounds: Int = 5, _ body: () -> Void) -> Double {
    body()  // warm-up: first-touch page faults, BLAS thread start-up
    var iterations = 1
    while true {
        let t = measure(iterations, body)
        if t >= minimum { break }
        iterations *= t < minimum / 10 ? 10 : 2
    }
    var best = Double.infinity
    for _ in 0..<rounds { best = min(best, measure(iterations, body) / Double(iterations)) }
    return best
}

private func measure(_ iterations: Int, _ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// One line describing the machine, printed with every benchmark.
func machineDescription() -> String {
    var model = "unknown CPU"
    if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let name = line.split(separator: ":", maxSplits: 1).last {
        model = name.trimmingCharacters(in: .whitespaces)
    }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    return "\(model), \(cores) cores, \(String(format: "%.0f", memory)) GiB"
}

func format(_ value: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", value) }

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// Now, in seconds.
func secondsNow() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// One classifier training step as the benchmarks time it: assemble the batch of `indices`, forward
/// with cross-entropy, backward, optimizer step. Adds each phase's seconds to `phases`
/// (gather, forward, backward, optimizer).
func timedTrainingStep(_ model: Module, _ optimizer: Optimizer, _ data: IDXImageDataset, _ indices: [Int],
                       phases: inout [Double]) {
    let t0 = secondsNow()
    let (x, y) = data.batch(at: indices)
    phases[0] += secondsNow() - t0
    timedTrainingStep(model, optimizer, x, y, phases: &phases[1...])
}

/// The same step on a batch already assembled: adds the seconds of forward with the loss
/// (cross-entropy unless told), backward and optimizer step to the three entries of `phases`.
func timedTrainingStep(_ model: Module, _ optimizer: Optimizer, _ x: Tensor, _ y: Tensor,
                       loss criterion: (Tensor, Tensor) -> Tensor = { crossEntropy($0, $1) },
                       phases: inout ArraySlice<Double>) {
    let t0 = secondsNow()
    let loss = criterion(model(x), y)
    let t1 = secondsNow()
    optimizer.zeroGrad()
    loss.backward()
    let t2 = secondsNow()
    optimizer.step()
    let t3 = secondsNow()
    let first = phases.startIndex
    phases[first] += t1 - t0; phases[first + 1] += t2 - t1; phases[first + 2] += t3 - t2
}

/// Times `steps` training steps (after 3 warm-up steps) cycling over `batches`, and prints
/// milliseconds per step, the epoch of `epochSteps` steps and the step's breakdown, in the lines
/// scripts/compare_pytorch.sh reads.
func stepBenchmark(_ model: Module, _ optimizer: Optimizer, batches: [(Tensor, Tensor)], steps: Int, epochSteps: Int,
                   loss: (Tensor, Tensor) -> Tensor = { crossEntropy($0, $1) }) {
    var phase = ArraySlice([Double](repeating: 0, count: 3))
    let warmup = 3
    var start = secondsNow()
    for step in 0..<(steps + warmup) {
        if step == warmup { phase = [0, 0, 0]; start = secondsNow() }
        let (x, y) = batches[step % batches.count]
        timedTrainingStep(model, optimizer, x, y, loss: loss, phases: &phase)
    }
    let perStep = (secondsNow() - start) / Double(steps)
    print("step: \(format(perStep * 1000, 1)) ms over \(steps) steps → \(format(perStep * Double(epochSteps), 1)) s per epoch "
          + "(\(epochSteps) steps)")
    let n = Double(steps)
    print("step breakdown (ms): forward \(format(phase[0] / n * 1e3, 2)), backward \(format(phase[1] / n * 1e3, 2)), "
          + "optimizer \(format(phase[2] / n * 1e3, 2))")
}

/// The most memory this process has held so far (peak RSS, in MB); it only grows, so each mode of a
/// memory benchmark runs in a process of its own.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024          // kilobytes on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576     // bytes on macOS
    #endif
}
