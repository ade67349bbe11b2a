/// Σ|p| over all parameters: add `lambda * l1Penalty(model.parameters())` to a loss for L1 regularization.
public func l1Penalty(_ parameters: [Tensor]) -> Tensor {
    parameters.map { $0.abs().sum() }.reduce(Tensor.zeros([], device: parameters.first?.device ?? .cpu)) { $0 + $1 }
}

/// Σp² over all parameters: add `lambda * l2Penalty(model.parameters())` to a loss for L2 regularization
/// (the optimizers' `weightDecay: w` is the same as adding `w/2 · l2Penalty`).
public func l2Penalty(_ parameters: [Tensor]) -> Tensor {
    parameters.map { ($0 * $0).sum() }.reduce(Tensor.zeros([], device: parameters.first?.device ?? .cpu)) { $0 + $1 }
}
