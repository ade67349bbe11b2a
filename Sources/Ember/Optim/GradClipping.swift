import Foundation

/// Scales the gradients of `parameters` in place so that their joint norm is at most `maxNorm`, like
/// `torch.nn.utils.clip_grad_norm_`, and returns the norm before clipping. `normType` is p
/// (2 by default; `.infinity` for the largest absolute value). Parameters without grad are skipped.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float, normType: Float = 2) -> Float {
    noGrad {
        let grads = parameters.compactMap(\.grad)
        if grads.isEmpty { return 0 }
        let total: Float
        if normType == .infinity {
            total = grads.map { $0.abs().max().item() }.max() ?? 0
        } else {
            let sum = grads.reduce(Double(0)) { acc, g in acc + Double(g.abs().pow(normType).sum().item()) }
            total = Float(Foundation.pow(sum, 1 / Double(normType)))
        }
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 {
            for g in grads { g.mul_(coefficient) }
        }
        return total
    }
}

/// Clamps every gradient of `parameters` in place to [-clipValue, clipValue], like
/// `torch.nn.utils.clip_grad_value_`.
public func clipGradValue(_ parameters: [Tensor], clipValue: Float) {
    noGrad {
        for g in parameters.compactMap(\.grad) { g.clampMin_(-clipValue).clampMax_(clipValue) }
    }
}
