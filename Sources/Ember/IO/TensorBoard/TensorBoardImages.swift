/// Tensors to the 8-bit HWC pixels TensorBoard's image plugin shows, by PyTorch's rules: values in
/// [0, 1] scaled by 255, clipped and truncated; one channel repeated into three; a batch tiled into a
/// grid eight images wide.
enum TensorBoardImages {
    typealias Pixels = (values: [UInt8], height: Int, width: Int, channels: Int)

    /// `image` laid out as `layout` says.
    static func pixels(_ image: Tensor, layout: ImageLayout, tag: String) -> Pixels {
        let (h, w, c): (Int, Int, Int)
        switch layout {
        case .chw: (c, h, w) = image.rank == 3 ? (image.shape[0], image.shape[1], image.shape[2]) : (0, 0, 0)
        case .hwc: (h, w, c) = image.rank == 3 ? (image.shape[0], image.shape[1], image.shape[2]) : (0, 0, 0)
        case .hw: (h, w, c) = image.rank == 2 ? (image.shape[0], image.shape[1], 1) : (0, 0, 0)
        }
        guard [1, 3, 4].contains(c), h > 0, w > 0 else {
            shapeFailure(ShapeError("SummaryWriter.addImage('\(tag)'): expected \(layout.description) with 1, 3 or 4 channels "
                + "(pass layout: for another order), got shape \(image.shape)"))
        }
        let values = noGrad { image.to(.cpu).to(.float32) }.toArray()
        let channels = c == 1 ? 3 : c
        var pixels = [UInt8](repeating: 0, count: h * w * channels)
        for y in 0..<h {
            for x in 0..<w {
                for channel in 0..<channels {
                    let source = c == 1 ? 0 : channel
                    let index = layout == .chw ? (source * h + y) * w + x : (y * w + x) * c + source
                    pixels[(y * w + x) * channels + channel] = byte(values[index])
                }
            }
        }
        return (pixels, h, w, channels)
    }

    /// A batch [N, C, H, W] (C = 1, 3 or 4) tiled row by row, eight images wide, with no padding, as
    /// TensorBoard's `make_grid` does.
    static func grid(_ images: Tensor, tag: String) -> Pixels {
        guard images.rank == 4, [1, 3, 4].contains(images.shape[1]), images.shape[0] > 0 else {
            shapeFailure(ShapeError("SummaryWriter.addImages('\(tag)'): expected [N, C, H, W] with N ≥ 1 and 1, 3 or 4 "
                + "channels, got shape \(images.shape)"))
        }
        let (n, h, w) = (images.shape[0], images.shape[2], images.shape[3])
        let columns = Swift.min(n, 8), rows = (n + columns - 1) / columns
        var canvas = [UInt8](repeating: 0, count: 0)
        var channels = 3
        for index in 0..<n {
            let image = pixels(images[index], layout: .chw, tag: tag)
            channels = image.channels
            if canvas.isEmpty { canvas = [UInt8](repeating: 0, count: rows * h * columns * w * channels) }
            let (top, left) = (index / columns * h, index % columns * w)
            for y in 0..<h {
                let row = ((top + y) * columns * w + left) * channels
                canvas.replaceSubrange(row..<(row + w * channels), with: image.values[(y * w * channels)..<((y + 1) * w * channels)])
            }
        }
        return (canvas, rows * h, columns * w, channels)
    }

    /// 255·v clipped to 0...255 and truncated, as NumPy's `astype(uint8)` after `clip`; NaN gives 0.
    private static func byte(_ value: Float) -> UInt8 {
        let scaled = value * 255
        return scaled >= 255 ? 255 : scaled > 0 ? UInt8(scaled) : 0
    }
}

/// The order of an image tensor's dims, PyTorch's `dataformats`.
public enum ImageLayout: Sendable, CustomStringConvertible {
    /// [C, H, W], as `ToTensor` gives (PyTorch's default).
    case chw
    /// [H, W, C].
    case hwc
    /// [H, W], gray.
    case hw

    public var description: String {
        switch self {
        case .chw: "[C, H, W]"
        case .hwc: "[H, W, C]"
        case .hw: "[H, W]"
        }
    }
}
