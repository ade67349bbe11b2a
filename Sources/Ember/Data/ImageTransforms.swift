import Foundation

// Transforms that change an image's size, like torchvision's Resize, CenterCrop and RandomResizedCrop
// applied to tensors. They take [H, W], [C, H, W] or [N, C, H, W] float tensors.

/// The input as [1, planes, H, W] for `interpolate`, and the leading dims to restore after.
private func asImageBatch(_ input: Tensor, _ name: String) -> (batch: Tensor, leading: [Int]) {
    guard input.rank >= 2 && input.rank <= 4 else {
        shapeFailure(ShapeError("\(name): expects an image [H, W], [C, H, W] or [N, C, H, W], got shape \(input.shape)"))
    }
    let (n, h, w) = planes(of: input)
    return (input.reshape([1, n, h, w]), Array(input.shape.dropLast(2)))
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

/// The image rotated by `degrees` counter-clockwise about its centre, keeping its size, like
/// `torchvision.transforms.functional.rotate` on a tensor: each output pixel samples the input at the
/// inversely rotated position (`interpolation` nearest or bilinear). What comes from outside the image is
/// zero, or with a `fill` that value, blended by the sampled coverage with bilinear, as torchvision does
/// (so `fill: 0` darkens the edges a bilinear rotation blurs; `RandomRotation` always passes a fill).
public func rotate(_ image: Tensor, degrees: Float, interpolation: GridSampleMode = .nearest, fill: Float? = nil) -> Tensor {
    let (batch, leading) = asImageBatch(image, "rotate")
    let planes = batch.shape[1], h = batch.shape[2], w = batch.shape[3]
    // torchvision's inverse affine matrix for a rotation about the centre, in pixel units from the centre.
    let r = -Double(degrees) * .pi / 180
    let m = [cos(r), sin(r), -sin(r), cos(r)]
    var points = [Float](); points.reserveCapacity(h * w * 2)
    for i in 0..<h {
        let y = Double(i) - Double(h) / 2 + 0.5
        for j in 0..<w {
            let x = Double(j) - Double(w) / 2 + 0.5
            points.append(Float((m[0] * x + m[1] * y) / (0.5 * Double(w))))
            points.append(Float((m[2] * x + m[3] * y) / (0.5 * Double(h))))
        }
    }
    let grid = Tensor(points, shape: [1, h, w, 2], device: image.device)
    // (asImageBatch folds every leading dim into the planes of one image, so one grid serves all.)
    guard let fill else { return gridSample(batch, grid: grid, mode: interpolation).reshape(leading + [h, w]) }
    // A channel of ones rides along: where it comes back below 1, the pixel came (partly) from outside.
    let withCoverage = Tensor.cat([batch, Tensor.ones([1, 1, h, w], device: image.device)], dim: 1)
    let sampled = gridSample(withCoverage, grid: grid, mode: interpolation)
    let pixels = sampled.narrow(1, start: 0, length: planes), coverage = sampled.narrow(1, start: planes, length: 1)
    let out = interpolation == .nearest
        ? `where`(coverage.lt(0.5), Tensor.full([], fill, device: image.device), pixels)
        : pixels * coverage + (1 - coverage) * fill
    return out.reshape(leading + [h, w])
}

/// Rotates the image by an angle drawn uniformly from `degrees`, like `transforms.RandomRotation`
/// (output the input's size, rotation about the centre, nearest interpolation by default).
public struct RandomRotation: Transform {
    public let degrees: ClosedRange<Float>
    public let interpolation: GridSampleMode
    public let fill: Float
    public let generator: RandomGenerator

    /// Angles in −degrees...degrees.
    public init(_ degrees: Float, interpolation: GridSampleMode = .nearest, fill: Float = 0, seed: UInt64 = 0) {
        precondition(degrees >= 0, "Ember: RandomRotation(\(degrees)): a single angle must be non-negative; give a range for others")
        self.init(degrees: -degrees...degrees, interpolation: interpolation, fill: fill, seed: seed)
    }

    public init(degrees: ClosedRange<Float>, interpolation: GridSampleMode = .nearest, fill: Float = 0, seed: UInt64 = 0) {
        self.degrees = degrees
        self.interpolation = interpolation
        self.fill = fill
        self.generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let angle = degrees.lowerBound + (degrees.upperBound - degrees.lowerBound) * generator.nextFloat()
        return rotate(input, degrees: angle, interpolation: interpolation, fill: fill)
    }
}
