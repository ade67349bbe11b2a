/// y = x1ᵀ·A·x2 + b for each pair of rows, like `torch.nn.functional.bilinear`: inputs [*, in1] and
/// [*, in2], weight [out, in1, in2], optional bias [out]; output [*, out].
public func bilinear(_ x1: Tensor, _ x2: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    guard weight.rank == 3, x1.rank >= 1, x1.shape.last == weight.shape[1], x2.shape.last == weight.shape[2],
          Array(x1.shape.dropLast()) == Array(x2.shape.dropLast()) else {
        shapeFailure(ShapeError("bilinear: inputs \(x1.shape) and \(x2.shape) do not fit weight \(weight.shape) "
            + "(expected [*, \(weight.rank == 3 ? weight.shape[1] : -1)] and [*, \(weight.rank == 3 ? weight.shape[2] : -1)])"))
    }
    let lead = Array(x1.shape.dropLast())
    let out = einsum("bi,oij,bj->bo", [x1.reshape([-1, weight.shape[1]]), weight, x2.reshape([-1, weight.shape[2]])])
    let shaped = out.reshape(lead + [weight.shape[0]])
    return bias.map { shaped + $0 } ?? shaped
}

/// A bilinear layer, like `torch.nn.Bilinear`: `Bilinear(in1, in2, out)(x1, x2)`. Weight and bias start
/// as U(±1/√in1), as PyTorch's. State-dict entries: `weight` [out, in1, in2], `bias` [out].
open class Bilinear: Module {
    public var weight: Tensor
    public var bias: Tensor?

    public init(_ in1Features: Int, _ in2Features: Int, _ outFeatures: Int, bias: Bool = true) {
        precondition(in1Features > 0 && in2Features > 0 && outFeatures > 0,
                     "Ember: Bilinear: sizes must be positive, got \(in1Features), \(in2Features), \(outFeatures)")
        let bound = 1 / Float(in1Features).squareRoot()
        weight = Init.uniform(Tensor.zeros([outFeatures, in1Features, in2Features]), low: -bound, high: bound)
            .requiringGrad()
        self.bias = bias ? Init.uniform(Tensor.zeros([outFeatures]), low: -bound, high: bound).requiringGrad() : nil
        super.init()
    }

    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor {
        refreshParametrizations()
        return bilinear(x1, x2, weight: weight, bias: bias)
    }

    open override var extraDescription: String {
        "in1_features=\(weight.shape[1]), in2_features=\(weight.shape[2]), out_features=\(weight.shape[0]), "
            + "bias=\(pythonBool(bias != nil))"
    }
}
