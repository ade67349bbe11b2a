/// Softmax cross-entropy fused into one kernel each way: the classification loss of every training
/// step, without the half-dozen small ops of logSoftmax + gather + weighting.
extension Tensor {
    /// Per-row cross-entropy of logits [N, C] against int64 class indices [N]; rows whose target is
    /// `ignoreIndex` give 0. The gradient is (softmax − onehot) per row.
    public func crossEntropyPerRow(_ targets: Tensor, ignoreIndex: Int = -100) -> Tensor {
        let rows = crossEntropyRows(targets, ignoreIndex: ignoreIndex, "crossEntropyPerRow")
        return rows.losses.recording("crossEntropy", inputs: [rows.logits], saving: [targets]) { g in
            if Tensor.isRecordingBackward {
                return Tensor.recomputedGradients(of: [rows.logits], outputGradient: g) {
                    rows.logits.composedCrossEntropy(targets)
                }
            }
            return [rows.gradient(g, nil)]
        }
    }

    /// The mean cross-entropy of logits [N, C] over the rows whose int64 target is not `ignoreIndex`
    /// (`reduction: .mean`): two kernels forward and one backward, with the count of kept rows left
    /// on the device, so a GPU step never waits for the host (and can be captured in a CUDA graph).
    public func crossEntropyMean(_ targets: Tensor, ignoreIndex: Int = -100) -> Tensor {
        let rows = crossEntropyRows(targets, ignoreIndex: ignoreIndex, "crossEntropyMean")
        let (mean, kept) = backend.crossEntropyMean(rows.losses.view, targets: targets.view, rows: shape[0],
                                                    ignoreIndex: ignoreIndex)
        let count = Tensor.result(kept, shape: [])
        return Tensor.result(mean, shape: []).recording("crossEntropy", inputs: [rows.logits], saving: [targets]) { g in
            if Tensor.isRecordingBackward {
                return Tensor.recomputedGradients(of: [rows.logits], outputGradient: g) {
                    rows.logits.composedCrossEntropy(targets).sum() / count
                }
            }
            return [rows.gradient(g, count)]
        }
    }

    /// Per-row cross-entropy from differentiable ops (for second derivatives): −log softmax at the
    /// target, 0 for rows whose target matches no class (`ignoreIndex`).
    fileprivate func composedCrossEntropy(_ targets: Tensor) -> Tensor {
        let classes = Tensor.arange(shape[1], device: device).eq(targets.unsqueeze(1))
        return -(logSoftmax(dim: 1) * classes).sum(dim: 1)
    }

    /// The fused forward pass shared by both: the contiguous logits, per-row losses (not recorded)
    /// and a function for the logits' gradient from the upstream `g` (over each row's loss, or one
    /// value for all), divided by `divisor` when given.
    private func crossEntropyRows(_ targets: Tensor, ignoreIndex: Int, _ name: String)
        -> (logits: Tensor, losses: Tensor, gradient: (Tensor, Tensor?) -> Tensor) {
        guard rank == 2, targets.rank == 1, targets.shape[0] == shape[0], targets.dtype == .int64 else {
            shapeFailure(ShapeError("\(name): expects logits [N, C] and int64 targets [N], "
                + "got logits \(shape) and \(targets.dtype) targets \(targets.shape)"))
        }
        checkSameDevice("crossEntropy", targets)
        let (rows, cols) = (shape[0], shape[1])
        let logits = contiguous()
        let (losses, softmax) = backend.crossEntropy(logits.view, targets: targets.view, rows: rows, cols: cols,
                                                     ignoreIndex: ignoreIndex)
        let probabilities = Tensor.result(softmax, shape: shape)
        let gradient = { (g: Tensor, divisor: Tensor?) -> Tensor in
            Tensor.result(g.backend.crossEntropyBackward(softmax: probabilities.view, targets: targets.view,
                                                         grad: g.contiguous().view, divisor: divisor?.view, rows: rows,
                                                         cols: cols, ignoreIndex: ignoreIndex), shape: [rows, cols])
        }
        return (logits, Tensor.result(losses, shape: [rows]), gradient)
    }
}
