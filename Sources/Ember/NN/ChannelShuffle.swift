/// Interleaves the channels of `groups` groups, like `torch.nn.functional.channel_shuffle` (ShuffleNet):
/// the channels of an [N, C, *] input, seen as [groups, C / groups], are read out column by column,
/// so that the next grouped convolution mixes information across groups.
public func channelShuffle(_ x: Tensor, groups: Int) -> Tensor {
    precondition(groups > 0, "Ember: channelShuffle: groups must be positive, got \(groups)")
    guard x.rank >= 3 else {
        shapeFailure(ShapeError("channelShuffle: expects an input [N, C, *] of at least 3 dims, got shape \(x.shape)"))
    }
    guard x.shape[1] % groups == 0 else {
        shapeFailure(ShapeError("channelShuffle: the \(x.shape[1]) channels of input \(x.shape) do not divide into "
            + "\(groups) groups"))
    }
    let (n, channels) = (x.shape[0], x.shape[1])
    let rest = Array(x.shape.dropFirst(2))
    return x.reshape([n, groups, channels / groups] + rest).transpose(1, 2).reshape(x.shape)
}

/// `channelShuffle` as a layer, like `torch.nn.ChannelShuffle`.
public final class ChannelShuffle: Module {
    public let groups: Int
    public init(_ groups: Int) {
        precondition(groups > 0, "Ember: ChannelShuffle: groups must be positive, got \(groups)")
        self.groups = groups
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { channelShuffle(x, groups: groups) }
    public override var extraDescription: String { "groups=\(groups)" }
}
