/// Why an optimizer refused a saved state.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The base class of optimizers, like `torch.optim.Optimizer` with one parameter group.
///
/// It holds the parameters (the same Tensor objects the module holds, so in-place updates show up in
/// the model), the learning rate and a state dictionary per parameter. `step()` runs, under `noGrad`,
/// `update(_:grad:state:)` for every parameter that has a gradient; subclasses override that one
/// method with their rule.
///
///     let optimizer = Adam(model.parameters(), lr: 1e-3)
///     for (x, y) in batches {
///         optimizer.zeroGrad()
///         let loss = crossEntropy(model(x), y)
///         loss.backward()
///         optimizer.step()
///     }
open class Optimizer {
    /// The tensors this optimizer updates, in order (state-dict indices refer to this order).
    public let parameters: [Tensor]
    /// The learning rate (schedulers change it between steps).
    public var lr: Float
    /// Per-parameter state by name ("step", "exp_avg", ...), as PyTorch names it.
    public var state: [[String: Tensor]]
    /// The rate when the first scheduler was attached (PyTorch's `initial_lr`): every scheduler made
    /// for this optimizer counts from it, so schedulers chained in a `SequentialLR` share one base.
    public var initialLR: Float?

    public init(_ parameters: [Tensor], lr: Float) {
        precondition(lr >= 0, "Ember: \(type(of: self)): invalid learning rate \(lr)")
        self.parameters = parameters
        self.lr = lr
        self.state = Array(repeating: [:], count: parameters.count)
    }

    /// Clears every parameter's gradient (sets it to nil, as PyTorch does by default).
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }

    /// Updates every parameter that has a gradient, in place.
    open func step() {
        noGrad {
            for (i, p) in parameters.enumerated() {
                guard let grad = p.grad else { continue }
                update(p, grad: grad, state: &state[i])
            }
        }
    }

    /// The rule for one parameter: change `parameter` in place from `grad`, keeping what it needs in `state`.
    open func update(_ parameter: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        fatalError("Ember: \(type(of: self)) does not override update(_:grad:state:)")
    }

    /// Whether a step captured in a CUDA graph stays right when replayed: false (the default) when the
    /// update uses numbers computed on the host that change from step to step (bias corrections from
    /// the step count, say), since a replay repeats the captured ones.
    open var isGraphCapturable: Bool { false }

    /// Hyperparameters saved with the state (subclasses add theirs); `lr` by default.
    open var hyperparameters: [String: Float] {
        get { ["lr": lr] }
        set { if let v = newValue["lr"] { lr = v } }
    }

    /// Increments and returns a "step" counter kept in `state` (a float32 scalar, like PyTorch's).
    public func incrementStep(_ state: inout [String: Tensor]) -> Int {
        let step = Int(state["step"]?.item() ?? 0) + 1
        state["step"] = Tensor(Float(step))
        return step
    }

    /// The buffer `name` of a parameter's state, created filled with `initial` (like `p`) on first use.
    public func buffer(_ name: String, like p: Tensor, in state: inout [String: Tensor], initial: Float = 0) -> Tensor {
        if let existing = state[name] { return existing }
        let created = initial == 0 ? Tensor.zeros(like: p) : Tensor.full(p.shape, initial, device: p.device)
        state[name] = created
        return created
    }

    /// The gradient with L2 weight decay: grad + weightDecay·p; or, `decoupled` (AdamW-style), the
    /// gradient itself after shrinking p by lr·weightDecay in place.
    public func decayedGradient(_ grad: Tensor, of p: Tensor, weightDecay: Float, decoupled: Bool = false) -> Tensor {
        guard weightDecay != 0 else { return grad }
        if decoupled {
            p.mul_(1 - lr * weightDecay)
            return grad
        }
        return grad + p * weightDecay
    }

    /// Adam's two moments, "exp_avg" m = β1·m + (1-β1)·g and "exp_avg_sq" v = β2·v + (1-β2)·g², updated
    /// in place and returned (for the composed Adam variants; Adam itself runs one fused kernel).
    public func updateMoments(_ g: Tensor, of p: Tensor, in state: inout [String: Tensor],
                              betas: (Float, Float)) -> (expAvg: Tensor, expAvgSq: Tensor) {
        let expAvg = buffer("exp_avg", like: p, in: &state)
        let expAvgSq = buffer("exp_avg_sq", like: p, in: &state)
        expAvg.scaleAdd_(betas.0, g, alpha: 1 - betas.0)
        expAvgSq.scaleAdd_(betas.1, g * g, alpha: 1 - betas.1)
        return (expAvg, expAvgSq)
    }

    /// Everything needed to resume: "state.<index>.<name>" for each parameter's state (copies) and
    /// "hyperparameters.<name>" as scalars, with "hyperparameters.initial_lr" once a scheduler has set it
    /// (as PyTorch keeps `initial_lr` in its parameter groups).
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        noGrad {
            for (i, entries) in state.enumerated() {
                for (name, t) in entries { out["state.\(i).\(name)"] = t.clone() }
            }
        }
        for (name, value) in hyperparameters { out["hyperparameters.\(name)"] = Tensor(value) }
        if let initialLR { out["hyperparameters.initial_lr"] = Tensor(initialLR) }
        return out
    }

    /// Whether a state entry is read on the host (the step counter) rather than kept beside its parameter.
    open func keepsStateOnHost(_ name: String, shape: [Int]) -> Bool { name == "step" }

    /// Whether a saved state entry of this shape belongs to parameter `index`: a scalar, or a buffer
    /// of the parameter's shape.
    open func acceptsState(_ name: String, shape: [Int], parameter index: Int) -> Bool {
        shape.isEmpty || shape == parameters[index].shape
    }

    /// Restores a state saved by `stateDict()` from an optimizer over parameters of the same shapes.
    /// Throws (changing nothing) on unknown keys, parameter indices out of range or shapes that do
    /// not fit the parameter.
    public func loadStateDict(_ dict: [String: Tensor]) throws {
        var newState: [[String: Tensor]] = Array(repeating: [:], count: parameters.count)
        var hyper = hyperparameters
        var loadedInitialLR: Float?
        for key in dict.keys.sorted() {
            let t = dict[key]!
            let parts = key.split(separator: ".", maxSplits: 2).map(String.init)
            if key == "hyperparameters.initial_lr" {
                loadedInitialLR = t.item()
                continue
            }
            if parts.count == 2 && parts[0] == "hyperparameters" {
                guard hyper[parts[1]] != nil else {
                    throw OptimizerStateError("\(type(of: self)).loadStateDict: unknown hyperparameter \"\(parts[1])\"")
                }
                hyper[parts[1]] = t.item()
                continue
            }
            guard parts.count == 3, parts[0] == "state", let index = Int(parts[1]) else {
                throw OptimizerStateError("\(type(of: self)).loadStateDict: unexpected key \"\(key)\"")
            }
            guard index >= 0 && index < parameters.count else {
                throw OptimizerStateError("\(type(of: self)).loadStateDict: key \"\(key)\" refers to parameter \(index), "
                    + "but the optimizer has \(parameters.count) parameters")
            }
            guard acceptsState(parts[2], shape: t.shape, parameter: index) else {
                throw OptimizerStateError("\(type(of: self)).loadStateDict: \"\(key)\" has shape \(t.shape), "
                    + "but parameter \(index) has shape \(parameters[index].shape)")
            }
            // Moment buffers live beside their parameter; the step counter stays a host scalar.
            let device = keepsStateOnHost(parts[2], shape: t.shape) ? Device.cpu : parameters[index].device
            newState[index][parts[2]] = noGrad { t.to(.float32).to(device).clone().detach() }
        }
        state = newState
        hyperparameters = hyper
        initialLR = loadedInitialLR
    }
}
