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
        case "linear", "identity", "sigmoid": return 1
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
}
