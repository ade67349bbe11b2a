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
/// statistics per sample and channel, the same in training and evaluation. Like PyTorch's default,
/// no affine (`affine: true` adds `weight` and `bias`, one per channel) and no running statistics.
public final class InstanceNorm2d: InstanceNormBase {
    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = false,
                trackRunningStats: Bool = false) {
        super.init(numFeatures, spatialDims: 2, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// What InstanceNorm1d and InstanceNorm2d share; they differ only in the rank of their input.
open class InstanceNormBase: Module {
    public let numFeatures: Int
    public let eps: Float
    public let momentum: Float
    public var weight: Tensor?
    public var bias: Tensor?
    let spatialDims: Int

    init(_ numFeatures: Int, spatialDims: Int, eps: Float, momentum: Float, affine: Bool, trackRunningStats: Bool) {
        precondition(numFeatures >= 1, "Ember: InstanceNorm: numFeatures must be positive, got \(numFeatures)")
        precondition(!trackRunningStats, "Ember: InstanceNorm: trackRunningStats is not supported; instance statistics "
            + "are used in training and evaluation alike (PyTorch's default)")
        self.numFeatures = numFeatures
        self.spatialDims = spatialDims
        self.eps = eps
        self.momentum = momentum
        weight = affine ? Tensor.ones([numFeatures], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([numFeatures], requiresGrad: true) : nil
        super.init()
    }

    open override func forward(_ x: Tensor) -> Tensor {
        let batched = x.rank == spatialDims + 2
        guard batched || x.rank == spatialDims + 1, x.shape[batched ? 1 : 0] == numFeatures else {
            let dims = spatialDims == 1 ? "L" : "H, W"
            shapeFailure(ShapeError("\(typeName): expected an input [N, \(numFeatures), \(dims)] or [\(numFeatures), \(dims)], "
                + "got shape \(x.shape)"))
        }
        let out = instanceNorm(batched ? x : x.unsqueeze(0), weight: weight, bias: bias, eps: eps)
        return batched ? out : out.squeeze(0)
    }

    open override var extraDescription: String {
        let affine = pythonBool(weight != nil)
        return "\(numFeatures), eps=\(eps), momentum=\(momentum), affine=\(affine), bias=\(affine), track_running_stats=False"
    }
}
