/// Root-mean-square normalization of `x` over its last `normalizedShape.count` dims, like
/// `torch.nn.functional.rms_norm`: x / √(mean(x²) + eps), then · weight (of shape `normalizedShape`,
/// when given). `eps` nil is float32's machine epsilon (2⁻²³), PyTorch's default.
public func rmsNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, eps: Float? = nil) -> Tensor {
    let k = normalizedShape.count
    guard k >= 1, x.rank >= k, Array(x.shape.suffix(k)) == normalizedShape else {
        shapeFailure(ShapeError("rmsNorm: input of shape \(x.shape) does not end in the normalized shape \(normalizedShape)"))
    }
    if let weight, weight.shape != normalizedShape {
        shapeFailure(ShapeError("rmsNorm: weight of shape \(weight.shape) does not match the normalized shape \(normalizedShape)"))
    }
    let dims = Array((x.rank - k)..<x.rank)
    let normalized = x * (x.square().mean(dims: dims, keepdim: true) + (eps ?? Float.ulpOfOne)).rsqrt()
    return weight.map { normalized * $0 } ?? normalized
}

/// RMS normalization, like `torch.nn.RMSNorm` (as in LLaMA and T5): scales each sample by the
/// reciprocal root mean square over its last dims (`normalizedShape`), with a learned `weight`
/// (ones) of that shape when `elementwiseAffine`. No centering and no bias, unlike `LayerNorm`.
/// State-dict entry: `weight`.
open class RMSNorm: Module {
    public let normalizedShape: [Int]
    /// nil: float32's machine epsilon, as PyTorch's `eps=None`.
    public let eps: Float?
    public var weight: Tensor?

    public init(_ normalizedShape: [Int], eps: Float? = nil, elementwiseAffine: Bool = true) {
        precondition(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
                     "Ember: RMSNorm needs a non-empty shape of positive sizes, got \(normalizedShape)")
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, requiresGrad: true) : nil
        super.init()
    }

    /// Normalizes over the last dim, of size `features`.
    public convenience init(_ features: Int, eps: Float? = nil, elementwiseAffine: Bool = true) {
        self.init([features], eps: eps, elementwiseAffine: elementwiseAffine)
    }

    open override func forward(_ x: Tensor) -> Tensor {
        rmsNorm(x, normalizedShape: normalizedShape, weight: weight, eps: eps)
    }

    open override var extraDescription: String {
        "\(pythonTuple(normalizedShape)), eps=\(eps.map { "\($0)" } ?? "None"), elementwise_affine=\(pythonBool(weight != nil))"
    }
}
