/// A transformation of one sample's input tensor, like the callables of `torchvision.transforms`.
///
/// Image transforms take [C, H, W] (or [H, W]) float32 tensors. Random transforms own a generator seeded
/// at construction, so a pipeline gives the same results on every run. Transforms may run on the
/// DataLoader's background thread; they work on raw memory and do not touch autograd's global state.
public protocol Transform {
    func callAsFunction(_ input: Tensor) -> Tensor
    /// When the transform is `x * scale + shift` on every element, its coefficients; nil otherwise.
    /// Lets a dataset fold the transform into its fast batch path.
    var elementwiseAffine: (scale: Float, shift: Float)? { get }
}

extension Transform {
    public var elementwiseAffine: (scale: Float, shift: Float)? { nil }
}

extension Tensor {
    /// Row-major float values read straight from storage (no autograd, no global state).
    func rawFloatValues() -> [Float] {
        precondition(dtype == .float32, "Ember: image transforms need float32 tensors, got \(dtype)")
        precondition(device == .cpu, "Ember: image transforms run on CPU tensors")
        let base = storage.floats()
        if isContiguous { return Array(UnsafeBufferPointer(start: base + offset, count: count)) }
        var out = [Float](); out.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var position = offset
            for d in 0..<rank { position += index[d] * strides[d] }
            out.append(base[position])
            var d = rank - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return out
    }
}

/// Converts raw pixel values 0...255 to floats in [0, 1], like `transforms.ToTensor`.
/// Applied to a tensor it divides by 255; applied to bytes it builds the tensor.
public struct ToTensor: Transform {
    public init() {}

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor(input.rawFloatValues().map { $0 / 255 }, shape: input.shape)
    }

    /// Bytes (e.g. an IDX image) as a float tensor in [0, 1].
    public func callAsFunction(_ pixels: [UInt8], shape: [Int]) -> Tensor {
        precondition(pixels.count == Shape.count(shape), "Ember: ToTensor got \(pixels.count) bytes for shape \(shape)")
        return Tensor(pixels.map { Float($0) / 255 }, shape: shape)
    }

    public var elementwiseAffine: (scale: Float, shift: Float)? { (1 / 255, 0) }
}

/// Subtracts a per-channel mean and divides by a per-channel standard deviation, like `transforms.Normalize`.
/// Channels are the first dimension of a [C, H, W] input; a single mean/std applies to every element.
public struct Normalize: Transform {
    public let mean: [Float]
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty, "Ember: Normalize needs as many means as stds")
        precondition(std.allSatisfy { $0 != 0 }, "Ember: Normalize std must be non-zero")
        self.mean = mean
        self.std = std
    }

    public init(mean: Float, std: Float) { self.init(mean: [mean], std: [std]) }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        var values = input.rawFloatValues()
        let channels = mean.count
        if channels == 1 {
            for i in values.indices { values[i] = (values[i] - mean[0]) / std[0] }
        } else {
            precondition(input.rank >= 3 && input.shape[input.rank - 3] == channels,
                         "Ember: Normalize has \(channels) channels but the input's shape is \(input.shape)")
            let plane = input.shape[input.rank - 1] * input.shape[input.rank - 2]
            for i in values.indices {
                let c = (i / plane) % channels
                values[i] = (values[i] - mean[c]) / std[c]
            }
        }
        return Tensor(values, shape: input.shape)
    }

    public var elementwiseAffine: (scale: Float, shift: Float)? {
        mean.count == 1 ? (1 / std[0], -mean[0] / std[0]) : nil
    }
}

/// Applies transforms in order, like `transforms.Compose`.
public struct Compose: Transform {
    public let transforms: [any Transform]

    public init(_ transforms: [any Transform]) { self.transforms = transforms }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        transforms.reduce(input) { $1($0) }
    }

    public var elementwiseAffine: (scale: Float, shift: Float)? {
        var scale: Float = 1, shift: Float = 0
        for t in transforms {
            guard let (s, b) = t.elementwiseAffine else { return nil }
            scale *= s
            shift = shift * s + b
        }
        return (scale, shift)
    }
}

/// Image geometry shared by the augmentations: leading dims (channels) × height × width.
func planes(of input: Tensor) -> (planes: Int, height: Int, width: Int) {
    precondition(input.rank >= 2, "Ember: image transforms need [H, W] or [C, H, W] inputs, got \(input.shape)")
    let h = input.shape[input.rank - 2], w = input.shape[input.rank - 1]
    return (input.count / max(h * w, 1), h, w)
}

/// Copies `source` shifted by (dy, dx) into a zero-filled (or `fill`) canvas of the output size.
/// Output pixel (y, x) takes source pixel (y - dy, x - dx) when that lies inside the source.
private func shifted(_ source: [Float], planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int,
                     dy: Int, dx: Int, fill: Float) -> [Float] {
    var out = [Float](repeating: fill, count: planes * outHeight * outWidth)
    for p in 0..<planes {
        for y in 0..<outHeight {
            let sy = y - dy
            guard sy >= 0 && sy < height else { continue }
            for x in 0..<outWidth {
                let sx = x - dx
                guard sx >= 0 && sx < width else { continue }
                out[(p * outHeight + y) * outWidth + x] = source[(p * height + sy) * width + sx]
            }
        }
    }
    return out
}

/// Pads the image by `padding` pixels of `fill` on every side, then crops a random `height × width`
/// window, like `transforms.RandomCrop(size, padding=...)`.
public struct RandomCrop: Transform {
    public let height: Int
    public let width: Int
    public let padding: Int
    public let fill: Float
    public let generator: RandomGenerator

    public init(size: Int, padding: Int = 0, fill: Float = 0, seed: UInt64 = 0) {
        self.init(height: size, width: size, padding: padding, fill: fill, seed: seed)
    }

    public init(height: Int, width: Int, padding: Int = 0, fill: Float = 0, seed: UInt64 = 0) {
        precondition(height > 0 && width > 0 && padding >= 0, "Ember: RandomCrop needs a positive size and non-negative padding")
        self.height = height
        self.width = width
        self.padding = padding
        self.fill = fill
        self.generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let (n, h, w) = planes(of: input)
        let paddedH = h + 2 * padding, paddedW = w + 2 * padding
        precondition(height <= paddedH && width <= paddedW,
                     "Ember: RandomCrop of \(height)×\(width) is larger than the padded image \(paddedH)×\(paddedW)")
        let top = generator.nextInt(below: paddedH - height + 1)
        let left = generator.nextInt(below: paddedW - width + 1)
        // Output (y, x) is padded (y + top, x + left), i.e. source (y + top - padding, x + left - padding).
        let values = shifted(input.rawFloatValues(), planes: n, height: h, width: w, outHeight: height, outWidth: width,
                             dy: padding - top, dx: padding - left, fill: fill)
        return Tensor(values, shape: Array(input.shape.dropLast(2)) + [height, width])
    }
}

/// Shifts the image by a random whole number of pixels, up to `translate.x · width` horizontally and
/// `translate.y · height` vertically, filling the uncovered border — `transforms.RandomAffine(0, translate=...)`.
public struct RandomAffine: Transform {
    public let translate: (x: Float, y: Float)
    public let fill: Float
    public let generator: RandomGenerator

    public init(translate: (x: Float, y: Float), fill: Float = 0, seed: UInt64 = 0) {
        precondition((0...1).contains(translate.x) && (0...1).contains(translate.y), "Ember: RandomAffine translate fractions must lie in [0, 1]")
        self.translate = translate
        self.fill = fill
        self.generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let (n, h, w) = planes(of: input)
        let maxDx = translate.x * Float(w), maxDy = translate.y * Float(h)
        let dx = Int((maxDx * (2 * generator.nextFloat() - 1)).rounded())
        let dy = Int((maxDy * (2 * generator.nextFloat() - 1)).rounded())
        let values = shifted(input.rawFloatValues(), planes: n, height: h, width: w, outHeight: h, outWidth: w,
                             dy: dy, dx: dx, fill: fill)
        return Tensor(values, shape: input.shape)
    }
}

/// With probability `p`, the image mirrored left–right (`vertical` false) or top–bottom; otherwise a copy.
private func randomlyFlipped(_ input: Tensor, p: Float, generator: RandomGenerator, vertical: Bool) -> Tensor {
    let values = input.rawFloatValues()
    guard generator.nextFloat() < p else { return Tensor(values, shape: input.shape) }
    let (n, h, w) = planes(of: input)
    var out = values
    for plane in 0..<n {
        for y in 0..<h {
            let target = (plane * h + y) * w
            if vertical {
                let source = (plane * h + h - 1 - y) * w
                for x in 0..<w { out[target + x] = values[source + x] }
            } else {
                for x in 0..<w { out[target + x] = values[target + (w - 1 - x)] }
            }
        }
    }
    return Tensor(out, shape: input.shape)
}

/// Mirrors the image left–right with probability `p`, like `transforms.RandomHorizontalFlip`.
public struct RandomHorizontalFlip: Transform {
    public let p: Float
    public let generator: RandomGenerator

    public init(p: Float = 0.5, seed: UInt64 = 0) {
        self.p = p
        self.generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        randomlyFlipped(input, p: p, generator: generator, vertical: false)
    }
}

/// Mirrors the image top–bottom with probability `p`, like `transforms.RandomVerticalFlip`.
public struct RandomVerticalFlip: Transform {
    public let p: Float
    public let generator: RandomGenerator

    public init(p: Float = 0.5, seed: UInt64 = 0) {
        self.p = p
        self.generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        randomlyFlipped(input, p: p, generator: generator, vertical: true)
    }
}

/// Turns an RGB image [3, H, W] (or [N, 3, H, W]) into gray by the luma weights 0.2989 R + 0.587 G +
/// 0.114 B, like `transforms.Grayscale` on a tensor, with 1 or 3 (identical) output channels.
/// A one-channel image passes through (copied to `outputChannels`).
public struct Grayscale: Transform {
    public let outputChannels: Int

    public init(outputChannels: Int = 1) {
        precondition(outputChannels == 1 || outputChannels == 3, "Ember: Grayscale gives 1 or 3 channels, not \(outputChannels)")
        self.outputChannels = outputChannels
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let channels = input.rank >= 3 ? input.shape[input.rank - 3] : 1
        guard channels == 3 || channels == 1 else {
            shapeFailure(ShapeError("Grayscale: expects 1 or 3 channels in dim \(input.rank - 3), got shape \(input.shape)"))
        }
        let (n, h, w) = planes(of: input)
        let plane = h * w, images = n / channels
        let values = input.rawFloatValues()
        var out = [Float](repeating: 0, count: images * outputChannels * plane)
        for image in 0..<images {
            let source = image * channels * plane, target = image * outputChannels * plane
            for i in 0..<plane {
                let gray = channels == 1 ? values[source + i]
                    : 0.2989 * values[source + i] + 0.587 * values[source + plane + i] + 0.114 * values[source + 2 * plane + i]
                for c in 0..<outputChannels { out[target + c * plane + i] = gray }
            }
        }
        var shape = input.shape
        if input.rank >= 3 { shape[input.rank - 3] = outputChannels } else if outputChannels == 3 { shape.insert(3, at: 0) }
        return Tensor(out, shape: shape)
    }
}
