/// Stops training when a validation metric has not improved by more than `minDelta` for `patience`
/// consecutive checks.
///
///     let stopper = EarlyStopping(patience: 5, minDelta: 1e-3, mode: .min)
///     for epoch in 0..<100 {
///         train(); let loss = validate()
///         if stopper.step(loss) { break }       // stopper.best, stopper.bestEpoch
///     }
public final class EarlyStopping {
    public enum Mode: Sendable { case min, max }

    public let patience: Int
    public let minDelta: Float
    public let mode: Mode
    /// The best value seen, nil before the first `step`.
    public private(set) var best: Float?
    /// The 0-based index of the `step` call that gave `best`.
    public private(set) var bestEpoch: Int?
    /// Checks since the last improvement.
    public private(set) var counter = 0
    public private(set) var shouldStop = false
    private var epoch = -1

    public init(patience: Int = 10, minDelta: Float = 0, mode: Mode = .min) {
        precondition(patience >= 0 && minDelta >= 0, "Ember: EarlyStopping: patience and minDelta must be non-negative")
        self.patience = patience
        self.minDelta = minDelta
        self.mode = mode
    }

    /// Whether `value` improves on `best` by more than `minDelta`.
    public func isImprovement(_ value: Float) -> Bool {
        guard let best else { return true }
        switch mode {
        case .min: return value < best - minDelta
        case .max: return value > best + minDelta
        }
    }

    /// Records one check; returns true when training should stop.
    @discardableResult
    public func step(_ value: Float) -> Bool {
        epoch += 1
        if isImprovement(value) {
            best = value
            bestEpoch = epoch
            counter = 0
        } else {
            counter += 1
            if counter >= patience { shouldStop = true }
        }
        return shouldStop
    }

    public func reset() {
        best = nil; bestEpoch = nil; counter = 0; shouldStop = false; epoch = -1
    }
}
