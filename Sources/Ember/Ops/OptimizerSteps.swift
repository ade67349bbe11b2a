/// Fused in-place optimizer updates, used by `Adam`/`AdamW`; the tensors must be contiguous float32
/// tensors of one shape on one device.
extension Tensor {
    /// One Adam step on this parameter: updates it and its moment buffers from `grad` in a single pass.
    public func adamStep_(grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
                          _ hyper: AdamHyperparameters) {
        let all = [self, grad, expAvg, expAvgSq] + (maxExpAvgSq.map { [$0] } ?? [])
        for t in all {
            guard t.shape == shape, t.dtype == .float32, t.device == device else {
                shapeFailure(ShapeError("adamStep_: tensor of shape \(t.shape) (\(t.dtype), \(t.device)) does not match "
                    + "the parameter of shape \(shape) (\(dtype), \(device))"))
            }
        }
        if GradMode.isEnabled && requiresGrad {
            fatalError("Ember: adamStep_: updating a parameter that requires grad must run inside noGrad { }")
        }
        let g = grad.contiguous()
        // The state buffers are written in place, so they must already be contiguous (they are created so).
        for t in [self, expAvg, expAvgSq] + (maxExpAvgSq.map { [$0] } ?? []) where !t.isContiguous {
            fatalError("Ember: adamStep_: tensors updated in place must be contiguous (shape \(t.shape), strides \(t.strides))")
        }
        backend.adamStep(parameter: view, grad: g.view, expAvg: expAvg.view, expAvgSq: expAvgSq.view,
                         maxExpAvgSq: maxExpAvgSq?.view, hyper)
    }
}

/// One parameter's tensors for `Tensor.adamStep_(_:_:)`.
public struct AdamTensors {
    public let parameter, grad, expAvg, expAvgSq: Tensor
    public let maxExpAvgSq: Tensor?
    /// The float32 scalar step counter, on the parameter's device; the step increments it.
    public let step: Tensor

    public init(parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?, step: Tensor) {
        self.parameter = parameter; self.grad = grad; self.expAvg = expAvg; self.expAvgSq = expAvgSq
        self.maxExpAvgSq = maxExpAvgSq; self.step = step
    }
}

extension Tensor {
    /// One Adam step over several parameters of one device, each with its own step counter, which
    /// is incremented on the device: on a GPU the whole update is two launches and needs nothing
    /// from the host, so it can be captured in a `CUDAGraph`. `hyper.step` is not used.
    public static func adamStep_(_ parameters: [AdamTensors], _ hyper: AdamHyperparameters) {
        guard let device = parameters.first?.parameter.device else { return }
        let views = parameters.map { item -> AdamParameterViews in
            let p = item.parameter
            for t in [item.grad, item.expAvg, item.expAvgSq] + (item.maxExpAvgSq.map { [$0] } ?? []) {
                guard t.shape == p.shape, t.dtype == .float32, t.device == device else {
                    shapeFailure(ShapeError("adamStep_: tensor of shape \(t.shape) (\(t.dtype), \(t.device)) does not match "
                        + "the parameter of shape \(p.shape) (\(p.dtype), \(device))"))
                }
            }
            guard p.dtype == .float32, p.device == device, item.step.count == 1, item.step.dtype == .float32,
                  item.step.device == device else {
                shapeFailure(ShapeError("adamStep_: parameters must be float32 on \(device), with a float32 scalar step "
                    + "counter there; got a \(p.dtype) parameter on \(p.device) and a \(item.step.dtype) step of shape "
                    + "\(item.step.shape) on \(item.step.device)"))
            }
            if GradMode.isEnabled && p.requiresGrad {
                fatalError("Ember: adamStep_: updating a parameter that requires grad must run inside noGrad { }")
            }
            for t in [p, item.expAvg, item.expAvgSq, item.step] + (item.maxExpAvgSq.map { [$0] } ?? []) where !t.isContiguous {
                fatalError("Ember: adamStep_: tensors updated in place must be contiguous (shape \(t.shape), strides \(t.strides))")
            }
            return AdamParameterViews(parameter: p.view, grad: item.grad.contiguous().view, expAvg: item.expAvg.view,
                                      expAvgSq: item.expAvgSq.view, maxExpAvgSq: item.maxExpAvgSq?.view, step: item.step.view)
        }
        device.backend.adamStep(views, hyper)
    }
}
