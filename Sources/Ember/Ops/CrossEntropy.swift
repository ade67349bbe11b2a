/// Softmax cross-entropy fused into one kernel each way: the classification loss of every training
/// step, without the half-dozen small ops of logSoftmax + gather + weighting.
extension Tensor {
    /// Per-row cross-entropy of logits [N, C] against int64 class indices [N]; rows whose target is
    /// `ignoreIndex` give 0. The gradient is (softmax − onehot) per row.
    public func crossEntropyPerRow(_ targets: Tensor, ignoreIndex: Int = -100) -> Tensor {
        guard rank == 2, targets.rank == 1, targets.shape[0] == shape[0], targets.dtype == .int64 else {
            shapeFailure(ShapeError("crossEntropyPerRow: expects logits [N, C] and int64 targets [N], "
                + "got logits \(shape) and \(targets.dtype) targets \(targets.shape)"))
        }
        checkSameDevice("crossEntropy", targets)
        let (rows, cols) = (shape[0], shape[1])
        let logits = contiguous()
        let (losses, softmax) = backend.crossEntropy(logits.view, targets: targets.view, rows: rows, cols: cols,
                                                     ignoreIndex: ignoreIndex)
        let probabilities = Tensor.result(softmax, shape: shape)
        return Tensor.result(losses, shape: [rows]).recording("crossEntropy", inputs: [logits], saving: [targets]) { g in
            [Tensor.result(g.backend.crossEntropyBackward(softmax: probabilities.view, targets: targets.view,
                                                          grad: g.contiguous().view, rows: rows, cols: cols,
                                                          ignoreIndex: ignoreIndex), shape: [rows, cols])]
        }
    }
}
