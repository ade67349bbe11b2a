import Foundation

/// Removes the hook it was returned for, like PyTorch's `RemovableHandle`.
public final class RemovableHandle {
    private var onRemove: (() -> Void)?

    init(_ onRemove: @escaping () -> Void) { self.onRemove = onRemove }

    /// Removes the hook; calling it again does nothing.
    public func remove() {
        onRemove?()
        onRemove = nil
    }

    /// Ids that tell hooks apart, so that a handle removes its own hook only.
    nonisolated(unsafe) private static var nextID = 0
    private static let lock = NSLock()
    static func makeID() -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextID += 1
        return nextID
    }
}

extension Tensor {
    /// Runs `hook` on this tensor's gradient each time a backward pass computes it, like PyTorch's
    /// `register_hook`. Returning a tensor (of the gradient's shape) replaces the gradient that
    /// flows on and, for a leaf, the one added to `grad`; returning nil leaves it as it is.
    ///
    ///     let handle = hidden.registerHook { g in g.clamp(min: -1, max: 1) }   // clip this gradient
    ///     loss.backward()
    ///     handle.remove()
    @discardableResult
    public func registerHook(_ hook: @escaping (Tensor) -> Tensor?) -> RemovableHandle {
        guard requiresGrad else {
            fatalError("Ember: registerHook: cannot register a hook on a tensor that does not require grad "
                + "(shape \(shape)); set requiresGrad first")
        }
        let id = RemovableHandle.makeID()
        let entry = GradHook(id: id, body: hook)
        if let node = gradFn {
            node.gradHooks.append(entry)
            return RemovableHandle { [weak node] in node?.gradHooks.removeAll { $0.id == id } }
        }
        leafHooks.append(entry)
        return RemovableHandle { [weak self] in self?.leafHooks.removeAll { $0.id == id } }
    }

    /// Keeps this non-leaf tensor's gradient in `grad` after `backward()`, like PyTorch's
    /// `retain_grad()` (leaves keep theirs anyway). It accumulates across passes like a leaf's.
    public func retainGrad() {
        guard requiresGrad else {
            fatalError("Ember: retainGrad: the tensor (shape \(shape)) does not require grad, so it never gets one")
        }
        guard let node = gradFn, !retainsGrad else { return }
        node.retainers.append(WeakTensor(tensor: self))
    }

    /// Whether `retainGrad()` was called on this non-leaf tensor.
    public var retainsGrad: Bool {
        gradFn?.retainers.contains { $0.tensor === self } ?? false
    }
}

extension Array where Element == GradHook {
    /// `grad` after these hooks have run on it, in order (each may replace it with a tensor of its shape).
    func applied(to grad: Tensor) -> Tensor {
        var grad = grad
        for hook in self {
            guard let replaced = hook.body(grad) else { continue }
            guard replaced.shape == grad.shape else {
                shapeFailure(ShapeError("hook: a gradient hook returned shape \(replaced.shape) for a gradient of shape \(grad.shape)"))
            }
            grad = replaced
        }
        return grad
    }
}
