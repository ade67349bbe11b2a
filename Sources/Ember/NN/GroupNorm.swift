/// Group normalization of `x` [N, C, *], like `torch.nn.functional.group_norm`: the C channels are
/// split into `numGroups` groups, each sample's group is normalized over its channels and positions
/// together, then scaled by `weight` [C] and shifted by `bias` [C] per channel.
///
/// A group of a sample is one row of x viewed as [N · groups, C/groups · positions], so the
/// normalization is the fused LayerNorm kernel on those rows; the per-channel affine follows.
public func groupNorm(_ x: Tensor, numGroups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
    guard x.rank >= 2, numGroups >= 1, x.shape[1] % numGroups == 0 else {
        shapeFailure(ShapeError("groupNorm: expected an input [N, C, ...] whose \(x.rank >= 2 ? "\(x.shape[1]) " : "")channels "
            + "split into \(numGroups) groups, got shape \(x.shape)"))
    }
    let channels = x.shape[1]
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t, t.shape != [channels] {
            shapeFailure(ShapeError("groupNorm: \(name) of shape \(t.shape) does not match the \(channels) channels of input \(x.shape)"))
        }
    }
    let rows = x.shape[0] * numGroups, cols = x.count / Swift.max(rows, 1)
    let normalized = layerNorm(x.reshape([rows, cols]), normalizedShape: [cols], eps: eps).reshape(x.shape)
    return perChannelAffine(normalized, weight: weight, bias: bias)
}

/// Group normalization, like `torch.nn.GroupNorm`: statistics over groups of channels of each
/// sample, so they do not depend on the batch (the same in training and evaluation, and fine with a
/// batch of one). With `numGroups` = 1 it normalizes whole samples; with one group per channel it is
/// instance normalization. Learned `weight` (ones) and `bias` (zeros), one per channel, when `affine`.
/// State-dict entries: `weight`, `bias`.
open class GroupNorm: Module {
    public let numGroups: Int
    public let numChannels: Int
    public let eps: Float
    public var weight: Tensor?
    public var bias: Tensor?

    public init(numGroups: Int, numChannels: Int, eps: Float = 1e-5, affine: Bool = true) {
        precondition(numGroups >= 1 && numChannels >= 1 && numChannels % numGroups == 0,
                     "Ember: GroupNorm: numChannels (\(numChannels)) must be divisible by numGroups (\(numGroups))")
        self.numGroups = numGroups
        self.numChannels = numChannels
        self.eps = eps
        weight = affine ? Tensor.ones([numChannels], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([numChannels], requiresGrad: true) : nil
        super.init()
    }

    /// `GroupNorm(4, 32)`, in PyTorch's argument order.
    public convenience init(_ numGroups: Int, _ numChannels: Int, eps: Float = 1e-5, affine: Bool = true) {
        self.init(numGroups: numGroups, numChannels: numChannels, eps: eps, affine: affine)
    }

    open override func forward(_ x: Tensor) -> Tensor {
        guard x.rank >= 2, x.shape[1] == numChannels else {
            shapeFailure(ShapeError("GroupNorm: expected an input [N, \(numChannels), ...], got shape \(x.shape)"))
        }
        return groupNorm(x, numGroups: numGroups, weight: weight, bias: bias, eps: eps)
    }

    open override var extraDescription: String {
        "\(numGroups), \(numChannels), eps=\(eps), affine=\(pythonBool(weight != nil)), bias=\(pythonBool(bias != nil))"
    }
}
