/// Batch and instance normalization that read their number of features from the first input, like
/// `torch.nn.LazyBatchNorm1d/2d/3d` and `LazyInstanceNorm1d/2d/3d`; see `LazyLayer`. As in PyTorch,
/// the lazy instance norms default to `affine` and `trackRunningStats` on (the ordinary ones to off).

/// The features a norm's saved weight, bias or running statistics imply.
private func savedNormFeatures(_ state: [String: Tensor], _ prefix: String) -> Int? {
    for name in ["weight", "bias", "running_mean", "running_var"] {
        if let saved = state[prefix + name], saved.rank == 1, saved.shape[0] > 0 { return saved.shape[0] }
    }
    return nil
}

private func normKeys(affine: Bool, trackRunningStats: Bool) -> [String] {
    (affine ? ["weight", "bias"] : []) + (trackRunningStats ? ["running_mean", "running_var", "num_batches_tracked"] : [])
}

private func normDescription(eps: Float, momentum: Float?, affine: Bool, trackRunningStats: Bool) -> String {
    "0, eps=\(eps), momentum=\(momentum.map { "\($0)" } ?? "None"), affine=\(pythonBool(affine)), bias=\(pythonBool(affine)), "
        + "track_running_stats=\(pythonBool(trackRunningStats))"
}

/// The lazy batch norms differ only in their layer class.
public class LazyBatchNorm<Norm: BatchNormBase>: LazyLayer<Norm> {
    init(eps: Float, momentum: Float?, affine: Bool, trackRunningStats: Bool, make: @escaping (Int) -> Norm) {
        super.init(inputSize: .dim1, savedInputSize: savedNormFeatures,
                   stateKeys: normKeys(affine: affine, trackRunningStats: trackRunningStats),
                   pendingDescription: normDescription(eps: eps, momentum: momentum, affine: affine,
                                                       trackRunningStats: trackRunningStats), make: make)
    }
}

public final class LazyBatchNorm1d: LazyBatchNorm<BatchNorm1d> {
    public init(eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats) {
            BatchNorm1d($0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        }
    }
}

public final class LazyBatchNorm2d: LazyBatchNorm<BatchNorm2d> {
    public init(eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats) {
            BatchNorm2d($0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        }
    }
}

public final class LazyBatchNorm3d: LazyBatchNorm<BatchNorm3d> {
    public init(eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats) {
            BatchNorm3d($0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        }
    }
}

/// The lazy instance norms differ in their layer class and input rank.
public class LazyInstanceNorm<Norm: InstanceNormBase>: LazyLayer<Norm> {
    init(spatialDims: Int, eps: Float, momentum: Float, affine: Bool, trackRunningStats: Bool,
         make: @escaping (Int) -> Norm) {
        super.init(inputSize: .channels(spatialDims: spatialDims), savedInputSize: savedNormFeatures,
                   stateKeys: normKeys(affine: affine, trackRunningStats: trackRunningStats),
                   pendingDescription: normDescription(eps: eps, momentum: momentum, affine: affine,
                                                       trackRunningStats: trackRunningStats), make: make)
    }
}

public final class LazyInstanceNorm1d: LazyInstanceNorm<InstanceNorm1d> {
    public init(eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(spatialDims: 1, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats) {
            InstanceNorm1d($0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        }
    }
}

public final class LazyInstanceNorm2d: LazyInstanceNorm<InstanceNorm2d> {
    public init(eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(spatialDims: 2, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats) {
            InstanceNorm2d($0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        }
    }
}

public final class LazyInstanceNorm3d: LazyInstanceNorm<InstanceNorm3d> {
    public init(eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        super.init(spatialDims: 3, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats) {
            InstanceNorm3d($0, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
        }
    }
}
