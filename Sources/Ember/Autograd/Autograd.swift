/// Gradients as values rather than into `grad`, like `torch.autograd`: `grad` for chosen tensors
/// (with `createGraph` for second derivatives), and `jacobian`/`hessian` of a function.
///
///     // A gradient penalty (WGAN-GP): the norm of ∂D/∂x, itself trained through.
///     let x = interpolated.requiringGrad()
///     let dx = Autograd.grad(of: critic(x).sum(), wrt: [x], createGraph: true)[0]
///     let penalty = ((dx.flatten(startDim: 1).norm(dim: 1) - 1).square()).mean()
public enum Autograd {
    /// The gradients of `outputs` with respect to `inputs`, like `torch.autograd.grad`: the sum over
    /// the outputs of each output's vector-Jacobian product with its `gradOutputs` entry (nil, or no
    /// list, means 1 for a single-element output). Leaves' `grad` are left untouched, and only the part
    /// of the graph between the outputs and the inputs is run.
    ///
    /// - `createGraph`: record this pass, so that the gradients can be differentiated again.
    /// - `retainGraph`: keep the graph for another pass (defaults to `createGraph`).
    /// - `allowUnused`: give zeros for an input the outputs do not depend on, instead of stopping.
    public static func grad(of outputs: [Tensor], wrt inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
                            retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
        if let gradOutputs, gradOutputs.count != outputs.count {
            fatalError("Ember: Autograd.grad: got \(gradOutputs.count) gradOutputs for \(outputs.count) outputs; "
                + "pass one per output (nil for a single-element output)")
        }
        for (i, output) in outputs.enumerated() where !output.requiresGrad {
            fatalError("Ember: Autograd.grad: output \(i) (shape \(output.shape)) does not require grad and has no grad_fn; "
                + "it does not depend on any tensor that requires grad")
        }
        for (i, input) in inputs.enumerated() where !input.requiresGrad {
            fatalError("Ember: Autograd.grad: input \(i) (shape \(input.shape)) does not require grad; "
                + "set requiresGrad on it before computing the outputs")
        }
        let roots = outputs.enumerated().map { i, output in
            (output, output.seed(gradOutputs?[i], op: "Autograd.grad", shared: false))
        }
        var pass = BackwardPass(retainGraph: retainGraph ?? createGraph, createGraph: createGraph, targets: inputs)
        pass.run(roots)
        return zip(inputs, pass.captured).enumerated().map { i, pair in
            let (input, gradient) = pair
            if let gradient { return gradient }
            guard allowUnused else {
                fatalError("Ember: Autograd.grad: input \(i) (shape \(input.shape)) was not used to compute the outputs; "
                    + "pass allowUnused: true to get zeros for it")
            }
            return Tensor.zeros(input.shape, device: input.device)
        }
    }

    /// The gradients of one output; see `grad(of:wrt:...)` for the options.
    public static func grad(of output: Tensor, wrt inputs: [Tensor], gradOutput: Tensor? = nil,
                            retainGraph: Bool? = nil, createGraph: Bool = false, allowUnused: Bool = false) -> [Tensor] {
        grad(of: [output], wrt: inputs, gradOutputs: [gradOutput], retainGraph: retainGraph,
             createGraph: createGraph, allowUnused: allowUnused)
    }

    /// The Jacobian of `function` at `x`, shaped `output.shape + x.shape`, like
    /// `torch.autograd.functional.jacobian`: one backward pass per output element.
    public static func jacobian(of function: (Tensor) -> Tensor, at x: Tensor, createGraph: Bool = false) -> Tensor {
        let input = createGraph ? x : x.detach().requiringGrad()
        let output = enableGrad { function(input) }
        guard output.requiresGrad else {
            return Tensor.zeros(output.shape + x.shape, device: x.device)
        }
        let flat = output.reshape([-1])
        let rows = (0..<flat.count).map { i -> Tensor in
            let unit = Tensor.zeros([flat.count], device: x.device)
            noGrad { _ = unit.narrow(0, start: i, length: 1).fill_(1) }
            return grad(of: flat, wrt: [input], gradOutput: unit, retainGraph: true, createGraph: createGraph,
                        allowUnused: true)[0]
        }
        return Tensor.stack(rows).reshape(output.shape + x.shape)
    }

    /// The Hessian of a scalar `function` at `x`, shaped `x.shape + x.shape`, like
    /// `torch.autograd.functional.hessian`: the Jacobian of its gradient.
    public static func hessian(of function: @escaping (Tensor) -> Tensor, at x: Tensor) -> Tensor {
        jacobian(of: { input in
            let y = function(input)
            guard y.count == 1 else {
                shapeFailure(ShapeError("Autograd.hessian: the function must return one element, got shape \(y.shape)"))
            }
            return grad(of: y, wrt: [input], createGraph: true, allowUnused: true)[0]
        }, at: x)
    }
}
