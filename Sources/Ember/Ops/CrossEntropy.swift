/// Softmax cross-entropy fused into one kernel each way: the classification loss of every training
/// step, without the half-dozen small ops of logSoftmax + gather + weighting.
extension Tensor {
    /// Per-row cross-entropy of logits [N, C] against int64 class indices [N]; rows whose target is
    /// `ignoreIndex` give 0. The gradient is (softmax − onehot) per row.
    public func crossEntropyPerRow(_ targets: Tensor, ignoreIndex: Int = -100) -> Tensor {
        let rows = crossEntropyRows(targets, ignoreIndex: ignoreIndex, "crossEntropyPerRow")
        return rows.losses.recording("crossEntropy", inputs: [rows.logits], saving: [targets]) { g in
            if Tensor.isRecordingBackward { return Tensor.composedGradients(rows, targets, g, count: nil) }
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
            if Tensor.isRecordingBackward { return Tensor.composedGradients(rows, targets, g, count: count) }
            return [rows.gradient(g, count)]
        }
    }

    /// Under `createGraph`: the logits' gradient, recorded, from the loss recomputed with differentiable
    /// ops (per row, or summed and divided by `count`): −log softmax at the target, 0 for rows whose
    /// target matches no class (`ignoreIndex`).
    private static func composedGradients(_ rows: Rows, _ targets: Tensor, _ g: Tensor, count: Tensor?) -> [Tensor?] {
        rows.logits.checkUnchanged(since: rows.version, by: "crossEntropy")
        return recomputedGradients(of: [rows.logits], outputGradient: g) {
            let classes = Tensor.arange(rows.logits.shape[1], device: g.device).eq(targets.unsqueeze(1))
            let losses = -(rows.logits.logSoftmax(dim: 1) * classes).sum(dim: 1)
            return count.map { losses.sum() / $0 } ?? losses
        }
    }

    /// What the fused forward pass leaves for backward.
    private typealias Rows = (logits: Tensor, version: Int, losses: Tensor, gradient: (Tensor, Tensor?) -> Tensor)

    /// The fused forward pass shared by both: the contiguous logits, per-row losses (not recorded)
    /// and a function for the logits' gradient from the upstream `g` (over each row's loss, or one
    /// value for all), divided by `divisor` when given.
    private func crossEntropyRows(_ targets: Tensor, ignoreIndex: Int, _ name: String) -> Rows {
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
        return (logits, logits.storage.version, Tensor.result(losses, shape: [rows]), gradient)
    }
}
