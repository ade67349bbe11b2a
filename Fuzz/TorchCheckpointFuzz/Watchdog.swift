import Foundation

#if canImport(Glibc)
import Glibc
#endif

// What the process reports if it dies or hangs: plain globals, because a signal handler cannot
// capture context, and the watchdog thread reads them without locks (a stale read only delays it).

/// "fuzz: crashed on input K (...)", set before each input.
nonisolated(unsafe) var crashMessage = [CChar](repeating: 0, count: 512)
/// When the current input started (monotonic seconds), or 0 between inputs.
nonisolated(unsafe) var inputStarted: Double = 0

func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func setCurrentInput(_ message: String) {
    crashMessage = Array(message.utf8CString.prefix(511)) + [0]
}

/// Prints the current input before the process dies of a signal.
func installCrashHandler() {
    for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
        signal(sig) { sig in
            _ = "\nfuzz: crashed".withCString { write(2, $0, strlen($0)) }
            crashMessage.withUnsafeBufferPointer { buffer in
                _ = write(2, buffer.baseAddress, strlen(buffer.baseAddress!))
            }
            signal(sig, SIG_DFL)
            raise(sig)
        }
    }
}

/// Ends the process (exit status 3) when one input runs longer than `seconds`.
func startWatchdog(seconds: Double) {
    let thread = Thread {
        while true {
            usleep(200_000)
            let started = inputStarted
            if started > 0, monotonicSeconds() - started > seconds {
                _ = "\nfuzz: hung (over \(seconds) s)".withCString { write(2, $0, strlen($0)) }
                crashMessage.withUnsafeBufferPointer { buffer in
                    _ = write(2, buffer.baseAddress, strlen(buffer.baseAddress!))
                }
                _exit(3)
            }
        }
    }
    thread.stackSize = 1 << 16
    thread.start()
}

/// Peak resident memory of the process so far, in MiB.
func peakRSSMiB() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return usage.ru_maxrss / 1024
}

/// Set by SIGINT / SIGTERM: the run stops after the current input and prints its summary.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

func installStopHandler() {
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { _ in stopRequested = 1 }
    }
}
