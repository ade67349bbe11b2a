/// Forward hooks, like PyTorch's `register_forward_pre_hook` and `register_forward_hook`: look at
/// or replace what a layer receives and returns without changing its code (feature extraction,
/// activation statistics, debugging). They run when the module is called with one tensor,
/// `module(x)`, the form `Sequential` and most layers use.
///
///     var features: [String: Tensor] = [:]
///     let handle = model.fc1.registerForwardHook { _, _, output in
///         features["fc1"] = output.detach()
///         return nil
///     }
///     _ = model(images)
///     handle.remove()
extension Module {
    /// Runs `hook(module, input)` before `forward`; a returned tensor replaces the input.
    @discardableResult
    public func registerForwardPreHook(_ hook: @escaping (Module, Tensor) -> Tensor?) -> RemovableHandle {
        let id = RemovableHandle.makeID()
        forwardPreHooks.append((id, hook))
        return RemovableHandle { [weak self] in self?.forwardPreHooks.removeAll { $0.id == id } }
    }

    /// Runs `hook(module, input, output)` after `forward`; a returned tensor replaces the output.
    @discardableResult
    public func registerForwardHook(_ hook: @escaping (Module, Tensor, Tensor) -> Tensor?) -> RemovableHandle {
        let id = RemovableHandle.makeID()
        forwardHooks.append((id, hook))
        return RemovableHandle { [weak self] in self?.forwardHooks.removeAll { $0.id == id } }
    }

    func forwardWithHooks(_ x: Tensor) -> Tensor {
        var input = x
        for hook in forwardPreHooks { input = hook.body(self, input) ?? input }
        var output = forward(input)
        for hook in forwardHooks { output = hook.body(self, input, output) ?? output }
        return output
    }
}
