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
    /// with the output's gradient). A returned tensor replaces the input's gradient. As in PyTorch,
    /// a call runs the hooks registered when it was made. Like forward hooks, they run for calls
    /// with one tensor, `module(x)`; layers called with more arguments (attention, recurrent layers,
    /// encoder layers with masks) do not run them.
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
        var input = x
        for hook in forwardPreHooks { input = hook.body(self, input) ?? input }
        let (hooks, preHooks) = (backwardHooks, backwardPreHooks)
        let tracking = GradMode.isEnabled && !(hooks.isEmpty && preHooks.isEmpty)
        // Identity ops around the call: the output's sees the output's gradient first (pre-hooks),
        // the input's the input's gradient after the module's backward (hooks). The output's
        // gradient is handed over once: a later pass that reaches only the input (double backward
        // through saved tensors) runs no hooks, as in PyTorch. The module is held weakly, so a
        // graph kept alive does not keep it.
        final class Exchange { var gradOutput: Tensor? }
        let exchange = Exchange()
        let inputTracked = tracking && input.requiresGrad
        if inputTracked {
            input = input.detach().recording("BackwardHookFunctionBackward", inputs: [input]) { [weak self] g in
                guard let self, let gradOutput = exchange.gradOutput else { return [g] }
                exchange.gradOutput = nil
                var gradInput = g
                for hook in hooks { gradInput = hook.body(self, gradInput, gradOutput) ?? gradInput }
                return [gradInput]
            }
        }
        var output = forward(input)
        for hook in forwardHooks { output = hook.body(self, input, output) ?? output }
        guard tracking, output.requiresGrad else { return output }
        return output.detach().recording("BackwardHookFunctionBackward", inputs: [output]) { [weak self] g in
            guard let self else { return [g] }
            var gradOutput = g
            for hook in preHooks { gradOutput = hook.body(self, gradOutput) ?? gradOutput }
            if inputTracked {
                exchange.gradOutput = gradOutput
            } else {
                for hook in hooks {
                    precondition(hook.body(self, nil, gradOutput) == nil, "Ember: a full backward hook of \(typeName) "
                        + "returned an input gradient, but the input does not require grad: there is none to replace")
                }
            }
            return [gradOutput]
        }
    }
}
