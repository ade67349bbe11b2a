/// Instance normalization of `x` [N, C, *], like `torch.nn.functional.instance_norm` without running
/// statistics: each sample's channel is normalized over its own positions (style transfer, GANs),
/// then scaled by `weight` [C] and shifted by `bias` [C]. It is group normalization with one group
/// per channel.
public func instanceNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
    guard x.rank >= 3 else {
        shapeFailure(ShapeError("instanceNorm: expected an input [N, C, positions...], got shape \(x.shape)"))
    }
    return groupNorm(x, numGroups: x.shape[1], weight: weight, bias: bias, eps: eps)
}

/// Instance normalization over [N, C, L] (or unbatched [C, L]), like `torch.nn.InstanceNorm1d`; see
/// `InstanceNorm2d`.
public final class InstanceNorm1d: InstanceNormBase {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false) {
        super.init(numFeatures, spatialDims: 1, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// Instance normalization over [N, C, H, W] (or unbatched [C, H, W]), like `torch.nn.InstanceNorm2d`:
/// statistics per sample and channel. Like PyTorch's default, no affine (`affine: true` adds `weight`
/// and `bias`, one per channel) and no running statistics; with `trackRunningStats` training also keeps
/// running means and variances (averaged over the batch), which evaluation then normalizes with.
public final class InstanceNorm2d: InstanceNormBase {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false) {
        super.init(numFeatures, spatialDims: 2, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// Instance normalization over [N, C, D, H, W] (or unbatched [C, D, H, W]), like `torch.nn.InstanceNorm3d`,
/// with InstanceNorm2d's defaults and options.
public final class InstanceNorm3d: InstanceNormBase {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false) {
        super.init(numFeatures, spatialDims: 3, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// What InstanceNorm1d, 2d and 3d share; they differ only in the rank of their input.
/// (`numBatchesTracked` is kept for PyTorch's state dicts; instance norm, like PyTorch's, never counts batches.)
open class InstanceNormBase: NormBase {
    public let momentum: Float
    let spatialDims: Int

    init(_ numFeatures: Int, spatialDims: Int, eps: Float, momentum: Float, affine: Bool, trackRunningStats: Bool) {
        precondition(numFeatures >= 1, "Ember: InstanceNorm: numFeatures must be positive, got \(numFeatures)")
        self.spatialDims = spatialDims
        self.momentum = momentum
        super.init(numFeatures, eps: eps, affine: affine, trackRunningStats: trackRunningStats)
    }

    open override func forward(_ x: Tensor) -> Tensor {
        let batched = x.rank == spatialDims + 2
        guard batched || x.rank == spatialDims + 1, x.shape[batched ? 1 : 0] == numFeatures else {
            let dims = ["L", "H, W", "D, H, W"][spatialDims - 1]
            shapeFailure(ShapeError("\(typeName): expected an input [N, \(numFeatures), \(dims)] or [\(numFeatures), \(dims)], "
                + "got shape \(x.shape)"))
        }
        let input = batched ? x : x.unsqueeze(0)
        let out: Tensor
        if trackRunningStats && !isTraining {
            out = batchNorm(input, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                            training: false, eps: eps)
        } else {
            out = instanceNorm(input, weight: weight, bias: bias, eps: eps)
            if trackRunningStats { updateRunningStats(input) }
        }
        return batched ? out : out.squeeze(0)
    }

    /// Moves the running statistics toward this batch's per-instance means and unbiased variances,
    /// averaged over the samples (PyTorch's update of its per-instance copies, then their mean).
    private func updateRunningStats(_ x: Tensor) {
        noGrad {
            let positions = Array(2..<x.rank)
            let mean = x.mean(dims: positions).mean(dim: 0)
            let variance = x.variance(dims: positions, unbiased: true).mean(dim: 0)
            runningMean.scaleAdd_(1 - momentum, mean, alpha: momentum)
            runningVar.scaleAdd_(1 - momentum, variance, alpha: momentum)
        }
    }

    open override var extraDescription: String {
        let affine = pythonBool(weight != nil)
        return "\(numFeatures), eps=\(eps), momentum=\(momentum), affine=\(affine), bias=\(affine), "
            + "track_running_stats=\(pythonBool(trackRunningStats))"
    }
}
