/// Power-average pooling, like `torch.nn.functional.lp_pool1d/2d/3d` and the `LPPool` layers: each
/// window gives (Σ xᵖ)^(1/p), so p = 1 is sum pooling and a large p approaches max pooling (p = ∞
/// is the maximum of |x|).
/// Computed as PyTorch does, through average pooling of xᵖ times the kernel's size (so a partial
/// window of `ceilMode` is scaled the same way as PyTorch's).

/// (kernel volume · pooled)^(1/p), with PyTorch's sign(·)·relu(|·|) in between (its gradient too).
private func lpPoolFinish(_ pooled: Tensor, normType: Float, kernelVolume: Int) -> Tensor {
    (pooled.sign() * pooled.abs().relu() * Float(kernelVolume)).pow(1 / normType)
}

private func checkNormType(_ normType: Float, _ op: String) {
    guard normType != 0, !normType.isNaN else {
        shapeFailure(ShapeError("\(op): normType must be non-zero, got \(normType)"))
    }
}

/// p = ∞ is the maximum of |x| over each window, and p = −∞ the minimum, as in PyTorch.
private func infiniteNorm(_ x: Tensor, _ normType: Float, _ maxPool: (Tensor) -> Tensor) -> Tensor {
    normType > 0 ? maxPool(x.abs()) : -maxPool(-x.abs())
}

/// (Σ xᵖ)^(1/p) over each window along the last dim of [N, C, L] or [C, L].
public func lpPool1d(_ x: Tensor, normType: Float, kernel: Int, stride: Int? = nil, ceilMode: Bool = false) -> Tensor {
    checkNormType(normType, "lpPool1d")
    if normType.isInfinite { return infiniteNorm(x, normType) { maxPool1d($0, kernel: kernel, stride: stride, ceilMode: ceilMode) } }
    let pooled = avgPool1d(x.pow(normType), kernel: kernel, stride: stride, ceilMode: ceilMode)
    return lpPoolFinish(pooled, normType: normType, kernelVolume: kernel)
}

/// (Σ xᵖ)^(1/p) over each window of [N, C, H, W].
public func lpPool2d(_ x: Tensor, normType: Float, kernel: (Int, Int), stride: (Int, Int)? = nil, ceilMode: Bool = false) -> Tensor {
    checkNormType(normType, "lpPool2d")
    if normType.isInfinite { return infiniteNorm(x, normType) { maxPool2d($0, kernel: kernel, stride: stride, ceilMode: ceilMode) } }
    let pooled = avgPool2d(x.pow(normType), kernel: kernel, stride: stride, ceilMode: ceilMode)
    return lpPoolFinish(pooled, normType: normType, kernelVolume: kernel.0 * kernel.1)
}

/// (Σ xᵖ)^(1/p) over each window of [N, C, D, H, W].
public func lpPool3d(_ x: Tensor, normType: Float, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                     ceilMode: Bool = false) -> Tensor {
    checkNormType(normType, "lpPool3d")
    if normType.isInfinite { return infiniteNorm(x, normType) { maxPool3d($0, kernel: kernel, stride: stride, ceilMode: ceilMode) } }
    let pooled = avgPool3d(x.pow(normType), kernel: kernel, stride: stride, ceilMode: ceilMode)
    return lpPoolFinish(pooled, normType: normType, kernelVolume: kernel.0 * kernel.1 * kernel.2)
}

/// Shared by the LPPool layers: the sizes as given (PyTorch prints them so, `None` for a default
/// stride), the norm and `ceilMode`.
public class LPPoolLayer: Module {
    public let normType: Float
    public let kernelSize: [Int], stride: [Int]?
    public let ceilMode: Bool

    init(normType: Float, kernelSize: [Int], stride: [Int]?, ceilMode: Bool) {
        (self.normType, self.kernelSize, self.stride, self.ceilMode) = (normType, kernelSize, stride, ceilMode)
        super.init()
    }

    public override var extraDescription: String {
        "norm_type=\(normType), kernel_size=\(sizesText(kernelSize)), stride=\(stride.map(sizesText) ?? "None"), "
            + "ceil_mode=\(pythonBool(ceilMode))"
    }
}

/// (Σ xᵖ)^(1/p) over windows of the length, like `torch.nn.LPPool1d`.
public final class LPPool1d: LPPoolLayer {
    public init(normType: Float, kernelSize: Int, stride: Int? = nil, ceilMode: Bool = false) {
        super.init(normType: normType, kernelSize: [kernelSize], stride: stride.map { [$0] }, ceilMode: ceilMode)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        lpPool1d(x, normType: normType, kernel: kernelSize[0], stride: stride?[0], ceilMode: ceilMode)
    }
}

/// (Σ xᵖ)^(1/p) over each window of [N, C, H, W] or [C, H, W], like `torch.nn.LPPool2d`.
public final class LPPool2d: LPPoolLayer {
    public init(normType: Float, kernelSize: (Int, Int), stride: (Int, Int)? = nil, ceilMode: Bool = false) {
        super.init(normType: normType, kernelSize: [kernelSize.0, kernelSize.1], stride: stride.map { [$0.0, $0.1] },
                   ceilMode: ceilMode)
    }

    public convenience init(normType: Float, kernelSize: Int, stride: Int? = nil, ceilMode: Bool = false) {
        self.init(normType: normType, kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, ceilMode: ceilMode)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "LPPool2d") {
            lpPool2d($0, normType: normType, kernel: (kernelSize[0], kernelSize[1]), stride: stride.map { ($0[0], $0[1]) },
                     ceilMode: ceilMode)
        }
    }
}

/// (Σ xᵖ)^(1/p) over each window of [N, C, D, H, W] or [C, D, H, W], like `torch.nn.LPPool3d`.
public final class LPPool3d: LPPoolLayer {
    public init(normType: Float, kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil, ceilMode: Bool = false) {
        super.init(normType: normType, kernelSize: [kernelSize.0, kernelSize.1, kernelSize.2],
                   stride: stride.map { [$0.0, $0.1, $0.2] }, ceilMode: ceilMode)
    }

    public convenience init(normType: Float, kernelSize: Int, stride: Int? = nil, ceilMode: Bool = false) {
        self.init(normType: normType, kernelSize: (kernelSize, kernelSize, kernelSize), stride: stride.map { ($0, $0, $0) },
                  ceilMode: ceilMode)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "LPPool3d", spatialDims: 3) {
            lpPool3d($0, normType: normType, kernel: (kernelSize[0], kernelSize[1], kernelSize[2]),
                     stride: stride.map { ($0[0], $0[1], $0[2]) }, ceilMode: ceilMode)
        }
    }
}
