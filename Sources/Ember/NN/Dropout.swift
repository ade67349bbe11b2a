/// Dropout in its PyTorch forms: element dropout, channel ("feature") dropout in 1-D, 2-D and 3-D, and
/// the alpha dropout that keeps SELU networks self-normalizing; each as a function and as a layer.

/// Inverted dropout: zeroes elements with probability `p` and scales the rest by 1/(1-p) when
/// `training`, the identity otherwise.
public func dropout(_ x: Tensor, p: Float = 0.5, training: Bool = true, generator: RandomGenerator = .global) -> Tensor {
    checkProbability(p, "dropout")
    guard training && p > 0 else { return x }
    if p == 1 { return x * 0 }
    return x * Tensor.dropoutMask(x.shape, p: p, generator: generator, device: x.device)
}

/// Channel dropout of an [N, C, L] (or unbatched [C, L]) input, like `F.dropout1d`: when `training`,
/// zeroes each whole channel with probability `p` and scales the others by 1/(1-p).
public func dropout1d(_ x: Tensor, p: Float = 0.5, training: Bool = true, generator: RandomGenerator = .global) -> Tensor {
    channelDropout(x, p: p, training: training, spatialDims: 1, name: "dropout1d", generator: generator)
}

/// Channel dropout of an [N, C, H, W] (or unbatched [C, H, W]) input, like `F.dropout2d`: when
/// `training`, zeroes each whole channel with probability `p` and scales the others by 1/(1-p).
public func dropout2d(_ x: Tensor, p: Float = 0.5, training: Bool = true, generator: RandomGenerator = .global) -> Tensor {
    channelDropout(x, p: p, training: training, spatialDims: 2, name: "dropout2d", generator: generator)
}

/// Channel dropout of an [N, C, D, H, W] (or unbatched [C, D, H, W]) input, like `F.dropout3d`.
public func dropout3d(_ x: Tensor, p: Float = 0.5, training: Bool = true, generator: RandomGenerator = .global) -> Tensor {
    channelDropout(x, p: p, training: training, spatialDims: 3, name: "dropout3d", generator: generator)
}

/// Alpha dropout, like `F.alpha_dropout`: when `training`, each element is dropped with probability
/// `p` to SELU's negative saturation value and the result is shifted and scaled so that inputs of
/// mean 0 and variance 1 keep them (dropped elements become α·a·(p − 1), kept ones a·x + α·a·p with
/// a = 1/√((α²p + 1)(1 − p))). Pair it with `SELU`. As in PyTorch, the function is the identity
/// unless `training` is set (the layer sets it in training mode).
public func alphaDropout(_ x: Tensor, p: Float = 0.5, training: Bool = false, generator: RandomGenerator = .global) -> Tensor {
    checkProbability(p, "alphaDropout")
    guard training && p > 0 else { return x }
    if p == 1 { return x * 0 }
    return affineDropout(x, p: p, maskShape: x.shape, generator: generator)
}

/// Alpha dropout of whole channels, like `F.feature_alpha_dropout`: one draw per (sample, channel) of
/// an [N, C, ...] input (a [N, C] input's elements are its channels). The identity unless `training`.
public func featureAlphaDropout(_ x: Tensor, p: Float = 0.5, training: Bool = false,
                                generator: RandomGenerator = .global) -> Tensor {
    checkProbability(p, "featureAlphaDropout")
    guard training && p > 0 else { return x }
    if p == 1 { return x * 0 }
    guard x.rank >= 2 else {
        shapeFailure(ShapeError("featureAlphaDropout: expected an input [N, C, ...] of at least 2 dims, got shape \(x.shape)"))
    }
    return affineDropout(x, p: p, maskShape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2),
                         generator: generator)
}

private func checkProbability(_ p: Float, _ name: String) {
    precondition(p >= 0 && p <= 1, "Ember: \(name): probability has to be between 0 and 1, but got \(p)")
}

/// Dropout with one draw per channel, broadcast over the `spatialDims` trailing dims.
private func channelDropout(_ x: Tensor, p: Float, training: Bool, spatialDims: Int, name: String,
                            generator: RandomGenerator) -> Tensor {
    checkProbability(p, name)
    guard x.rank == spatialDims + 1 || x.rank == spatialDims + 2 else {
        let letters = ["L", "H, W", "D, H, W"][spatialDims - 1]
        shapeFailure(ShapeError("\(name): expected a \(spatialDims + 1)-D [C, \(letters)] or \(spatialDims + 2)-D "
            + "[N, C, \(letters)] input, got shape \(x.shape)"))
    }
    guard training && p > 0 else { return x }
    if p == 1 { return x * 0 }
    let maskShape = Array(x.shape.dropLast(spatialDims)) + Array(repeating: 1, count: spatialDims)
    return x * Tensor.dropoutMask(maskShape, p: p, generator: generator, device: x.device)
}

/// x·noise + b with PyTorch's arithmetic: noise = keep·a, b = (keep − 1)·α·a + α·a·p.
private func affineDropout(_ x: Tensor, p: Float, maskShape: [Int], generator: RandomGenerator) -> Tensor {
    let alpha = 1.7580993408473766   // SELU's α·λ: the value SELU saturates to is −α·λ
    let pd = decimalDouble(p)
    let a = 1 / ((alpha * alpha * pd + 1) * (1 - pd)).squareRoot()
    let keep = Tensor.rand(maskShape, generator: generator, device: x.device).ge(p)
    let shift = (keep - 1) * Float(alpha * a) + Float(alpha * a * pd)
    return x * (keep * Float(a)) + shift
}

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

/// Channel dropout, like `torch.nn.Dropout1d`: in training each whole channel of an [N, C, L] (or
/// unbatched [C, L]) input is zeroed with probability `p`, the others scaled by 1/(1-p).
public final class Dropout1d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor {
        dropout1d(x, p: p, training: isTraining, generator: generator)
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

/// Channel dropout, like `torch.nn.Dropout3d`, for [N, C, D, H, W] (or unbatched [C, D, H, W]) inputs.
public final class Dropout3d: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor {
        dropout3d(x, p: p, training: isTraining, generator: generator)
    }
}

/// Alpha dropout, like `torch.nn.AlphaDropout`: dropout that keeps a SELU network's activations at
/// mean 0 and variance 1 (see `alphaDropout`); evaluation is the identity.
public final class AlphaDropout: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor {
        alphaDropout(x, p: p, training: isTraining, generator: generator)
    }
}

/// Alpha dropout of whole channels, like `torch.nn.FeatureAlphaDropout` (see `featureAlphaDropout`).
public final class FeatureAlphaDropout: DropoutBase {
    public override func forward(_ x: Tensor) -> Tensor {
        featureAlphaDropout(x, p: p, training: isTraining, generator: generator)
    }
}
