/// An operation with a hand-written backward, like `torch.autograd.Function`: for a formula autograd
/// would differentiate badly or slowly (a stable derivative, a straight-through estimator, a fused
/// kernel of your own).
///
///     enum Exp: AutogradFunction {
///         static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor {
///             let y = inputs[0].exp()
///             ctx.saveForBackward(y)
///             return y
///         }
///         static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?] {
///             [gradOutput * ctx.savedTensors[0]]
///         }
///     }
///     let y = Exp.apply(x)
///
/// `forward` runs without recording; `backward` gets the gradient of the output and returns one
/// gradient per input, in order (nil where none flows; `ctx.needsInputGrad` says which are wanted).
/// Written with Ember's ops, `backward` is itself differentiable under `createGraph`. A backward that
/// is not (one that calls its own kernels) should say so with `isOnceDifferentiable`, like PyTorch's
/// `@once_differentiable`: it then runs without recording, and differentiating its result again
/// stops with a message instead of giving zero.
public protocol AutogradFunction {
    static func forward(_ ctx: FunctionContext, _ inputs: [Tensor]) -> Tensor
    static func backward(_ ctx: FunctionContext, _ gradOutput: Tensor) -> [Tensor?]
    static var isOnceDifferentiable: Bool { get }
}

extension AutogradFunction {
    public static var isOnceDifferentiable: Bool { false }
}

/// What `forward` hands to `backward`: saved tensors (checked for in-place changes, like the
/// tensors Ember's own ops save) and any other values.
public final class FunctionContext {
    /// Which inputs need a gradient, in order.
    public let needsInputGrad: [Bool]
    /// Values other than tensors that backward needs (sizes, flags, scalars), like attributes set on
    /// PyTorch's `ctx`.
    public var values: [String: Any] = [:]
    private var saved: [Tensor] = []
    /// The saved tensor that is the output itself, held detached (the output holds the graph node
    /// that holds this context) and reattached when read.
    private var savedOutputIndex: Int?

    init(needsInputGrad: [Bool]) { self.needsInputGrad = needsInputGrad }

    /// Saves tensors for `backward`: inputs, the output or intermediate results.
    public func saveForBackward(_ tensors: Tensor...) { saved += tensors }

    /// The tensors given to `saveForBackward`, in order.
    public var savedTensors: [Tensor] {
        guard let i = savedOutputIndex else { return saved }
        var tensors = saved
        tensors[i] = tensors[i].reattached()
        return tensors
    }

    /// Replaces the output among the saved tensors by a detached view of it.
    fileprivate func detachSaved(_ output: Tensor) -> [Tensor] {
        if let i = saved.firstIndex(where: { $0 === output }) {
            saved[i] = output.detach()
            savedOutputIndex = i
        }
        return saved
    }
}

extension AutogradFunction {
    /// Runs `forward` on the inputs and records `backward` as the output's gradient function.
    public static func apply(_ inputs: Tensor...) -> Tensor { apply(inputs) }

    /// Runs `forward` on the inputs and records `backward` as the output's gradient function.
    public static func apply(_ inputs: [Tensor]) -> Tensor {
        let name = String(describing: Self.self)
        let ctx = FunctionContext(needsInputGrad: inputs.map { GradMode.isEnabled && $0.requiresGrad })
        var output = noGrad { forward(ctx, inputs) }
        // The result must be a tensor of its own: recording on an input would rewrite that input's graph.
        if inputs.contains(where: { $0 === output }) { output = output.detach() }
        let saved = ctx.detachSaved(output)
        return output.recording(name, inputs: inputs, saving: saved) { gradOutput in
            let grads = isOnceDifferentiable ? noGrad { backward(ctx, gradOutput) } : backward(ctx, gradOutput)
            guard grads.count == inputs.count else {
                fatalError("Ember: \(name).backward returned \(grads.count) gradients for \(inputs.count) inputs; "
                    + "return one per input, in order (nil where none flows)")
            }
            for (i, (grad, input)) in zip(grads, inputs).enumerated() {
                if let grad, grad.shape != input.shape {
                    shapeFailure(ShapeError("\(name).backward: gradient \(i) has shape \(grad.shape) but input \(i) "
                        + "has shape \(input.shape)"))
                }
            }
            guard isOnceDifferentiable && GradMode.isEnabled else { return grads }
            // Under createGraph: gradients that stop a backward through them.
            return grads.map { grad in
                grad?.detach().recording("\(name)Backward", inputs: [gradOutput] + inputs) { _ in
                    fatalError("Ember: \(name) is once differentiable (isOnceDifferentiable): its backward cannot be "
                        + "differentiated again; write it with Ember's ops and drop isOnceDifferentiable to allow that")
                }
            }
        }
    }
}
