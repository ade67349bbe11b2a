/// Whether ops record the graph. `noGrad { }` turns recording off for evaluation and optimizer steps.
public enum GradMode {
    nonisolated(unsafe) public private(set) static var isEnabled = true

    /// Runs `body` with gradient recording set to `enabled`, restoring the previous mode after.
    public static func with<T>(enabled: Bool, _ body: () throws -> T) rethrows -> T {
        let previous = isEnabled
        isEnabled = enabled
        defer { isEnabled = previous }
        return try body()
    }
}

/// Runs `body` without recording gradients, like `with torch.no_grad():`.
@discardableResult
public func noGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.with(enabled: false, body)
}

/// Runs `body` with gradient recording on, like `with torch.enable_grad():`.
@discardableResult
public func enableGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.with(enabled: true, body)
}
