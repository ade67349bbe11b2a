/// Whether ops record the graph. `noGrad { }` turns recording off for evaluation and optimizer steps.
public enum GradMode {
    /// Task-local (thread-local outside tasks), like PyTorch's thread-local grad mode: a `noGrad` block
    /// in one task or thread must not stop recording in another running at the same time.
    @TaskLocal private static var enabled = true

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
