import Foundation

/// Weight initializers, like `torch.nn.init`. Each fills a tensor in place (under `noGrad`) from the
/// global generator (or the one given) and returns it.
public enum Init {
    /// Fan-in and fan-out of a weight: [out, in, k...] has fan-in `in·k...` and fan-out `out·k...`.
    public static func fans(_ t: Tensor) -> (fanIn: Int, fanOut: Int) {
        precondition(t.rank >= 2, "Ember: Init: fan in and fan out need a tensor with at least 2 dims, got \(t.shape)")
        let receptive = t.shape.dropFirst(2).reduce(1, *)
        return (t.shape[1] * receptive, t.shape[0] * receptive)
    }

    /// The recommended gain for a nonlinearity ("linear", "sigmoid", "tanh", "relu", "leaky_relu").
    public static func gain(_ nonlinearity: String, param: Float? = nil) -> Float {
        switch nonlinearity {
        case "linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d": return 1
        case "tanh": return 5.0 / 3
        case "relu": return Float(2).squareRoot()
        case "leaky_relu":
            let slope = param ?? 0.01
            return (2 / (1 + slope * slope)).squareRoot()
        case "selu": return 0.75
        default: fatalError("Ember: Init.gain: unsupported nonlinearity \(nonlinearity)")
        }
    }

    @discardableResult
    public static func uniform(_ t: Tensor, low: Float = 0, high: Float = 1, generator: RandomGenerator = .global) -> Tensor {
        noGrad { t.copy_(Tensor.rand(t.shape, low: low, high: high, generator: generator, device: t.device)) }
    }

    @discardableResult
    public static func normal(_ t: Tensor, mean: Float = 0, std: Float = 1, generator: RandomGenerator = .global) -> Tensor {
        noGrad { t.copy_(Tensor.randn(t.shape, mean: mean, std: std, generator: generator, device: t.device)) }
    }

    @discardableResult
    public static func constant(_ t: Tensor, _ value: Float) -> Tensor { noGrad { t.fill_(value) } }
    @discardableResult
    public static func zeros(_ t: Tensor) -> Tensor { constant(t, 0) }
    @discardableResult
    public static func ones(_ t: Tensor) -> Tensor { constant(t, 1) }

    /// U(-b, b) with b = gain·sqrt(6 / (fanIn + fanOut)).
    @discardableResult
    public static func xavierUniform(_ t: Tensor, gain: Float = 1, generator: RandomGenerator = .global) -> Tensor {
        let (fanIn, fanOut) = fans(t)
        let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
        return uniform(t, low: -bound, high: bound, generator: generator)
    }

    /// N(0, std²) with std = gain·sqrt(2 / (fanIn + fanOut)).
    @discardableResult
    public static func xavierNormal(_ t: Tensor, gain: Float = 1, generator: RandomGenerator = .global) -> Tensor {
        let (fanIn, fanOut) = fans(t)
        return normal(t, std: gain * (2 / Float(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    /// U(-b, b) with b = gain·sqrt(3 / fan), gain from `nonlinearity` and `a` (the leaky slope).
    /// `kaimingUniform(w, a: sqrt(5))` is PyTorch's default for Linear: b = 1/sqrt(fanIn).
    @discardableResult
    public static func kaimingUniform(_ t: Tensor, a: Float = 0, fanOut useFanOut: Bool = false,
                                      nonlinearity: String = "leaky_relu", generator: RandomGenerator = .global) -> Tensor {
        let (fanIn, fanOut) = fans(t)
        let std = gain(nonlinearity, param: a) / Float(useFanOut ? fanOut : fanIn).squareRoot()
        let bound = Float(3).squareRoot() * std
        return uniform(t, low: -bound, high: bound, generator: generator)
    }

    /// N(0, std²) with std = gain / sqrt(fan).
    @discardableResult
    public static func kaimingNormal(_ t: Tensor, a: Float = 0, fanOut useFanOut: Bool = false,
                                     nonlinearity: String = "leaky_relu", generator: RandomGenerator = .global) -> Tensor {
        let (fanIn, fanOut) = fans(t)
        return normal(t, std: gain(nonlinearity, param: a) / Float(useFanOut ? fanOut : fanIn).squareRoot(),
                      generator: generator)
    }

    /// N(mean, std²) restricted to [a, b], like `torch.nn.init.trunc_normal_` (the ViT default with
    /// std 0.02): uniform draws between the bounds' normal CDF values mapped through the inverse CDF,
    /// so no draw is rejected.
    @discardableResult
    public static func truncNormal(_ t: Tensor, mean: Float = 0, std: Float = 1, a: Float = -2, b: Float = 2,
                                   generator: RandomGenerator = .global) -> Tensor {
        precondition(a < b && std > 0, "Ember: Init.truncNormal: needs a < b and std > 0, got a \(a), b \(b), std \(std)")
        func cdf(_ x: Float) -> Float { Float((1 + Foundation.erf(Double((x - mean) / std) / 2.0.squareRoot())) / 2) }
        let (low, high) = (2 * cdf(a) - 1, 2 * cdf(b) - 1)
        return noGrad {
            let u = Tensor.rand(t.shape, low: low, high: high, generator: generator, device: t.device)
            return t.copy_((u.erfinv() * (std * Float(2).squareRoot()) + mean).clamp(min: a, max: b))
        }
    }

    /// A (semi-)orthogonal matrix times `gain`, like `torch.nn.init.orthogonal_`: the Q of a Gaussian
    /// matrix's QR (signs fixed by R's diagonal, so Q is uniform over orthogonal matrices). The tensor
    /// is seen as [size(0), rest]; its rows (or columns, whichever are fewer) come out orthonormal.
    @discardableResult
    public static func orthogonal(_ t: Tensor, gain: Float = 1, generator: RandomGenerator = .global) -> Tensor {
        precondition(t.rank >= 2, "Ember: Init.orthogonal: needs a tensor with at least 2 dims, got \(t.shape)")
        let rows = t.shape[0], cols = t.count / Swift.max(rows, 1)
        guard t.count > 0 else { return t }
        return noGrad {
            var flat = Tensor.randn([rows, cols], generator: generator)
            if rows < cols { flat = flat.mT }
            let (q, r) = Linalg.qr(flat)
            var orthogonal = q * r.diagonal().sign()
            if rows < cols { orthogonal = orthogonal.mT }
            return t.copy_((orthogonal * gain).reshape(t.shape).to(t.device))
        }
    }

    /// The identity matrix (ones on the main diagonal of a 2-D tensor, zeros elsewhere), like
    /// `torch.nn.init.eye_`: a linear layer that starts as the identity.
    @discardableResult
    public static func eye(_ t: Tensor) -> Tensor {
        precondition(t.rank == 2, "Ember: Init.eye: needs a 2-D tensor, got \(t.shape)")
        return noGrad { t.copy_(Tensor.eye(t.shape[0], t.shape[1], device: t.device)) }
    }

    /// The Dirac delta, like `torch.nn.init.dirac_`: a convolution weight [out, in, k...] (3 to 5 dims)
    /// that passes each of the first min(out, in) input channels of every group through unchanged,
    /// a one at the kernel's centre.
    @discardableResult
    public static func dirac(_ t: Tensor, groups: Int = 1) -> Tensor {
        precondition((3...5).contains(t.rank) && groups > 0 && t.shape[0] % groups == 0,
                     "Ember: Init.dirac: needs a 3-, 4- or 5-D weight whose first dim divides into \(groups) groups, "
                        + "got \(t.shape)")
        let perGroup = t.shape[0] / groups
        let strides = Shape.contiguousStrides(t.shape)
        let centre = t.shape.dropFirst(2).enumerated().reduce(0) { $0 + ($1.element / 2) * strides[$1.offset + 2] }
        var values = [Float](repeating: 0, count: t.count)
        for group in 0..<groups {
            for channel in 0..<Swift.min(perGroup, t.shape[1]) {
                values[(group * perGroup + channel) * strides[0] + channel * strides[1] + centre] = 1
            }
        }
        return noGrad { t.copy_(Tensor(values, shape: t.shape, device: t.device)) }
    }

    /// A sparse 2-D matrix, like `torch.nn.init.sparse_`: N(0, std²) except a `sparsity` fraction of
    /// each column (rounded up), zeroed at random rows.
    @discardableResult
    public static func sparse(_ t: Tensor, sparsity: Double, std: Float = 0.01, generator: RandomGenerator = .global) -> Tensor {
        precondition(t.rank == 2 && (0...1).contains(sparsity),
                     "Ember: Init.sparse: needs a 2-D tensor and a sparsity in [0, 1], got \(t.shape) and \(sparsity)")
        let (rows, cols) = (t.shape[0], t.shape[1])
        let zeros = Int((sparsity * Double(rows)).rounded(.up))
        var values = Tensor.randn([rows, cols], std: std, generator: generator).toArray()
        for col in 0..<cols {
            for row in generator.permutation(rows).prefix(zeros) { values[row * cols + col] = 0 }
        }
        return noGrad { t.copy_(Tensor(values, shape: t.shape, device: t.device)) }
    }
}
