import Foundation

// Transforms that change an image's size, like torchvision's Resize, CenterCrop and RandomResizedCrop
// applied to tensors. They take [H, W], [C, H, W] or [N, C, H, W] float tensors.

/// The input as [1, planes, H, W] for `interpolate`, and the leading dims to restore after.
private func asImageBatch(_ input: Tensor, _ name: String) -> (batch: Tensor, leading: [Int]) {
    guard input.rank >= 2 && input.rank <= 4 else {
        shapeFailure(ShapeError("\(name): expects an image [H, W], [C, H, W] or [N, C, H, W], got shape \(input.shape)"))
    }
    let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
    return (input.reshape([1, input.count / Swift.max(h * w, 1), h, w]), Array(input.shape.dropLast(2)))
}

/// `height × width` pixels of `input` from (top, left); parts outside the image are zeros, as in
/// torchvision's crop.
func cropImage(_ input: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
    let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
    if top >= 0 && left >= 0 && top + height <= h && left + width <= w {
        return input.narrow(-2, start: top, length: height).narrow(-1, start: left, length: width).contiguous()
    }
    // Pad (or trim) each side so that the window becomes the whole image.
    return pad(input, [-left, left + width - w, -top, top + height - h])
}

/// Resizes an image with bilinear interpolation, antialiased by default, like `transforms.Resize` on a
/// tensor. `Resize(256)` scales the shorter side to 256 and keeps the aspect ratio (the longer side
/// becomes ⌊256 · long / short⌋); `Resize(height:width:)` sets both.
///
/// torchvision resizes PIL images with PIL and rounds the result to bytes; here the values stay floats
/// (within 0.5/255 of that).
public struct Resize: Transform {
    /// The target size of the shorter side, or nil when `height` and `width` are given.
    public let shorterSide: Int?
    public let height: Int?
    public let width: Int?
    public let antialias: Bool

    public init(_ shorterSide: Int, antialias: Bool = true) {
        precondition(shorterSide > 0, "Ember: Resize needs a positive size, got \(shorterSide)")
        self.shorterSide = shorterSide
        self.height = nil
        self.width = nil
        self.antialias = antialias
    }

    public init(height: Int, width: Int, antialias: Bool = true) {
        precondition(height > 0 && width > 0, "Ember: Resize needs a positive size, got \(height)x\(width)")
        self.shorterSide = nil
        self.height = height
        self.width = width
        self.antialias = antialias
    }

    /// The output height and width for an input of `h × w`.
    public func outputSize(height h: Int, width w: Int) -> (height: Int, width: Int) {
        guard let side = shorterSide else { return (height!, width!) }
        return h <= w ? (side, side * w / h) : (side * h / w, side)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let (batch, leading) = asImageBatch(input, "Resize")
        let size = outputSize(height: batch.shape[2], width: batch.shape[3])
        if size == (batch.shape[2], batch.shape[3]) { return input }
        let out = interpolate(batch, size: [size.height, size.width], mode: .bilinear, antialias: antialias)
        return out.reshape(leading + [size.height, size.width])
    }
}

/// Cuts the central `height × width` window, like `transforms.CenterCrop`; an image smaller than the
/// window is padded with zeros first. Odd margins put the extra pixel where torchvision does (Python's
/// round half to even of the margin / 2).
public struct CenterCrop: Transform {
    public let height: Int
    public let width: Int

    public init(_ size: Int) { self.init(height: size, width: size) }

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "Ember: CenterCrop needs a positive size, got \(height)x\(width)")
        self.height = height
        self.width = width
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        _ = asImageBatch(input, "CenterCrop")
        let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
        if h < height || w < width {
            // torchvision pads to at least the crop size first: the smaller half before, the larger after.
            let padH = Swift.max(height - h, 0), padW = Swift.max(width - w, 0)
            let padded = pad(input, [padW / 2, (padW + 1) / 2, padH / 2, (padH + 1) / 2])
            return callAsFunction(padded)
        }
        let top = Int((Double(h - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(w - width) / 2).rounded(.toNearestOrEven))
        return cropImage(input, top: top, left: left, height: height, width: width)
    }
}

/// Crops a random window of random area and aspect ratio, then resizes it to `height × width`, like
/// `transforms.RandomResizedCrop`: the window's area is a `scale` fraction of the image's, its
/// width / height ratio log-uniform in `ratio`; after ten tries that don't fit, the whole image (its
/// centre, if its ratio is outside `ratio`).
public struct RandomResizedCrop: Transform {
    public let height: Int
    public let width: Int
    public let scale: ClosedRange<Double>
    public let ratio: ClosedRange<Double>
    public let antialias: Bool
    public let generator: RandomGenerator

    public init(_ size: Int, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = 0.75...(4.0 / 3),
                antialias: Bool = true, seed: UInt64 = 0) {
        self.init(height: size, width: size, scale: scale, ratio: ratio, antialias: antialias, seed: seed)
    }

    public init(height: Int, width: Int, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = 0.75...(4.0 / 3),
                antialias: Bool = true, seed: UInt64 = 0) {
        precondition(height > 0 && width > 0, "Ember: RandomResizedCrop needs a positive size, got \(height)x\(width)")
        precondition(scale.lowerBound > 0 && ratio.lowerBound > 0, "Ember: RandomResizedCrop scale and ratio must be positive")
        self.height = height
        self.width = width
        self.scale = scale
        self.ratio = ratio
        self.antialias = antialias
        self.generator = RandomGenerator(seed: seed)
    }

    private func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(generator.nextFloat())
    }

    /// The window (top, left, height, width) for an image of `h × w`, drawn from the generator.
    public func window(height h: Int, width w: Int) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(h * w)
        let logRatio = log(ratio.lowerBound)...log(ratio.upperBound)
        for _ in 0..<10 {
            let targetArea = area * uniform(scale)
            let aspect = exp(uniform(logRatio))
            let cropW = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let cropH = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if cropW > 0 && cropW <= w && cropH > 0 && cropH <= h {
                return (generator.nextInt(below: h - cropH + 1), generator.nextInt(below: w - cropW + 1), cropH, cropW)
            }
        }
        let inRatio = Double(w) / Double(h)
        var cropW = w, cropH = h
        if inRatio < ratio.lowerBound {
            cropH = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            cropW = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return ((h - cropH) / 2, (w - cropW) / 2, cropH, cropW)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        _ = asImageBatch(input, "RandomResizedCrop")
        let box = window(height: input.shape[input.rank - 2], width: input.shape[input.rank - 1])
        let crop = cropImage(input, top: box.top, left: box.left, height: box.height, width: box.width)
        return Resize(height: height, width: width, antialias: antialias)(crop)
    }
}
