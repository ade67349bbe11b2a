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
