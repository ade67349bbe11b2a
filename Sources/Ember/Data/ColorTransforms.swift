import Foundation

// Colour and blur augmentations, like torchvision's ColorJitter and GaussianBlur and the functions
// behind them (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue, gaussian_blur) on
// float tensors in [0, 1]: [H, W] (one channel), [C, H, W] or [..., C, H, W] with C = 1 or 3 (RGB). The
// arithmetic is torchvision's, step for step, so results agree with it to float rounding (NaN and
// infinite pixels included). Like the other transforms they compute values only: no gradient flows
// through them.

/// The image's values and its layout: `images` images of `channels` planes of `plane` pixels.
private func colorLayout(_ image: Tensor, _ name: String) -> (values: [Float], images: Int, channels: Int, plane: Int) {
    guard image.rank >= 2 else {
        shapeFailure(ShapeError("\(name): expects an image [H, W] or [..., C, H, W], got shape \(image.shape)"))
    }
    let channels = image.rank == 2 ? 1 : image.shape[image.rank - 3]
    guard channels == 1 || channels == 3 else {
        shapeFailure(ShapeError("\(name): expects 1 or 3 channels in dim \(image.rank - 3), got shape \(image.shape)"))
    }
    let plane = image.shape[image.rank - 2] * image.shape[image.rank - 1]
    return (image.rawFloatValues(), image.count / max(channels * plane, 1), channels, plane)
}

/// ratio · a + (1 − ratio) · b, clamped to [0, 1] (torchvision's `_blend` for float images).
@inline(__always)
private func blend(_ a: Float, _ b: Float, _ ratio: Float) -> Float {
    min(max(ratio * a + (1 - ratio) * b, 0), 1)
}

/// ITU-R 601-2 luma, as torchvision's rgb_to_grayscale computes it.
@inline(__always)
private func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.2989 * r + 0.587 * g + 0.114 * b }

/// The image scaled by `factor` (0 black, 1 unchanged), clamped to [0, 1], like `TF.adjust_brightness`.
public func adjustBrightness(_ image: Tensor, factor: Float) -> Tensor {
    precondition(factor >= 0, "Ember: adjustBrightness needs a non-negative factor, got \(factor)")
    let (values, _, _, _) = colorLayout(image, "adjustBrightness")
    return Tensor(values.map { blend($0, 0, factor) }, shape: image.shape)
}

/// The image blended with its mean gray level (0 gray, 1 unchanged), like `TF.adjust_contrast`.
public func adjustContrast(_ image: Tensor, factor: Float) -> Tensor {
    precondition(factor >= 0, "Ember: adjustContrast needs a non-negative factor, got \(factor)")
    var (values, images, channels, plane) = colorLayout(image, "adjustContrast")
    for n in 0..<images {
        let base = n * channels * plane
        var sum = 0.0
        for i in 0..<plane {
            sum += Double(channels == 3 ? luma(values[base + i], values[base + plane + i], values[base + 2 * plane + i])
                                       : values[base + i])
        }
        let mean = Float(sum / Double(max(plane, 1)))
        for i in base..<base + channels * plane { values[i] = blend(values[i], mean, factor) }
    }
    return Tensor(values, shape: image.shape)
}

/// The image blended with its grayscale version (0 gray, 1 unchanged, above 1 more saturated), like
/// `TF.adjust_saturation`. A one-channel image is returned unchanged.
public func adjustSaturation(_ image: Tensor, factor: Float) -> Tensor {
    precondition(factor >= 0, "Ember: adjustSaturation needs a non-negative factor, got \(factor)")
    var (values, images, channels, plane) = colorLayout(image, "adjustSaturation")
    guard channels == 3 else { return Tensor(values, shape: image.shape) }
    for n in 0..<images {
        let base = n * 3 * plane
        for i in base..<base + plane {
            let gray = luma(values[i], values[i + plane], values[i + 2 * plane])
            for c in 0..<3 { values[i + c * plane] = blend(values[i + c * plane], gray, factor) }
        }
    }
    return Tensor(values, shape: image.shape)
}

/// The image with every pixel's hue turned by `factor` of a full circle (in [-0.5, 0.5]), through HSV,
/// like `TF.adjust_hue`. A one-channel image is returned unchanged.
public func adjustHue(_ image: Tensor, factor: Float) -> Tensor {
    precondition(factor >= -0.5 && factor <= 0.5, "Ember: adjustHue needs a factor in [-0.5, 0.5], got \(factor)")
    var (values, images, channels, plane) = colorLayout(image, "adjustHue")
    guard channels == 3 else { return Tensor(values, shape: image.shape) }
    for n in 0..<images {
        let base = n * 3 * plane
        for i in base..<base + plane {
            var (h, s, v) = hsv(values[i], values[i + plane], values[i + 2 * plane])
            h = h + factor
            h -= h.rounded(.down)   // torch's % 1.0: into [0, 1)
            (values[i], values[i + plane], values[i + 2 * plane]) = rgb(h, s, v)
        }
    }
    return Tensor(values, shape: image.shape)
}

/// torchvision's `_rgb2hsv` for one pixel: hue in [0, 1), saturation, value.
@inline(__always)
private func hsv(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
    // torch's max and min over the channels propagate NaN (Swift's skip it).
    if r.isNaN || g.isNaN || b.isNaN { return (.nan, .nan, .nan) }
    let maxc = max(r, g, b), minc = min(r, g, b)
    let flat = maxc == minc
    let range = maxc - minc
    let s = range / (flat ? 1 : maxc)
    let divisor = flat ? 1 : range
    let rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor
    let hr: Float = maxc == r ? bc - gc : 0
    let hg: Float = maxc == g && maxc != r ? 2 + rc - bc : 0
    let hb: Float = maxc != g && maxc != r ? 4 + gc - rc : 0
    let h = hr + hg + hb
    return (fmodf(h / 6 + 1, 1), s, maxc)
}

/// torchvision's `_hsv2rgb` for one pixel.
@inline(__always)
private func rgb(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
    let sector = (h * 6).rounded(.down)
    let f = h * 6 - sector
    let p = min(max(v * (1 - s), 0), 1), q = min(max(v * (1 - s * f), 0), 1), t = min(max(v * (1 - s * (1 - f)), 0), 1)
    // torchvision picks the sector's values with a 0/1 mask summed over all six candidates, so a NaN or
    // infinite candidate anywhere makes every channel NaN: `poison` is that NaN, or +0 / −0 otherwise.
    let poison = (p + q + t + v) * 0
    let (r, g, b): (Float, Float, Float) = switch sector.isFinite ? (Int(sector) % 6 + 6) % 6 : 0 {
    case 0: (v, t, p)
    case 1: (q, v, p)
    case 2: (p, v, t)
    case 3: (p, q, v)
    case 4: (t, p, v)
    default: (v, p, q)
    }
    return (r + poison, g + poison, b + poison)
}

/// The image blurred by a `kernelSize` × `kernelSize` Gaussian (odd) of standard deviation `sigma`, by
/// default torchvision's 0.15 · kernelSize + 0.35; see `gaussianBlur(_:kernelSize:sigma:)`.
public func gaussianBlur(_ image: Tensor, kernelSize: Int, sigma: Float? = nil) -> Tensor {
    let s = sigma ?? 0.15 * Float(kernelSize) + 0.35
    return gaussianBlur(image, kernelSize: (kernelSize, kernelSize), sigma: (s, s))
}

/// The image blurred by a `kernelSize` (height, width; odd) Gaussian of standard deviation `sigma`
/// (vertical, horizontal), the borders extended by reflection, like `TF.gaussian_blur`. Works on any
/// number of channels: every plane is blurred alone.
///
/// Note the order: torchvision's `gaussian_blur(img, [kx, ky], [sx, sy])` is width first; here, as for
/// every size in Ember, height comes first.
public func gaussianBlur(_ image: Tensor, kernelSize: (height: Int, width: Int), sigma: (vertical: Float, horizontal: Float)) -> Tensor {
    let (ky, kx) = kernelSize
    precondition(ky > 0 && kx > 0 && ky % 2 == 1 && kx % 2 == 1,
                 "Ember: gaussianBlur needs odd, positive kernel sizes, got \(ky) × \(kx)")
    precondition(sigma.0 > 0 && sigma.1 > 0 && sigma.0.isFinite && sigma.1.isFinite,
                 "Ember: gaussianBlur needs positive, finite sigmas, got \(sigma)")
    let (n, h, w) = planes(of: image)
    if image.count == 0 { return Tensor(image.rawFloatValues(), shape: image.shape) }
    guard ky / 2 < h && kx / 2 < w else {
        shapeFailure(ShapeError("gaussianBlur: a \(ky) × \(kx) kernel reflects \(ky / 2) rows and \(kx / 2) columns, "
            + "more than an image of shape \(image.shape) has; use a smaller kernel"))
    }
    /// torchvision's 1-D kernel: exp(−½ (x/σ)²) at x = −(k−1)/2 ... (k−1)/2, normalized to sum 1.
    func kernel(_ size: Int, _ sigma: Float) -> [Float] {
        let half = Float(size - 1) * 0.5
        let pdf = (0..<size).map { i -> Float in
            let x = (-half + Float(i)) / sigma
            return expf(-0.5 * (x * x))
        }
        let total = pdf.reduce(0, +)
        return pdf.map { $0 / total }
    }
    let vertical = kernel(ky, sigma.0), horizontal = kernel(kx, sigma.1)
    // The 2-D kernel as an outer product, one 2-D convolution (as torchvision computes it).
    let weights = vertical.flatMap { a in horizontal.map { a * $0 } }
    let planes = Tensor(image.rawFloatValues(), shape: [n, 1, h, w])
    let padded = pad(planes, [kx / 2, kx / 2, ky / 2, ky / 2], mode: .reflect)
    return conv2d(padded, weight: Tensor(weights, shape: [1, 1, ky, kx])).reshape(image.shape)
}

/// Randomly changes brightness, contrast, saturation and hue, in a random order, like
/// `transforms.ColorJitter`: each factor is drawn uniformly from [max(0, 1 − b), 1 + b] (brightness,
/// contrast, saturation) or [−hue, hue] for every image; 0 leaves that property alone.
public struct ColorJitter: Transform {
    public let brightness: Float, contrast: Float, saturation: Float, hue: Float
    public let generator: RandomGenerator

    public init(brightness: Float = 0, contrast: Float = 0, saturation: Float = 0, hue: Float = 0, seed: UInt64 = 0) {
        precondition(brightness >= 0 && contrast >= 0 && saturation >= 0,
                     "Ember: ColorJitter needs non-negative brightness, contrast and saturation, got \(brightness), "
                        + "\(contrast) and \(saturation)")
        precondition([brightness, contrast, saturation].allSatisfy(\.isFinite),
                     "Ember: ColorJitter needs finite brightness, contrast and saturation, got \(brightness), "
                        + "\(contrast) and \(saturation)")
        precondition(hue >= 0 && hue <= 0.5, "Ember: ColorJitter needs hue in [0, 0.5], got \(hue)")
        (self.brightness, self.contrast, self.saturation, self.hue) = (brightness, contrast, saturation, hue)
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        // The order first, then all four factors (torchvision draws only the enabled ones; the streams
        // differ anyway).
        let order = generator.permutation(4)
        func factor(_ spread: Float) -> Float {
            let low = max(0, 1 - spread), high = 1 + spread
            return low + (high - low) * generator.nextFloat()
        }
        let factors = [factor(brightness), factor(contrast), factor(saturation), -hue + 2 * hue * generator.nextFloat()]
        var image = input
        for step in order {
            switch step {
            case 0 where brightness > 0: image = adjustBrightness(image, factor: factors[0])
            case 1 where contrast > 0: image = adjustContrast(image, factor: factors[1])
            case 2 where saturation > 0: image = adjustSaturation(image, factor: factors[2])
            case 3 where hue > 0: image = adjustHue(image, factor: factors[3])
            default: break
            }
        }
        return image
    }
}

/// Blurs with a Gaussian of a standard deviation drawn uniformly from `sigma` at each call (one for a
/// whole batch), like `transforms.GaussianBlur(kernel_size, sigma=(0.1, 2.0))`.
public struct GaussianBlur: Transform {
    public let kernelSize: (height: Int, width: Int)
    public let sigma: ClosedRange<Float>
    public let generator: RandomGenerator

    public init(kernelSize: Int, sigma: ClosedRange<Float> = 0.1...2.0, seed: UInt64 = 0) {
        self.init(kernelSize: (kernelSize, kernelSize), sigma: sigma, seed: seed)
    }

    public init(kernelSize: (height: Int, width: Int), sigma: ClosedRange<Float> = 0.1...2.0, seed: UInt64 = 0) {
        precondition(kernelSize.height > 0 && kernelSize.width > 0 && kernelSize.height % 2 == 1 && kernelSize.width % 2 == 1,
                     "Ember: GaussianBlur needs odd, positive kernel sizes, got \(kernelSize.height) × \(kernelSize.width)")
        precondition(sigma.lowerBound > 0 && sigma.upperBound.isFinite, "Ember: GaussianBlur needs positive, finite sigmas, got \(sigma)")
        self.kernelSize = kernelSize
        self.sigma = sigma
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let s = sigma.lowerBound + (sigma.upperBound - sigma.lowerBound) * generator.nextFloat()
        return gaussianBlur(input, kernelSize: (kernelSize.height, kernelSize.width), sigma: (s, s))
    }
}
