/// Whether ops record the graph. `noGrad { }` turns recording off for evaluation and optimizer steps.
/// The mode is per thread/task (like PyTorch's thread-local grad mode), so concurrent code — tests
/// running in parallel, a data loader thread — does not switch recording off for others.
public enum GradMode {
    @TaskLocal static var enabled = true

    public static var isEnabled: Bool { enabled }

    /// Runs `body` with gradient recording set to `enabled`, restoring the previous mode after.
    public static func with<T>(enabled: Bool, _ body: () throws -> T) rethrows -> T {
        try $enabled.withValue(enabled, operation: body)
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
