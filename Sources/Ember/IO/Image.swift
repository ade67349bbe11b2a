/// An 8-bit image in memory, like a PIL image of mode "L", "LA", "RGB" or "RGBA": `height` rows of
/// `width` pixels, each `channels` bytes (0 = black, 255 = white; alpha 255 = opaque).
///
///     let image = try Image.read("cat.jpg").converted(to: .rgb)
///     let x = image.tensor()                     // [3, H, W] float32 in [0, 1], like ToTensor
///     try Image(x).write(to: "copy.png")
public struct Image: Equatable, Sendable {
    /// The channels of a pixel; the raw value is their count.
    public enum Mode: Int, Sendable, CaseIterable {
        case gray = 1, grayAlpha = 2, rgb = 3, rgba = 4

        /// PIL's name for the mode.
        public var name: String { ["L", "LA", "RGB", "RGBA"][rawValue - 1] }
        var hasAlpha: Bool { self == .grayAlpha || self == .rgba }
        var isColor: Bool { self == .rgb || self == .rgba }
    }

    public let width: Int
    public let height: Int
    public let mode: Mode
    /// Row-major pixels with interleaved channels (H × W × C), as in the file.
    public let pixels: [UInt8]

    public var channels: Int { mode.rawValue }

    public init(width: Int, height: Int, mode: Mode, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "Ember: an image needs a positive size, got \(width)x\(height)")
        precondition(pixels.count == width * height * mode.rawValue,
                     "Ember: a \(width)x\(height) \(mode.name) image needs \(width * height * mode.rawValue) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.mode = mode
        self.pixels = pixels
    }

    /// The image as a [C, H, W] float32 tensor in [0, 1], like `transforms.ToTensor()` of a PIL image.
    public func tensor() -> Tensor {
        let plane = width * height, c = channels
        let out = Tensor(uninitializedShape: [c, height, width])
        let values = out.storage.floats()
        pixels.withUnsafeBufferPointer { source in
            for channel in 0..<c {
                let target = values + channel * plane
                for i in 0..<plane { target[i] = Float(source[i * c + channel]) * (1 / 255) }
            }
        }
        return out
    }

    /// An image from a [C, H, W] (C = 1...4) or [H, W] float tensor in [0, 1]: each value v becomes the
    /// byte ⌊255·v + ½⌋, clamped to 0...255, as `torchvision.utils.save_image` does (`ToPILImage` truncates
    /// instead of rounding).
    public init(_ tensor: Tensor) {
        guard (tensor.rank == 3 && (1...4).contains(tensor.shape[0])) || tensor.rank == 2 else {
            shapeFailure(ShapeError("Image(tensor): expects [C, H, W] with 1 to 4 channels or [H, W], got shape \(tensor.shape)"))
        }
        let c = tensor.rank == 3 ? tensor.shape[0] : 1
        let h = tensor.shape[tensor.rank - 2], w = tensor.shape[tensor.rank - 1]
        let values = noGrad { tensor.to(.cpu).to(.float32) }.rawFloatValues()
        var pixels = [UInt8](repeating: 0, count: values.count)
        let plane = h * w
        for channel in 0..<c {
            for i in 0..<plane {
                let v = values[channel * plane + i] * 255 + 0.5
                pixels[i * c + channel] = v >= 255 ? 255 : v > 0 ? UInt8(v) : 0
            }
        }
        self.init(width: w, height: h, mode: Mode(rawValue: c)!, pixels: pixels)
    }

    /// The image in another mode, with PIL's `Image.convert` rules: colour to gray by ITU-R 601-2 luma
    /// (L = 0.299 R + 0.587 G + 0.114 B, in PIL's fixed point); a dropped alpha channel is discarded (not
    /// blended); an added one is opaque.
    public func converted(to target: Mode) -> Image {
        if target == mode { return self }
        let count = width * height, from = channels, to = target.rawValue
        var out = [UInt8](repeating: 255, count: count * to)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { result in
                for i in 0..<count {
                    let p = i * from, q = i * to
                    let alpha = mode.hasAlpha ? source[p + from - 1] : 255
                    if target.isColor {
                        if mode.isColor {
                            result[q] = source[p]; result[q + 1] = source[p + 1]; result[q + 2] = source[p + 2]
                        } else {
                            result[q] = source[p]; result[q + 1] = source[p]; result[q + 2] = source[p]
                        }
                    } else {
                        result[q] = mode.isColor ? Image.luma(source[p], source[p + 1], source[p + 2]) : source[p]
                    }
                    if target.hasAlpha { result[q + to - 1] = alpha }
                }
            }
        }
        return Image(width: width, height: height, mode: target, pixels: out)
    }

    /// PIL's fixed-point luma: (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let red: UInt32 = UInt32(r) * 19595, green: UInt32 = UInt32(g) * 38470, blue: UInt32 = UInt32(b) * 7471
        return UInt8((red + green + blue + 0x8000) >> 16)
    }
}
