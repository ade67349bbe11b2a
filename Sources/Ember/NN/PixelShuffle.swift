/// Moves channels into space: [*, C·r², H, W] → [*, C, H·r, W·r], like
/// `torch.nn.functional.pixel_shuffle` (sub-pixel convolution upsampling, as in ESPCN).
public func pixelShuffle(_ x: Tensor, upscaleFactor r: Int) -> Tensor {
    guard r >= 1, x.rank >= 3, x.shape[x.rank - 3] % (r * r) == 0 else {
        shapeFailure(ShapeError("pixelShuffle: needs an input [*, C·r², H, W] whose channels divide by r² = \(r * r) "
            + "(upscale factor \(r)), got shape \(x.shape)"))
    }
    let lead = Array(x.shape.dropLast(3)), l = lead.count
    let (c, h, w) = (x.shape[l] / (r * r), x.shape[l + 1], x.shape[l + 2])
    return x.reshape(lead + [c, r, r, h, w]).permute(Array(0..<l) + [l, l + 3, l + 1, l + 4, l + 2])
        .reshape(lead + [c, h * r, w * r])
}

/// Moves space into channels: [*, C, H·r, W·r] → [*, C·r², H, W], the inverse of `pixelShuffle`,
/// like `torch.nn.functional.pixel_unshuffle`.
public func pixelUnshuffle(_ x: Tensor, downscaleFactor r: Int) -> Tensor {
    guard r >= 1, x.rank >= 3, x.shape[x.rank - 2] % r == 0, x.shape[x.rank - 1] % r == 0 else {
        shapeFailure(ShapeError("pixelUnshuffle: needs an input [*, C, H, W] whose height and width divide by the "
            + "downscale factor \(r), got shape \(x.shape)"))
    }
    let lead = Array(x.shape.dropLast(3)), l = lead.count
    let (c, h, w) = (x.shape[l], x.shape[l + 1] / r, x.shape[l + 2] / r)
    return x.reshape(lead + [c, h, r, w, r]).permute(Array(0..<l) + [l, l + 2, l + 4, l + 1, l + 3])
        .reshape(lead + [c * r * r, h, w])
}

/// `pixelShuffle` as a layer, like `torch.nn.PixelShuffle`.
public final class PixelShuffle: Module {
    public let upscaleFactor: Int
    public init(_ upscaleFactor: Int) {
        self.upscaleFactor = upscaleFactor
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { pixelShuffle(x, upscaleFactor: upscaleFactor) }
    public override var extraDescription: String { "upscale_factor=\(upscaleFactor)" }
}

/// `pixelUnshuffle` as a layer, like `torch.nn.PixelUnshuffle`.
public final class PixelUnshuffle: Module {
    public let downscaleFactor: Int
    public init(_ downscaleFactor: Int) {
        self.downscaleFactor = downscaleFactor
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { pixelUnshuffle(x, downscaleFactor: downscaleFactor) }
    public override var extraDescription: String { "downscale_factor=\(downscaleFactor)" }
}
