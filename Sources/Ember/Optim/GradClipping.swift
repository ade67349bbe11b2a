/// The joint `normType`-norm of `tensors` (the norm of their norms), like
/// `torch.nn.utils.get_total_norm`: a scalar tensor on their device (read with `item()`), computed
/// without waiting for the device. `.infinity` gives the largest absolute value. No tensors give 0.
public func getTotalNorm(_ tensors: [Tensor], normType: Float = 2) -> Tensor {
    noGrad {
        guard let first = tensors.first else { return Tensor.zeros([]) }
        let norms = tensors.map { Linalg.vectorNorm($0, ord: normType) }
        return Linalg.vectorNorm(Tensor.stack(norms.map { $0.to(first.device) }), ord: normType)
    }
}

/// Scales the gradients of `parameters` in place by maxNorm / (totalNorm + 1e-6) where that is below 1,
/// like `torch.nn.utils.clip_grads_with_norm_`: with `getTotalNorm`, the two halves of `clipGradNorm`
/// (say, to sum the norm over several models first). The scale stays on the device, so a CUDA graph
/// can capture it.
public func clipGradsWithNorm(_ parameters: [Tensor], maxNorm: Float, totalNorm: Tensor) {
    noGrad {
        let grads = parameters.compactMap(\.grad)
        guard !grads.isEmpty else { return }
        let coefficient = (Tensor.full([], maxNorm, device: totalNorm.device) / (totalNorm + 1e-6)).clamp(max: 1)
        for g in grads { g.mul_(coefficient.to(g.device)) }
    }
}

/// Scales the gradients of `parameters` in place so that their joint norm is at most `maxNorm`, like
/// `torch.nn.utils.clip_grad_norm_`, and returns the norm before clipping (a scalar tensor: `item()`
/// reads it). `normType` is p (2 by default; `.infinity` for the largest absolute value).
/// Parameters without grad are skipped. A NaN or ∞ among the gradients carries into them, as in
/// PyTorch; `total.isFinite().item() == 0` tells (PyTorch's `error_if_nonfinite`).
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float, normType: Float = 2) -> Tensor {
    let total = getTotalNorm(parameters.compactMap(\.grad), normType: normType)
    clipGradsWithNorm(parameters, maxNorm: maxNorm, totalNorm: total)
    return total
}

/// Clamps every gradient of `parameters` in place to [-clipValue, clipValue], like
/// `torch.nn.utils.clip_grad_value_`.
public func clipGradValue(_ parameters: [Tensor], clipValue: Float) {
    noGrad {
        for g in parameters.compactMap(\.grad) { g.clampMin_(-clipValue).clampMax_(clipValue) }
    }
}
