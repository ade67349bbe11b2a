/// What the dropout layers share: the probability `p`, the generator of their masks (the seeded
/// global generator unless set) and PyTorch's description.
public class DropoutBase: Module {
    public let p: Float
    public var generator: RandomGenerator = .global

    public init(_ p: Float = 0.5) {
        precondition(p >= 0 && p <= 1,
                     "Ember: \(Self.self): probability has to be between 0 and 1, but got \(p)")
        self.p = p
        super.init()
    }

    public convenience init(p: Float) { self.init(p) }

    public override var extraDescription: String { "p=\(p), inplace=False" }
}

/// Inverted dropout, like `torch.nn.Dropout`: in training each element is zeroed with probability `p`
/// and the survivors are scaled by 1/(1-p), so evaluation (`eval()`) is the identity.
public final class Dropout: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor {
        dropout(x, p: p, training: isTraining, generator: generator)
    }
}

/// Channel dropout, like `torch.nn.Dropout2d`: in training each whole channel of an [N, C, H, W]
/// (or unbatched [C, H, W]) input is zeroed with probability `p` and the surviving channels are
/// scaled by 1/(1-p); evaluation is the identity.
public final class Dropout2d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor {
        dropout2d(x, p: p, training: isTraining, generator: generator)
    }
}
