import Foundation

/// How `interpolate` computes the new pixels, by PyTorch's names.
public enum InterpolationMode: String, Sendable {
    /// Each output pixel copies the input pixel its position falls in.
    case nearest
    /// Linear between the two nearest input samples of an [N, C, L] input.
    case linear
    /// Linear along H, then along W, of an [N, C, H, W] input.
    case bilinear
}

/// Resizes the spatial dims of `x` ([N, C, L] or [N, C, H, W]) to `size`, or by `scaleFactor`, like
/// `torch.nn.functional.interpolate` with mode "nearest", "linear" or "bilinear". With `alignCorners`
/// (linear and bilinear only) the corner pixels of input and output line up; otherwise pixels are areas and their
/// centres line up, as in PyTorch's default.
///
/// With `antialias` (bilinear only) a shrinking resize averages over every input pixel an output pixel
/// covers, with a triangle filter widened by the scale, as PIL and `antialias=True` do; without it, a
/// large reduction samples only two pixels per output pixel and aliases.
///
/// Nearest picks rows and columns by index (`indexSelect`). Linear multiplies by one interpolation
/// matrix per dim, A [out, in] with two weights per row (more with antialias): x·A_Wᵀ, then A_H·that.
/// Both are differentiable.
public func interpolate(_ x: Tensor, size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: InterpolationMode = .nearest,
                        alignCorners: Bool = false, antialias: Bool = false) -> Tensor {
    let spatial = x.rank - 2
    guard spatial == 1 || spatial == 2 else {
        shapeFailure(ShapeError("interpolate: expects [N, C, L] or [N, C, H, W], got shape \(x.shape)"))
    }
    guard (size == nil) != (scaleFactor == nil), (size?.count ?? scaleFactor?.count) == spatial else {
        shapeFailure(ShapeError("interpolate: give exactly one of size or scaleFactor, with \(spatial) value(s) for the "
            + "spatial dims of shape \(x.shape); got size \(size.map { "\($0)" } ?? "nil"), scaleFactor "
            + "\(scaleFactor.map { "\($0)" } ?? "nil")"))
    }
    guard mode == .nearest || (mode == .linear) == (spatial == 1) else {
        shapeFailure(ShapeError("interpolate: mode \(mode.rawValue) needs a \(mode == .linear ? "3-D [N, C, L]" : "4-D [N, C, H, W]") "
            + "input, got shape \(x.shape)"))
    }
    precondition(!(alignCorners && mode == .nearest),
                 "Ember: interpolate: alignCorners only applies to linear and bilinear modes, not nearest")
    precondition(!antialias || mode == .bilinear, "Ember: interpolate: antialias applies to bilinear mode only, not \(mode.rawValue)")
    var out = x
    for d in 0..<spatial {
        let input = x.shape[2 + d]
        let output = size?[d] ?? Int((Double(input) * scaleFactor![d]).rounded(.down))
        guard output > 0, input > 0 else {
            shapeFailure(ShapeError("interpolate: dim \(2 + d) of shape \(x.shape) would become \(output); sizes must be positive"))
        }
        // Source coordinate per output step: in/out for a given size, 1/scale for a given factor (as PyTorch).
        let step = scaleFactor.map { 1 / $0[d] } ?? Double(input) / Double(output)
        // Nearest picks in float32 like PyTorch (floorf(i·scale)): in double, values near a whole
        // number round the other way and pick the neighbouring pixel.
        let nearestStep = Float(step)
        let dim = 2 + d
        switch mode {
        case .nearest:
            let picks = (0..<output).map { Swift.min(Int((Float($0) * nearestStep).rounded(.down)), input - 1) }
            out = out.indexSelect(dim: dim, indices: Tensor(picks, device: x.device))
        case .linear, .bilinear:
            let weights = antialias
                ? antialiasedLinearMatrix(input: input, output: output, alignCorners: alignCorners,
                                          scale: scaleFactor.map { 1 / $0[d] })
                : linearInterpolationMatrix(input: input, output: output, step: step, alignCorners: alignCorners)
            let matrix = Tensor(weights, shape: [output, input], device: x.device)
            // Along the last dim: x·Aᵀ; along the one before: A·x.
            out = dim == x.rank - 1 ? out.matmul(matrix.t()) : matrix.matmul(out)
        }
    }
    return out
}

/// The [output, input] matrix of linear interpolation along one dim: row i holds the weights (1 − λ, λ)
/// of the two input pixels around output pixel i's source coordinate.
private func linearInterpolationMatrix(input: Int, output: Int, step: Double, alignCorners: Bool) -> [Float] {
    var weights = [Float](repeating: 0, count: output * input)
    for i in 0..<output {
        let source: Double
        if alignCorners {
            source = output > 1 ? Double(i) * Double(input - 1) / Double(output - 1) : 0
        } else {
            source = Swift.max((Double(i) + 0.5) * step - 0.5, 0)
        }
        let low = Swift.min(Int(source.rounded(.down)), input - 1)
        let high = Swift.min(low + 1, input - 1)
        let lambda = Float(source - Double(low))
        weights[i * input + low] += 1 - lambda
        weights[i * input + high] += lambda
    }
    return weights
}

/// The [output, input] matrix of antialiased linear interpolation (PIL's and PyTorch's `antialias=True`):
/// output pixel i averages the input pixels within `support` of its centre with triangle weights, the
/// triangle widened by the scale when shrinking, then normalised to sum to 1. `alignCorners` changes only
/// the scale ((in − 1) / (out − 1)), not the pixel centres, as in PyTorch's float kernels.
private func antialiasedLinearMatrix(input: Int, output: Int, alignCorners: Bool, scale given: Double?) -> [Float] {
    let scale = alignCorners ? (output > 1 ? Double(input - 1) / Double(output - 1) : 0) : given ?? Double(input) / Double(output)
    let support = scale >= 1 ? scale : 1
    let inverseScale = scale >= 1 ? 1 / scale : 1
    var weights = [Float](repeating: 0, count: output * input)
    for i in 0..<output {
        let center = scale * (Double(i) + 0.5)
        let low = Swift.max(Int(center - support + 0.5), 0)
        let high = Swift.min(Int(center + support + 0.5), input)
        guard high > low else { continue }
        var row = [Double](repeating: 0, count: high - low)
        for j in low..<high {
            row[j - low] = Swift.max(0, 1 - abs((Double(j) - center + 0.5) * inverseScale))
        }
        let total = row.reduce(0, +)
        for j in low..<high { weights[i * input + j] = Float(total != 0 ? row[j - low] / total : row[j - low]) }
    }
    return weights
}

/// `interpolate` as a layer, like `torch.nn.Upsample`: `Upsample(scaleFactor: 2)` doubles H and W
/// (nearest); `Upsample(scaleFactor: 2, mode: .bilinear)` interpolates.
public final class Upsample: Module {
    public let size: [Int]?, scaleFactor: Double?, mode: InterpolationMode, alignCorners: Bool

    public init(size: [Int]? = nil, scaleFactor: Double? = nil, mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        precondition((size == nil) != (scaleFactor == nil), "Ember: Upsample: give exactly one of size or scaleFactor")
        self.size = size
        self.scaleFactor = scaleFactor
        self.mode = mode
        self.alignCorners = alignCorners
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        interpolate(x, size: size, scaleFactor: scaleFactor.map { [Double](repeating: $0, count: Swift.max(x.rank - 2, 0)) },
                    mode: mode, alignCorners: alignCorners)
    }

    public override var extraDescription: String {
        let target = size.map { "size=\(pythonTuple($0))" } ?? "scale_factor=\(scaleFactor!)"
        return "\(target), mode='\(mode.rawValue)'"   // PyTorch's repr leaves align_corners out
    }
}
