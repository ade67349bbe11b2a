import Foundation

/// A one-line live progress bar for a terminal: step, loss, samples/s and ETA, redrawn in place.
/// When standard error is not a terminal it draws nothing (the log lines are printed instead).
struct ProgressBar {
    let total: Int
    let title: String
    let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(total: Int, title: String, enabled: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = total
        self.title = title
        self.enabled = enabled
    }

    /// Redraws at most 10 times a second, and always at the last step.
    mutating func update(step: Int, loss: Float, samples: Int) {
        guard enabled else { return }
        let now = Date()
        guard step == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(samples) / elapsed : 0
        let eta = step > 0 ? elapsed / Double(step) * Double(total - step) : 0
        let width = 24
        let filled = total > 0 ? width * step / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %@ %d/%d loss %.4f  %.0f samples/s  ETA %.1fs ",
                          title, bar, step, total, loss, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends the bar's line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
