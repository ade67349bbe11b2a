import CPeakFlops
import Dispatch
import Ember

/// The FP32 multiply-add peak in GFLOP/s (best of 3): on one core, and on `numThreads()` cores at
/// once. Zero where the CPU has no AVX2/FMA.
func peakFlops() -> (perCore: Double, allCores: Double) {
    func gflops(threads: Int) -> Double {
        var best = 0.0
        for _ in 0..<3 {
            let start = secondsNow()
            let flops = UnsafeMutablePointer<Double>.allocate(capacity: threads)
            defer { flops.deallocate() }
            DispatchQueue.concurrentPerform(iterations: threads) { t in flops[t] = peak_fma_flops(20_000_000) }
            let total = UnsafeBufferPointer(start: flops, count: threads).reduce(0, +)
            best = max(best, total / (secondsNow() - start) / 1e9)
        }
        return best
    }
    return (gflops(threads: 1), gflops(threads: numThreads()))
}

/// Prints the peak, the ceiling every product benchmark is measured against.
func peakBenchmark() {
    let peak = peakFlops()
    print("FP32 FMA peak: \(format(peak.perCore)) GFLOP/s on one core, \(format(peak.allCores)) GFLOP/s on \(numThreads()) threads")
}
