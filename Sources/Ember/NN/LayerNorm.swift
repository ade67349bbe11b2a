/// Layer normalization of `x` over its last `normalizedShape.count` dims, like
/// `torch.nn.functional.layer_norm`: (x − mean) / √(biased variance + eps), then · weight + bias
/// (each of shape `normalizedShape`, when given).
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
    let k = normalizedShape.count
    guard k >= 1, x.rank >= k, Array(x.shape.suffix(k)) == normalizedShape else {
        shapeFailure(ShapeError("layerNorm: input of shape \(x.shape) does not end in the normalized shape \(normalizedShape)"))
    }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t, t.shape != normalizedShape {
            shapeFailure(ShapeError("layerNorm: \(name) of shape \(t.shape) does not match the normalized shape \(normalizedShape)"))
        }
    }
    x.checkSameDevice("layerNorm", weight, bias)
    for case let (name, t?) in [("input", x), ("weight", weight), ("bias", bias)] where t.dtype != .float32 {
        shapeFailure(ShapeError("layerNorm: the \(name) must be float32, got \(t.dtype) (convert it with .float())"))
    }
    // One kernel each way over [rows, cols] (cols: the normalized elements of one sample).
    let cols = Shape.count(normalizedShape), rows = x.count / Swift.max(cols, 1)
    let (output, mean, rstd) = x.backend.layerNorm(x.view, weight: weight?.view, bias: bias?.view, rows: rows, cols: cols,
                                                   eps: eps)
    let (means, rstds) = (Tensor.result(mean, shape: [rows]), Tensor.result(rstd, shape: [rows]))
    let inputs = [x] + [weight, bias].compactMap { $0 }, saved = [x] + [weight].compactMap { $0 }   // backward never reads the bias
    return Tensor.result(output, shape: x.shape).recording("layerNorm", inputs: inputs, saving: saved) { g in
        if Tensor.isRecordingBackward {
            return Tensor.recomputedGradients(of: inputs, outputGradient: g) {
                let dims = Array((x.rank - k)..<x.rank)
                let centered = x - x.mean(dims: dims, keepdim: true)
                let normalized = centered * (centered.square().mean(dims: dims, keepdim: true) + eps).rsqrt()
                let scaled = weight.map { normalized * $0 } ?? normalized
                return bias.map { scaled + $0 } ?? scaled
            }
        }
        let (dx, dw, db) = g.backend.layerNormBackward(g.view, x.view, mean: means.view, rstd: rstds.view, weight: weight?.view,
                                                       rows: rows, cols: cols,
                                                       parameterGrads: weight?.requiresGrad == true || bias?.requiresGrad == true)
        var grads: [Tensor?] = [x.requiresGrad ? Tensor.result(dx, shape: x.shape) : nil]
        if let weight { grads.append(weight.requiresGrad ? dw.map { Tensor.result($0, shape: normalizedShape) } : nil) }
        if let bias { grads.append(bias.requiresGrad ? db.map { Tensor.result($0, shape: normalizedShape) } : nil) }
        return grads
    }
}

/// Layer normalization, like `torch.nn.LayerNorm`: normalizes each sample over its last dims
/// (`normalizedShape`), with a learned `weight` (ones) and `bias` (zeros) of that shape when
/// `elementwiseAffine`. The same in training and evaluation. State-dict entries: `weight`, `bias`.
open class LayerNorm: Module {
    public let normalizedShape: [Int]
    public let eps: Float
    public var weight: Tensor?
    public var bias: Tensor?

    public init(_ normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        precondition(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
                     "Ember: LayerNorm needs a non-empty shape of positive sizes, got \(normalizedShape)")
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Tensor.ones(normalizedShape, requiresGrad: true) : nil
        self.bias = elementwiseAffine && bias ? Tensor.zeros(normalizedShape, requiresGrad: true) : nil
        super.init()
    }

    /// Normalizes over the last dim, of size `features`.
    public convenience init(_ features: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.init([features], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias)
    }

    open override func forward(_ x: Tensor) -> Tensor {
        layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }

    open override var extraDescription: String {
        "\(pythonTuple(normalizedShape)), eps=\(eps), elementwise_affine=\(pythonBool(weight != nil)), bias=\(pythonBool(bias != nil))"
    }
}
