import Foundation

/// An invertible, element-wise map of values with a known Jacobian, like PyTorch's
/// `torch.distributions.transforms`: `TransformedDistribution` pushes a distribution through a chain
/// of them (a log-normal is a normal through `ExpTransform`; a squashed Gaussian policy is a normal
/// through `TanhTransform`). Write your own by conforming to it.
public protocol DistributionTransform {
    /// y = f(x).
    func callAsFunction(_ x: Tensor) -> Tensor
    /// x = f⁻¹(y).
    func inverse(_ y: Tensor) -> Tensor
    /// log |f′(x)| element by element; y = f(x) is given too, for transforms that use it.
    func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor
    /// +1 where f increases, −1 where it decreases (a tensor that broadcasts against values): lets
    /// `TransformedDistribution.cdf` turn the base's cdf into the new one.
    var sign: Tensor { get }
    /// The shape of f(x) for x of `shape`: the same, or broadcast with the transform's parameters.
    func forwardShape(_ shape: [Int]) -> [Int]
}

extension DistributionTransform {
    public var sign: Tensor { Tensor(Float(1)) }
    public func forwardShape(_ shape: [Int]) -> [Int] { shape }
}

/// `shape` broadcast with a transform's parameters, naming the transform when they do not broadcast.
private func broadcastShape(_ shape: [Int], _ parameters: [Tensor], _ transform: String) -> [Int] {
    parameters.reduce(shape) { shape, parameter in
        checkShape { () throws(ShapeError) in try Shape.broadcast(shape, parameter.shape, op: transform) }
    }
}

/// y = eˣ, like PyTorch's `ExpTransform`: positive values from real ones.
public struct ExpTransform: DistributionTransform {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.exp() }
    public func inverse(_ y: Tensor) -> Tensor { y.log() }
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor { x }
}

/// y = loc + scale·x, like PyTorch's `AffineTransform` (parameters broadcast against values).
public struct AffineTransform: DistributionTransform {
    public let loc: Tensor
    public let scale: Tensor

    public init(loc: Tensor, scale: Tensor) { (self.loc, self.scale) = (loc, scale) }
    public init(loc: Float, scale: Float) { self.init(loc: Tensor(loc), scale: Tensor(scale)) }

    public func callAsFunction(_ x: Tensor) -> Tensor { loc + scale * x }
    public func inverse(_ y: Tensor) -> Tensor { (y - loc) / scale }
    /// log |scale|, at the shape of x broadcast with the parameters.
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor {
        let shape = checkShape { () throws(ShapeError) in try Shape.broadcast(x.shape, scale.shape, op: "AffineTransform") }
        return scale.abs().log().expand(shape)
    }
    public var sign: Tensor { scale.sign() }
    public func forwardShape(_ shape: [Int]) -> [Int] { broadcastShape(shape, [loc, scale], "AffineTransform") }
}

/// y = 1 / (1 + e⁻ˣ), like PyTorch's `SigmoidTransform`: values in (0, 1). The output is kept inside
/// the open interval so that the inverse stays finite.
public struct SigmoidTransform: DistributionTransform {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid().clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne) }
    public func inverse(_ y: Tensor) -> Tensor {
        let clamped = y.clamp(min: Float.leastNormalMagnitude, max: 1 - Float.ulpOfOne)
        return clamped.log() - (-clamped).log1p()
    }
    /// log σ′(x) = −softplus(−x) − softplus(x), stable for large |x|.
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor { -(-x).softplus() - x.softplus() }
}

/// y = tanh x, like PyTorch's `TanhTransform`: values in (−1, 1), as SAC squashes its actions.
public struct TanhTransform: DistributionTransform {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
    public func inverse(_ y: Tensor) -> Tensor { y.atanh() }
    /// log(1 − tanh² x) written as 2·(log 2 − x − softplus(−2x)), which stays finite for large |x|.
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor {
        ((-2 * x).softplus() + x - Float(Foundation.log(2.0))) * -2
    }
}

/// y = log(1 + eˣ), like PyTorch's `SoftplusTransform`: positive values that grow like x.
public struct SoftplusTransform: DistributionTransform {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.softplus() }
    public func inverse(_ y: Tensor) -> Tensor { y + (-(-y).expm1()).log() }
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor { -(-x).softplus() }
}

/// y = xᵉ for positive x, like PyTorch's `PowerTransform`.
public struct PowerTransform: DistributionTransform {
    public let exponent: Tensor

    public init(_ exponent: Tensor) { self.exponent = exponent }
    public init(_ exponent: Float) { self.init(Tensor(exponent)) }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.pow(exponent) }
    public func inverse(_ y: Tensor) -> Tensor { y.pow(1 / exponent) }
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor { (exponent * y / x).abs().log() }
    public var sign: Tensor { exponent.sign() }
    public func forwardShape(_ shape: [Int]) -> [Int] { broadcastShape(shape, [exponent], "PowerTransform") }
}

/// Transforms applied one after another (the first one first), like PyTorch's `ComposeTransform`.
public struct ComposeTransform: DistributionTransform {
    public let parts: [any DistributionTransform]

    public init(_ parts: [any DistributionTransform]) { self.parts = parts }

    public func callAsFunction(_ x: Tensor) -> Tensor { parts.reduce(x) { $1($0) } }
    public func inverse(_ y: Tensor) -> Tensor { parts.reversed().reduce(y) { $1.inverse($0) } }
    /// The sum of the parts' terms, each at its own input and output.
    public func logAbsDetJacobian(_ x: Tensor, _ y: Tensor) -> Tensor {
        guard !parts.isEmpty else { return Tensor.zeros(x.shape, device: x.device) }
        var input = x
        var terms: [Tensor] = []
        for (index, part) in parts.enumerated() {
            // The last part's output is y itself; the ones before are recomputed.
            let output = index == parts.count - 1 ? y : part(input)
            terms.append(part.logAbsDetJacobian(input, output))
            input = output
        }
        return terms.dropFirst().reduce(terms[0], +)
    }
    public var sign: Tensor { parts.reduce(Tensor(Float(1))) { $0 * $1.sign } }
    public func forwardShape(_ shape: [Int]) -> [Int] { parts.reduce(shape) { $1.forwardShape($0) } }
}
