/// y = x·Wᵀ + b, like `torch.nn.Linear`, in one BLAS call (the fused `linear` op).
///
/// The weight has shape [outFeatures, inFeatures]. Both are initialized like PyTorch:
/// U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)) from the global generator (seed it with `manualSeed`).
open class Linear: Module {
    public let inFeatures: Int
    public let outFeatures: Int
    /// [outFeatures, inFeatures]
    public var weight: Tensor
    /// [outFeatures], or nil without bias.
    public var bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Tensor.zeros([outFeatures, inFeatures], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outFeatures], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    public convenience init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        self.init(inFeatures, outFeatures, bias: bias)
    }

    /// PyTorch's default: kaiming_uniform(a: sqrt(5)) for the weight, U(-1/sqrt(in), 1/sqrt(in)) for the bias.
    open func resetParameters() {
        Init.kaimingUniform(weight, a: Float(5).squareRoot())
        if let bias {
            let bound: Float = inFeatures > 0 ? 1 / Float(inFeatures).squareRoot() : 0
            Init.uniform(bias, low: -bound, high: bound)
        }
    }

    open override func forward(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }

    open override var extraDescription: String {
        "in_features=\(inFeatures), out_features=\(outFeatures), bias=\(pythonBool(bias != nil))"
    }
}

/// The output projection of `MultiheadAttention`, like PyTorch's class of the same name: a `Linear`
/// in every way, named apart (in PyTorch, so that dynamic quantization leaves it alone) and printed so.
public final class NonDynamicallyQuantizableLinear: Linear {}
