/// Batch normalization over [N, C] or [N, C, L] inputs, like `torch.nn.BatchNorm1d`.
///
/// Training: normalizes with the batch mean and biased variance, and updates the running statistics
/// `running = (1 - momentum)·running + momentum·batch` with the *unbiased* batch variance (PyTorch's
/// rule); with `momentum: nil` it keeps a cumulative average instead. Evaluation: uses the running
/// statistics. State-dict entries: `weight`, `bias` (when affine), buffers `running_mean`,
/// `running_var` and `num_batches_tracked` (int64).
public final class BatchNorm1d: Module {
    public let numFeatures: Int
    public let eps: Float
    public let momentum: Float?
    public let affine: Bool
    public let trackRunningStats: Bool

    public var weight: Tensor?
    public var bias: Tensor?
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVar: Tensor
    @Buffer public var numBatchesTracked: Tensor

    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.trackRunningStats = trackRunningStats
        weight = affine ? Tensor.ones([numFeatures], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([numFeatures], requiresGrad: true) : nil
        runningMean = Tensor.zeros([numFeatures])
        runningVar = Tensor.ones([numFeatures])
        numBatchesTracked = Tensor.zeros([], dtype: .int64)
        super.init()
    }

    /// Buffers exist only when running statistics are tracked.
    public override func directBuffers() -> [(String, Tensor)] {
        trackRunningStats ? super.directBuffers() : []
    }

    public override func forward(_ x: Tensor) -> Tensor {
        guard (x.rank == 2 || x.rank == 3), x.shape[1] == numFeatures else {
            shapeFailure(ShapeError("BatchNorm1d: expected input of shape [N, \(numFeatures)] or [N, \(numFeatures), L], "
                + "got \(x.shape)"))
        }
        let dims = x.rank == 2 ? [0] : [0, 2]
        let statShape = x.rank == 2 ? [1, numFeatures] : [1, numFeatures, 1]
        let useBatchStats = isTraining || !trackRunningStats
        let normalized: Tensor
        if useBatchStats {
            let n = x.count / numFeatures
            precondition(!isTraining || n > 1,
                         "Ember: BatchNorm1d: expected more than 1 value per channel when training, got input of shape \(x.shape)")
            let mean = x.mean(dims: dims, keepdim: true)
            let centered = x - mean
            let variance = (centered * centered).mean(dims: dims, keepdim: true)
            normalized = centered * (variance + eps).rsqrt()
            if isTraining && trackRunningStats {
                noGrad {
                    let tracked = Int(numBatchesTracked.item()) + 1
                    numBatchesTracked.copy_(Tensor([tracked], shape: []))
                    let factor = momentum ?? 1 / Float(tracked)
                    let unbiased = variance.detach().reshape([numFeatures]) * (Float(n) / Float(Swift.max(n - 1, 1)))
                    runningMean.mul_(1 - factor).add_(mean.detach().reshape([numFeatures]) * factor)
                    runningVar.mul_(1 - factor).add_(unbiased * factor)
                }
            }
        } else {
            normalized = (x - runningMean.reshape(statShape)) * (runningVar.reshape(statShape) + eps).rsqrt()
        }
        guard let weight, let bias else { return normalized }
        return normalized * weight.reshape(statShape) + bias.reshape(statShape)
    }

    public override var extraDescription: String {
        let m = momentum.map { "\($0)" } ?? "None"
        return "\(numFeatures), eps=\(eps), momentum=\(m), affine=\(pythonBool(affine)), bias=True, "
            + "track_running_stats=\(pythonBool(trackRunningStats))"
    }
}
