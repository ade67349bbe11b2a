/// Inverted dropout, like `torch.nn.Dropout`: in training each element is zeroed with probability `p`
/// and the survivors are scaled by 1/(1-p), so evaluation (`eval()`) is the identity. The mask comes
/// from `generator` (the seeded global generator unless set).
public final class Dropout: Module {
    public let p: Float
    public var generator: RandomGenerator = .global

    public init(_ p: Float = 0.5) {
        precondition(p >= 0 && p <= 1, "Ember: Dropout: probability has to be between 0 and 1, but got \(p)")
        self.p = p
        super.init()
    }

    public convenience init(p: Float) { self.init(p) }

    public override func forward(_ x: Tensor) -> Tensor {
        dropout(x, p: p, training: isTraining, generator: generator)
    }

    public override var extraDescription: String { "p=\(p), inplace=False" }
}

/// Channel dropout, like `torch.nn.Dropout2d`: in training each whole channel of an [N, C, H, W]
/// (or unbatched [C, H, W]) input is zeroed with probability `p` and the surviving channels are
/// scaled by 1/(1-p); evaluation is the identity.
public final class Dropout2d: Module {
    public let p: Float
    public var generator: RandomGenerator = .global

    public init(_ p: Float = 0.5) {
        precondition(p >= 0 && p <= 1, "Ember: Dropout2d: probability has to be between 0 and 1, but got \(p)")
        self.p = p
        super.init()
    }

    public convenience init(p: Float) { self.init(p) }

    public override func forward(_ x: Tensor) -> Tensor {
        dropout2d(x, p: p, training: isTraining, generator: generator)
    }

    public override var extraDescription: String { "p=\(p), inplace=False" }
}
