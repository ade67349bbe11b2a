/// Pooling over the length of [N, C, L] (or unbatched [C, L]) inputs, like `torch.nn.MaxPool1d`,
/// `AvgPool1d` and `AdaptiveAvgPool1d`: the 2-D kernels on views of height 1, so nothing is copied.
/// The stride defaults to the kernel size.

/// Runs a 2-D pooling op on the [N, C, 1, L] view of a 2-D or 3-D input.
private func pooledAlongLength(_ x: Tensor, _ op: String, _ pool: (Tensor) -> Tensor) -> Tensor {
    guard x.rank == 2 || x.rank == 3 else {
        shapeFailure(ShapeError("\(op): expected a 2-D [C, L] or 3-D [N, C, L] input, got shape \(x.shape)"))
    }
    let batched = x.rank == 2 ? x.unsqueeze(0) : x
    let out = pool(batched.unsqueeze(2)).squeeze(2)
    return x.rank == 2 ? out.squeeze(0) : out
}

/// Stops, in 1-D terms, on a window the 2-D kernels would reject (PyTorch's rules: padding at most
/// half the kernel).
private func checkWindow(_ op: String, kernel: Int, stride: Int?, padding: Int, dilation: Int = 1) {
    guard kernel >= 1, (stride ?? 1) >= 1, dilation >= 1, padding >= 0, padding <= kernel / 2 else {
        shapeFailure(ShapeError("\(op): kernel \(kernel), stride \(stride.map(String.init) ?? "nil") and dilation \(dilation) "
            + "must be positive and padding \(padding) between 0 and half the kernel"))
    }
}

/// The maximum of each window along the last dim of [N, C, L] or [C, L]; with `ceilMode` a last
/// partial window that starts inside the input counts too.
public func maxPool1d(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                      ceilMode: Bool = false) -> Tensor {
    maxPool1dWithIndices(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).values
}

/// Max pooling along the length that also returns the winners' int64 positions in it (for
/// `maxUnpool1d`), like `max_pool1d(return_indices=True)`.
public func maxPool1dWithIndices(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                                 ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
    checkWindow("maxPool1d", kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    var indices: Tensor?
    let values = pooledAlongLength(x, "maxPool1d") {
        let pooled = maxPool2dWithIndices($0, kernel: (1, kernel), stride: (1, stride ?? kernel), padding: (0, padding),
                                          dilation: (1, dilation), ceilMode: ceilMode)
        indices = pooled.indices.squeeze(2)
        return pooled.values
    }
    return (values, x.rank == 2 ? indices!.squeeze(0) : indices!)
}

/// The mean of each window along the last dim of [N, C, L] or [C, L]; with `countIncludePad`
/// (PyTorch's default) padding zeros count in the mean; `ceilMode` as `avgPool2d`'s.
public func avgPool1d(_ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                      countIncludePad: Bool = true) -> Tensor {
    checkWindow("avgPool1d", kernel: kernel, stride: stride, padding: padding)
    return pooledAlongLength(x, "avgPool1d") {
        avgPool2d($0, kernel: (1, kernel), stride: (1, stride ?? kernel), padding: (0, padding), ceilMode: ceilMode,
                  countIncludePad: countIncludePad)
    }
}

/// Means over `outputSize` windows that tile the last dim of [N, C, L] or [C, L] (PyTorch's
/// start = ⌊i·L/out⌋, end = ⌈(i+1)·L/out⌉).
public func adaptiveAvgPool1d(_ x: Tensor, outputSize: Int) -> Tensor {
    guard outputSize >= 1 else { shapeFailure(ShapeError("adaptiveAvgPool1d: output size must be positive, got \(outputSize)")) }
    return pooledAlongLength(x, "adaptiveAvgPool1d") { adaptiveAvgPool2d($0, outputSize: (1, outputSize)) }
}

/// Maxima over `outputSize` windows that tile the last dim of [N, C, L] or [C, L] (PyTorch's window
/// bounds, as `adaptiveAvgPool1d`).
public func adaptiveMaxPool1d(_ x: Tensor, outputSize: Int) -> Tensor {
    guard outputSize >= 1 else { shapeFailure(ShapeError("adaptiveMaxPool1d: output size must be positive, got \(outputSize)")) }
    return pooledAlongLength(x, "adaptiveMaxPool1d") { adaptiveMaxPool2d($0, outputSize: (1, outputSize)) }
}

/// Maximum over each window of the length, like `torch.nn.MaxPool1d`. `withIndices(_:)` also returns
/// the winners' positions, as `return_indices=True` does, for `MaxUnpool1d`.
public final class MaxPool1d: Module {
    public let kernelSize: Int, stride: Int, padding: Int, dilation: Int
    public let ceilMode: Bool

    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor { withIndices(x).values }

    /// The pooled values and the winners' int64 positions along the length.
    public func withIndices(_ x: Tensor) -> (values: Tensor, indices: Tensor) {
        maxPool1dWithIndices(x, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public override var extraDescription: String {
        "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=\(dilation), ceil_mode=\(pythonBool(ceilMode))"
    }
}

/// Mean over each window of the length, like `torch.nn.AvgPool1d`.
public final class AvgPool1d: Module {
    public let kernelSize: Int, stride: Int, padding: Int
    public let ceilMode: Bool, countIncludePad: Bool

    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        avgPool1d(x, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }

    public override var extraDescription: String {
        "kernel_size=\(pythonTuple([kernelSize])), stride=\(pythonTuple([stride])), padding=\(pythonTuple([padding]))"
    }
}

/// Means over `outputSize` windows that tile the length, like `torch.nn.AdaptiveAvgPool1d`
/// (`AdaptiveAvgPool1d(1)` averages each channel of a sequence into one value).
public final class AdaptiveAvgPool1d: Module {
    public let outputSize: Int

    public init(_ outputSize: Int) {
        self.outputSize = outputSize
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor { adaptiveAvgPool1d(x, outputSize: outputSize) }
    public override var extraDescription: String { "output_size=\(outputSize)" }
}

/// Maxima over `outputSize` windows that tile the length, like `torch.nn.AdaptiveMaxPool1d`
/// (`AdaptiveMaxPool1d(1)` keeps each channel's largest value over a sequence).
public final class AdaptiveMaxPool1d: Module {
    public let outputSize: Int

    public init(_ outputSize: Int) {
        self.outputSize = outputSize
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor { adaptiveMaxPool1d(x, outputSize: outputSize) }
    public override var extraDescription: String { "output_size=\(outputSize)" }
}
