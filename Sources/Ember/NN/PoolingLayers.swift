/// Pooling layers over [N, C, H, W] (or unbatched [C, H, W]) inputs, like `torch.nn.MaxPool2d`,
/// `AvgPool2d` and `AdaptiveAvgPool2d`. The stride defaults to the kernel size.

/// Runs a batched op on a batched or unbatched input with `spatialDims` spatial dims (an unbatched
/// input is a batch of one), checking the rank.
func batchedOrNot(_ x: Tensor, _ layer: String, spatialDims: Int = 2, _ op: (Tensor) -> Tensor) -> Tensor {
    isUnbatched(x, layer, spatialDims: spatialDims) ? op(x.unsqueeze(0)).squeeze(0) : op(x)
}

/// The same for max pooling with indices: both results lose the batch dim an unbatched input gained.
func batchedOrNot(_ x: Tensor, _ layer: String, spatialDims: Int = 2,
                  _ op: (Tensor) -> (values: Tensor, indices: Tensor)) -> (values: Tensor, indices: Tensor) {
    guard isUnbatched(x, layer, spatialDims: spatialDims) else { return op(x) }
    let pooled = op(x.unsqueeze(0))
    return (pooled.values.squeeze(0), pooled.indices.squeeze(0))
}

/// Whether `x` is one unbatched [C, *spatial] input rather than [N, C, *spatial]; stops on any other rank.
private func isUnbatched(_ x: Tensor, _ layer: String, spatialDims: Int) -> Bool {
    let dims = spatialDims == 3 ? "D, H, W" : "H, W"
    guard x.rank == spatialDims + 1 || x.rank == spatialDims + 2 else {
        shapeFailure(ShapeError("\(layer): expected a \(spatialDims + 1)-D [C, \(dims)] or \(spatialDims + 2)-D [N, C, \(dims)] "
            + "input, got shape \(x.shape)"))
    }
    return x.rank == spatialDims + 1
}

/// Sizes as PyTorch prints what it was given: `2` when all are equal, `(2, 3)` otherwise.
func sizesText(_ sizes: [Int]) -> String { Set(sizes).count == 1 ? "\(sizes[0])" : pythonTuple(sizes) }

/// A pair as PyTorch prints what it was given: `2` for a square (2, 2), `(2, 3)` otherwise.
private func pairText(_ p: (Int, Int)) -> String { sizesText([p.0, p.1]) }

/// Maximum over each window, like `torch.nn.MaxPool2d`. `withIndices(_:)` also returns the winners'
/// indices, as `return_indices=True` does, for `MaxUnpool2d`.
public final class MaxPool2d: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let ceilMode: Bool

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
        super.init()
    }

    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding),
                  dilation: (dilation, dilation), ceilMode: ceilMode)
    }

    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.init(kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public override func forward(_ x: Tensor) -> Tensor { withIndices(x).values }

    /// The pooled values and the winners' int64 indices into each H·W plane.
    public func withIndices(_ x: Tensor) -> (values: Tensor, indices: Tensor) {
        batchedOrNot(x, "MaxPool2d") {
            maxPool2dWithIndices($0, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
    }

    public override var extraDescription: String {
        "kernel_size=\(pairText(kernelSize)), stride=\(pairText(stride)), padding=\(pairText(padding)), "
            + "dilation=\(pairText(dilation)), ceil_mode=\(pythonBool(ceilMode))"
    }
}

/// Mean over each window, like `torch.nn.AvgPool2d`. With `countIncludePad` (PyTorch's default)
/// padding zeros count in the mean; `divisorOverride` divides every window's sum by that number.
public final class AvgPool2d: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    public let ceilMode: Bool, countIncludePad: Bool
    public let divisorOverride: Int?

    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
        super.init()
    }

    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                            countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.init(kernelSize: (kernelSize, kernelSize), stride: stride.map { ($0, $0) }, padding: (padding, padding),
                  ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }

    public convenience init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                            countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.init(kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad,
                  divisorOverride: divisorOverride)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "AvgPool2d") {
            avgPool2d($0, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                      countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        }
    }

    public override var extraDescription: String {
        "kernel_size=\(pairText(kernelSize)), stride=\(pairText(stride)), padding=\(pairText(padding))"
    }
}

/// Average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool2d`.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)

    public init(outputSize: (Int, Int)) {
        precondition(outputSize.0 > 0 && outputSize.1 > 0,
                     "Ember: AdaptiveAvgPool2d: output size must be positive, got \(outputSize)")
        self.outputSize = outputSize
        super.init()
    }

    public convenience init(_ outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }
    public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "AdaptiveAvgPool2d") { adaptiveAvgPool2d($0, outputSize: outputSize) }
    }

    public override var extraDescription: String { "output_size=\(pairText(outputSize))" }
}

/// Max pooling to a fixed output size, like `torch.nn.AdaptiveMaxPool2d`: `AdaptiveMaxPool2d(1)` keeps
/// each channel's largest activation.
public final class AdaptiveMaxPool2d: Module {
    public let outputSize: (Int, Int)

    public init(outputSize: (Int, Int)) {
        precondition(outputSize.0 > 0 && outputSize.1 > 0,
                     "Ember: AdaptiveMaxPool2d: output size must be positive, got \(outputSize)")
        self.outputSize = outputSize
        super.init()
    }

    public convenience init(_ outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }
    public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "AdaptiveMaxPool2d") { adaptiveMaxPool2d($0, outputSize: outputSize) }
    }

    public override var extraDescription: String { "output_size=\(pairText(outputSize))" }
}
