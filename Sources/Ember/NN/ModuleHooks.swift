/// Forward and backward hooks, like PyTorch's `register_forward_pre_hook`, `register_forward_hook`
/// and `register_full_backward_hook`: look at or replace what a layer receives and returns, and the
/// gradients that pass through it, without changing its code (feature extraction, activation and
/// gradient statistics, Grad-CAM, debugging). They run when the module is called with one tensor,
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

    /// Runs `hook(module, gradInput, gradOutput)` in backward once the gradient with respect to the
    /// module's input is known, like PyTorch's `register_full_backward_hook` (Grad-CAM, gradient
    /// statistics); `gradInput` is nil when the input does not require grad (the hook then runs
    /// with the output's gradient). A returned tensor replaces the input's gradient.
    @discardableResult
    public func registerFullBackwardHook(_ hook: @escaping (Module, Tensor?, Tensor) -> Tensor?) -> RemovableHandle {
        let id = RemovableHandle.makeID()
        backwardHooks.append((id, hook))
        return RemovableHandle { [weak self] in self?.backwardHooks.removeAll { $0.id == id } }
    }

    /// Runs `hook(module, gradOutput)` in backward before the module's own backward, like
    /// `register_full_backward_pre_hook`; a returned tensor replaces the output's gradient.
    @discardableResult
    public func registerFullBackwardPreHook(_ hook: @escaping (Module, Tensor) -> Tensor?) -> RemovableHandle {
        let id = RemovableHandle.makeID()
        backwardPreHooks.append((id, hook))
        return RemovableHandle { [weak self] in self?.backwardPreHooks.removeAll { $0.id == id } }
    }

    func forwardWithHooks(_ x: Tensor) -> Tensor {
        guard GradMode.isEnabled, !(backwardHooks.isEmpty && backwardPreHooks.isEmpty) else { return forwardWithForwardHooks(x) }
        // Identity ops around the call: the output's sees the output's gradient first (pre-hooks),
        // the input's the input's gradient after the module's backward (hooks).
        final class Exchange { var gradOutput: Tensor? }
        let exchange = Exchange()
        let inputTracked = x.requiresGrad
        let input = !inputTracked ? x : x.detach().recording("BackwardHookFunctionBackward", inputs: [x]) { [self] g in
            var gradInput = g
            let gradOutput = exchange.gradOutput ?? Tensor.zeros([], device: g.device)
            for hook in backwardHooks { gradInput = hook.body(self, gradInput, gradOutput) ?? gradInput }
            return [gradInput]
        }
        let output = forwardWithForwardHooks(input)
        guard output.requiresGrad else { return output }
        return output.detach().recording("BackwardHookFunctionBackward", inputs: [output]) { [self] g in
            var gradOutput = g
            for hook in backwardPreHooks { gradOutput = hook.body(self, gradOutput) ?? gradOutput }
            exchange.gradOutput = gradOutput
            if !inputTracked { for hook in backwardHooks { _ = hook.body(self, nil, gradOutput) } }
            return [gradOutput]
        }
    }

    private func forwardWithForwardHooks(_ x: Tensor) -> Tensor {
        var input = x
        for hook in forwardPreHooks { input = hook.body(self, input) ?? input }
        var output = forward(input)
        for hook in forwardHooks { output = hook.body(self, input, output) ?? output }
        return output
    }
}
