/// Local response normalization across channels, like `F.local_response_norm` (AlexNet): each element
/// of an [N, C, *] input is divided by (k + α/size · Σ x²)^β, the sum over the `size` neighbouring
/// channels (size/2 before, (size − 1)/2 after, zeros past the ends).
public func localResponseNorm(_ x: Tensor, size: Int, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 1) -> Tensor {
    guard x.rank >= 3, size > 0 else {
        shapeFailure(ShapeError("localResponseNorm: expects an input [N, C, *] of at least 3 dims and a positive size, "
            + "got shape \(x.shape) and size \(size)"))
    }
    if x.count == 0 { return x }
    let channels = x.shape[1]
    // Pad the squares along the channels, then add `size` shifted windows of them.
    let padding = Array(repeating: 0, count: 2 * (x.rank - 2)) + [size / 2, (size - 1) / 2]
    let squares = pad(x * x, padding)
    var window = squares.narrow(1, start: 0, length: channels)
    for shift in 1..<size { window = window + squares.narrow(1, start: shift, length: channels) }
    return x / ((window / Float(size)) * alpha + k).pow(beta)
}

/// `localResponseNorm` as a layer, like `torch.nn.LocalResponseNorm`.
public final class LocalResponseNorm: Module {
    public let size: Int, alpha: Float, beta: Float, k: Float
    public init(_ size: Int, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 1) {
        precondition(size > 0, "Ember: LocalResponseNorm: size must be positive, got \(size)")
        (self.size, self.alpha, self.beta, self.k) = (size, alpha, beta, k)
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { localResponseNorm(x, size: size, alpha: alpha, beta: beta, k: k) }
    public override var extraDescription: String { "\(size), alpha=\(alpha), beta=\(beta), k=\(k)" }
}
