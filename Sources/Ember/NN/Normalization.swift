/// Batch normalization, like `torch.nn.BatchNorm1d` / `BatchNorm2d` and `F.batch_norm`.
///
/// Training: normalizes with the batch mean and biased variance over every dim but the channel dim
/// (1), and updates the running statistics `running = (1 - momentum)·running + momentum·batch` with
/// the *unbiased* batch variance (PyTorch's rule); with `momentum: nil` it keeps a cumulative average
/// instead. Evaluation: uses the running statistics. State-dict entries: `weight`, `bias` (when
/// affine), buffers `running_mean`, `running_var` and `num_batches_tracked` (int64).

/// Batch normalization of `x` [N, C, ...] over every dim but 1, like `torch.nn.functional.batch_norm`.
/// With `training` it uses the batch statistics and, when `runningMean`/`runningVar` are given,
/// updates them in place with `momentum`; otherwise it normalizes with the running statistics.
public func batchNorm(_ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil, bias: Tensor? = nil,
                      training: Bool = false, momentum: Float = 0.1, eps: Float = 1e-5) -> Tensor {
    guard x.rank >= 2 else {
        shapeFailure(ShapeError("batchNorm: expected an input with at least 2 dims [N, C, ...], got shape \(x.shape)"))
    }
    let channels = x.shape[1]
    for (name, t) in [("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias)] {
        if let t, t.shape != [channels] {
            shapeFailure(ShapeError("batchNorm: \(name) of shape \(t.shape) does not match the \(channels) channels "
                + "of input \(x.shape)"))
        }
    }
    let dims = [0] + Array(2..<x.rank)
    let normalized: Tensor
    if training {
        let n = x.count / Swift.max(channels, 1)
        guard n > 1 else {
            shapeFailure(ShapeError("batchNorm: expected more than 1 value per channel when training, got input of shape \(x.shape)"))
        }
        let mean = x.mean(dims: dims, keepdim: true)
        let centered = x - mean
        let variance = (centered * centered).mean(dims: dims, keepdim: true)
        normalized = centered * (variance + eps).rsqrt()
        noGrad {
            if let runningMean { runningMean.mul_(1 - momentum).add_(mean.detach().reshape([channels]) * momentum) }
            if let runningVar {
                let unbiased = variance.detach().reshape([channels]) * (Float(n) / Float(n - 1))
                runningVar.mul_(1 - momentum).add_(unbiased * momentum)
            }
        }
    } else {
        guard let runningMean, let runningVar else {
            fatalError("Ember: batchNorm: evaluation (training: false) needs runningMean and runningVar")
        }
        normalized = (x - runningMean.alongChannels(ofRank: x.rank)) * (runningVar.alongChannels(ofRank: x.rank) + eps).rsqrt()
    }
    return perChannelAffine(normalized, weight: weight, bias: bias)
}

/// The affine step batch and group normalization share: `normalized` [N, C, ...] times `weight` [C]
/// plus `bias` [C], each broadcast along dim 1.
func perChannelAffine(_ normalized: Tensor, weight: Tensor?, bias: Tensor?) -> Tensor {
    var out = normalized
    if let weight { out = out * weight.alongChannels(ofRank: normalized.rank) }
    if let bias { out = out + bias.alongChannels(ofRank: normalized.rank) }
    return out
}

/// What batch and instance normalization share (PyTorch's `_NormBase`): the per-channel `weight` and
/// `bias` (with `affine`) and the running statistics, buffers only when `trackRunningStats`.
open class NormBase: Module {
    public let numFeatures: Int
    public let eps: Float
    public let affine: Bool
    public let trackRunningStats: Bool

    public var weight: Tensor?
    public var bias: Tensor?
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVar: Tensor
    @Buffer public var numBatchesTracked: Tensor

    init(_ numFeatures: Int, eps: Float, affine: Bool, trackRunningStats: Bool) {
        self.numFeatures = numFeatures
        self.eps = eps
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
    open override func directBuffers() -> [(String, Tensor)] {
        trackRunningStats ? super.directBuffers() : []
    }
}

/// What BatchNorm1d and BatchNorm2d share (PyTorch's `_BatchNorm`): the running-statistics
/// bookkeeping and the description. Subclasses name the input ranks they accept.
open class BatchNormBase: NormBase {
    /// nil: a cumulative average over the batches seen (`updateBN` sets it for its pass).
    public var momentum: Float?

    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        self.momentum = momentum
        super.init(numFeatures, eps: eps, affine: affine, trackRunningStats: trackRunningStats)
    }

    /// The input ranks this layer accepts and how to spell them in errors ("[N, C] or [N, C, L]").
    open var acceptedRanks: (ranks: [Int], spelling: String) { ([], "") }

    /// Zeroes the running statistics (mean 0, variance 1, no batches tracked).
    public func resetRunningStats() {
        noGrad {
            runningMean.zero_()
            runningVar.fill_(1)
            numBatchesTracked.copy_(Tensor.zeros([], dtype: .int64))
        }
    }

    open override func forward(_ x: Tensor) -> Tensor {
        let (ranks, spelling) = acceptedRanks
        guard ranks.contains(x.rank), x.shape[1] == numFeatures else {
            shapeFailure(ShapeError("\(typeName): expected input of shape \(spelling.replacingOccurrences(of: "C", with: "\(numFeatures)")), "
                + "got \(x.shape)"))
        }
        var factor: Float = 0
        if isTraining && trackRunningStats {
            let tracked = noGrad { () -> Int in
                let tracked = Int(numBatchesTracked.item()) + 1
                numBatchesTracked.copy_(Tensor([tracked], shape: []))
                return tracked
            }
            factor = momentum ?? 1 / Float(tracked)
        }
        // Tracked statistics are updated in training and used in evaluation; untracked ones are never used.
        return batchNorm(x, runningMean: trackRunningStats ? runningMean : nil,
                         runningVar: trackRunningStats ? runningVar : nil, weight: weight, bias: bias, training: isTraining || !trackRunningStats, momentum: factor, eps: eps)
    }

    open override var extraDescription: String {
        let m = momentum.map { "\($0)" } ?? "None"
        return "\(numFeatures), eps=\(eps), momentum=\(m), affine=\(pythonBool(affine)), bias=\(pythonBool(affine)), "
            + "track_running_stats=\(pythonBool(trackRunningStats))"
    }
}

/// Batch normalization over [N, C] or [N, C, L] inputs, like `torch.nn.BatchNorm1d`.
public final class BatchNorm1d: BatchNormBase {
    public override var acceptedRanks: (ranks: [Int], spelling: String) { ([2, 3], "[N, C] or [N, C, L]") }
}

/// Batch normalization over [N, C, H, W] inputs (statistics per channel over N, H and W), like
/// `torch.nn.BatchNorm2d`.
public final class BatchNorm2d: BatchNormBase {
    public override var acceptedRanks: (ranks: [Int], spelling: String) { ([4], "[N, C, H, W]") }
}

/// Batch normalization over [N, C, D, H, W] inputs (statistics per channel over N, D, H and W), like
/// `torch.nn.BatchNorm3d`: for videos and volumes.
public final class BatchNorm3d: BatchNormBase {
    public override var acceptedRanks: (ranks: [Int], spelling: String) { ([5], "[N, C, D, H, W]") }
}
