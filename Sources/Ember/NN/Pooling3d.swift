/// Pooling over [N, C, D, H, W] inputs (or unbatched [C, D, H, W] in the layers), like PyTorch's
/// `max_pool3d`, `avg_pool3d`, `adaptive_avg_pool3d`, `adaptive_max_pool3d` and their layers.
///
/// A box's maximum is the maximum over its depth of each slice's rectangle maximum, and its mean
/// the mean of the rectangle means (every rectangle has the same size, and the padding counts
/// multiply): each op pools every slice's plane with the 2-D kernels, then the depth with them too,
/// on a [N·C, 1, D, H'·W'] view. Max pooling keeps PyTorch's winner among ties: the first in (d, h, w)
/// order, or the last NaN.

/// Pools the planes of `x` [N, C, D, H, W] with `planes` ([N·C, D, H, W] → [N·C, D, H', W']), then
/// the depth with `depth` ([N·C, 1, D, H'·W'] → [N·C, 1, D', H'·W']).
private func separably(_ x: Tensor, planes: (Tensor) -> Tensor, depth: (Tensor) -> Tensor) -> Tensor {
    let (n, c, d) = (x.shape[0], x.shape[1], x.shape[2])   // the callers checked the rank
    let pooled = planes(x.reshape([n * c, d, x.shape[3], x.shape[4]]))
    let (height, width) = (pooled.shape[2], pooled.shape[3])
    let out = depth(pooled.reshape([n * c, 1, d, height * width]))
    return out.reshape([n, c, out.shape[2], height, width])
}

/// Stops on a window PyTorch rejects: sizes must be positive, padding at most half the kernel, and
/// the kernel no larger than the padded input; and on a window that holds only padding (which
/// PyTorch's max pooling answers with an index outside the input).
private func checkWindow3d(_ x: Tensor, _ op: String, kernel: (Int, Int, Int), stride: (Int, Int, Int),
                           padding: (Int, Int, Int), dilation: (Int, Int, Int), ceilMode: Bool) {
    guard x.rank == 5 else { shapeFailure(ShapeError("\(op): expects a 5-D input [N, C, D, H, W], got shape \(x.shape)")) }
    let (k, s, p, d) = ([kernel.0, kernel.1, kernel.2], [stride.0, stride.1, stride.2], [padding.0, padding.1, padding.2],
                        [dilation.0, dilation.1, dilation.2])
    guard (k + s + d).allSatisfy({ $0 >= 1 }), zip(p, k).allSatisfy({ $0 >= 0 && $0 <= $1 / 2 }) else {
        shapeFailure(ShapeError("\(op): kernel \(pythonTuple(k)), stride \(pythonTuple(s)) and dilation \(pythonTuple(d)) must be "
            + "positive and padding \(pythonTuple(p)) between 0 and half the kernel"))
    }
    let padded = (0..<3).map { x.shape[2 + $0] + 2 * p[$0] }
    // In ceil mode a window may run up to stride − 1 past the padded input, as in PyTorch.
    let fits = (0..<3).allSatisfy { (i: Int) -> Bool in
        ConvGeometry.outputSize(x.shape[2 + i], kernel: k[i], stride: s[i], padding: p[i], dilation: d[i], ceilMode: ceilMode) >= 1
    }
    guard fits else {
        shapeFailure(ShapeError("\(op): kernel \(pythonTuple(k)) (dilation \(pythonTuple(d))) is larger than the padded input "
            + "\(padded.map(String.init).joined(separator: "x")) of shape \(x.shape)"))
    }
    if let dim = (0..<3).first(where: { !windowsReachInput(size: x.shape[2 + $0], kernel: k[$0], stride: s[$0], padding: p[$0], dilation: d[$0],
                                                                 ceilMode: ceilMode) }) {
        shapeFailure(ShapeError("\(op): a window of the kernel \(pythonTuple(k)) with padding \(pythonTuple(p)) and dilation "
            + "\(pythonTuple(d)) holds only padding along dim \(2 + dim) of the input \(x.shape); reduce the padding or dilation"))
    }
}

/// The maximum over each window of `x` [N, C, D, H, W], like `torch.nn.functional.max_pool3d`; the
/// stride defaults to the kernel, and `ceilMode` keeps a last partial window. The gradient goes to
/// each window's winner.
public func maxPool3d(_ x: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0),
                      dilation: (Int, Int, Int) = (1, 1, 1), ceilMode: Bool = false) -> Tensor {
    let stride = stride ?? kernel
    checkWindow3d(x, "maxPool3d", kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    return separably(x, planes: {
        maxPool2d($0, kernel: (kernel.1, kernel.2), stride: (stride.1, stride.2), padding: (padding.1, padding.2),
                  dilation: (dilation.1, dilation.2), ceilMode: ceilMode)
    }, depth: {
        maxPool2d($0, kernel: (kernel.0, 1), stride: (stride.0, 1), padding: (padding.0, 0), dilation: (dilation.0, 1),
                  ceilMode: ceilMode)
    })
}

/// 3-D max pooling that also returns the winners' int64 indices into each D·H·W volume (for
/// `maxUnpool3d`), like `max_pool3d(return_indices=True)`. The two passes' indices are combined on
/// the host.
public func maxPool3dWithIndices(_ x: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil,
                                 padding: (Int, Int, Int) = (0, 0, 0), dilation: (Int, Int, Int) = (1, 1, 1),
                                 ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
    let stride = stride ?? kernel
    checkWindow3d(x, "maxPool3d", kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    let (n, c, d, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
    let planes = maxPool2dWithIndices(x.reshape([n * c, d, h, w]), kernel: (kernel.1, kernel.2), stride: (stride.1, stride.2),
                                      padding: (padding.1, padding.2), dilation: (dilation.1, dilation.2), ceilMode: ceilMode)
    let cells = planes.values.shape[2] * planes.values.shape[3]
    let depth = maxPool2dWithIndices(planes.values.reshape([n * c, 1, d, cells]), kernel: (kernel.0, 1), stride: (stride.0, 1),
                                     padding: (padding.0, 0), dilation: (dilation.0, 1), ceilMode: ceilMode)
    let outDepth = depth.values.shape[2]
    // The depth pass's index is (winning slice)·cells + cell; that slice's plane index locates the winner in it.
    let planeIndices = planes.indices.toIntArray(), depthIndices = depth.indices.toIntArray()
    var volumeIndices = [Int](repeating: 0, count: depthIndices.count)
    for volume in 0..<(n * c) {
        for k in 0..<(outDepth * cells) {
            let position = volume * outDepth * cells + k
            let slice = depthIndices[position] / cells
            volumeIndices[position] = slice * h * w + planeIndices[volume * d * cells + depthIndices[position]]
        }
    }
    let shape = [n, c, outDepth, planes.values.shape[2], planes.values.shape[3]]
    return (depth.values.reshape(shape), Tensor(volumeIndices, shape: shape, device: x.device))
}

/// The mean over each window of `x` [N, C, D, H, W], like `torch.nn.functional.avg_pool3d`; with
/// `countIncludePad` (PyTorch's default) padding zeros count in the mean; `ceilMode` and
/// `divisorOverride` as `avgPool2d`'s.
public func avgPool3d(_ x: Tensor, kernel: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0),
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
    let stride = stride ?? kernel
    checkWindow3d(x, "avgPool3d", kernel: kernel, stride: stride, padding: padding, dilation: (1, 1, 1), ceilMode: ceilMode)
    if let divisorOverride, divisorOverride == 0 { shapeFailure(ShapeError("avgPool3d: divisorOverride must not be zero")) }
    // The divisors factor per dim; an override divides the sums (the planes pooled with divisor 1).
    return separably(x, planes: {
        avgPool2d($0, kernel: (kernel.1, kernel.2), stride: (stride.1, stride.2), padding: (padding.1, padding.2),
                  ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride.map { _ in 1 })
    }, depth: {
        avgPool2d($0, kernel: (kernel.0, 1), stride: (stride.0, 1), padding: (padding.0, 0), ceilMode: ceilMode,
                  countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    })
}

/// Average pooling of `x` [N, C, D, H, W] to `outputSize` cells per volume, like
/// `torch.nn.functional.adaptive_avg_pool3d` (PyTorch's window bounds: ⌊i·D/out⌋ to ⌈(i+1)·D/out⌉).
public func adaptiveAvgPool3d(_ x: Tensor, outputSize: (Int, Int, Int)) -> Tensor {
    checkOutputSize3d(x, outputSize, "adaptiveAvgPool3d")
    return separably(x, planes: { adaptiveAvgPool2d($0, outputSize: (outputSize.1, outputSize.2)) },
                     depth: { adaptivelyAlongDepth($0, outputSize.0) { avgPool2d($0, kernel: ($1, 1)) } })
}

/// Max pooling of `x` [N, C, D, H, W] to `outputSize` cells per volume, like
/// `torch.nn.functional.adaptive_max_pool3d`; the gradient goes to each window's winner.
public func adaptiveMaxPool3d(_ x: Tensor, outputSize: (Int, Int, Int)) -> Tensor {
    checkOutputSize3d(x, outputSize, "adaptiveMaxPool3d")
    return separably(x, planes: { adaptiveMaxPool2d($0, outputSize: (outputSize.1, outputSize.2)) },
                     depth: { adaptivelyAlongDepth($0, outputSize.0) { maxPool2d($0, kernel: ($1, 1)) } })
}

private func checkOutputSize3d(_ x: Tensor, _ outputSize: (Int, Int, Int), _ op: String) {
    guard x.rank == 5, outputSize.0 > 0, outputSize.1 > 0, outputSize.2 > 0, x.shape[2...].allSatisfy({ $0 > 0 }) else {
        shapeFailure(ShapeError("\(op): expects a 5-D input [N, C, D, H, W] with non-empty volumes and a positive output size, "
            + "got shape \(x.shape) and output size \(pythonTuple([outputSize.0, outputSize.1, outputSize.2]))"))
    }
}

/// Pools dim 2 of `x` [B, 1, D, L] into `cells` adaptive windows, each through `pool(window, size)`
/// ([B, 1, size, L] → [B, 1, 1, L]); windows that tile D evenly in one call.
private func adaptivelyAlongDepth(_ x: Tensor, _ cells: Int, _ pool: (Tensor, Int) -> Tensor) -> Tensor {
    let depth = x.shape[2]
    if depth % cells == 0 {
        let size = depth / cells
        return size == 1 ? x : pool(x, size)
    }
    let windows = (0..<cells).map { i -> Tensor in
        let (start, end) = (i * depth / cells, ((i + 1) * depth + cells - 1) / cells)
        return pool(x.narrow(2, start: start, length: end - start), end - start)
    }
    return Tensor.cat(windows, dim: 2)
}

/// A triple as PyTorch prints what it was given: `2` for a cube (2, 2, 2), `(1, 2, 2)` otherwise.
private func tripleText(_ t: (Int, Int, Int)) -> String { sizesText([t.0, t.1, t.2]) }

/// Maximum over each window, like `torch.nn.MaxPool3d`. `withIndices(_:)` also returns the winners'
/// indices, as `return_indices=True` does, for `MaxUnpool3d`.
public final class MaxPool3d: Module {
    public let kernelSize: (Int, Int, Int), stride: (Int, Int, Int), padding: (Int, Int, Int), dilation: (Int, Int, Int)
    public let ceilMode: Bool

    public init(kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0),
                dilation: (Int, Int, Int) = (1, 1, 1), ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation) = (kernelSize, stride ?? kernelSize, padding, dilation)
        self.ceilMode = ceilMode
        super.init()
    }

    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.init(kernelSize: (kernelSize, kernelSize, kernelSize), stride: stride.map { ($0, $0, $0) },
                  padding: (padding, padding, padding), dilation: (dilation, dilation, dilation), ceilMode: ceilMode)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "MaxPool3d", spatialDims: 3) {
            maxPool3d($0, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
    }

    /// The pooled values and the winners' int64 indices into each D·H·W volume.
    public func withIndices(_ x: Tensor) -> (values: Tensor, indices: Tensor) {
        batchedOrNot(x, "MaxPool3d", spatialDims: 3) {
            maxPool3dWithIndices($0, kernel: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        }
    }

    public override var extraDescription: String {
        "kernel_size=\(tripleText(kernelSize)), stride=\(tripleText(stride)), padding=\(tripleText(padding)), "
            + "dilation=\(tripleText(dilation)), ceil_mode=\(pythonBool(ceilMode))"
    }
}

/// Mean over each window, like `torch.nn.AvgPool3d`. With `countIncludePad` (PyTorch's default)
/// padding zeros count in the mean; `divisorOverride` divides every window's sum by that number.
public final class AvgPool3d: Module {
    public let kernelSize: (Int, Int, Int), stride: (Int, Int, Int), padding: (Int, Int, Int)
    public let ceilMode: Bool, countIncludePad: Bool
    public let divisorOverride: Int?

    public init(kernelSize: (Int, Int, Int), stride: (Int, Int, Int)? = nil, padding: (Int, Int, Int) = (0, 0, 0),
                ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        (self.ceilMode, self.countIncludePad, self.divisorOverride) = (ceilMode, countIncludePad, divisorOverride)
        super.init()
    }

    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                            countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.init(kernelSize: (kernelSize, kernelSize, kernelSize), stride: stride.map { ($0, $0, $0) },
                  padding: (padding, padding, padding), ceilMode: ceilMode, countIncludePad: countIncludePad,
                  divisorOverride: divisorOverride)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "AvgPool3d", spatialDims: 3) {
            avgPool3d($0, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                      countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        }
    }

    public override var extraDescription: String {
        "kernel_size=\(tripleText(kernelSize)), stride=\(tripleText(stride)), padding=\(tripleText(padding))"
    }
}

/// Average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool3d`: `AdaptiveAvgPool3d(1)`
/// averages each channel of a clip or volume.
public final class AdaptiveAvgPool3d: Module {
    public let outputSize: (Int, Int, Int)

    public init(outputSize: (Int, Int, Int)) {
        precondition(outputSize.0 > 0 && outputSize.1 > 0 && outputSize.2 > 0,
                     "Ember: AdaptiveAvgPool3d: output size must be positive, got \(outputSize)")
        self.outputSize = outputSize
        super.init()
    }

    public convenience init(_ outputSize: Int) { self.init(outputSize: (outputSize, outputSize, outputSize)) }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "AdaptiveAvgPool3d", spatialDims: 3) { adaptiveAvgPool3d($0, outputSize: outputSize) }
    }

    public override var extraDescription: String { "output_size=\(tripleText(outputSize))" }
}

/// Max pooling to a fixed output size, like `torch.nn.AdaptiveMaxPool3d`.
public final class AdaptiveMaxPool3d: Module {
    public let outputSize: (Int, Int, Int)

    public init(outputSize: (Int, Int, Int)) {
        precondition(outputSize.0 > 0 && outputSize.1 > 0 && outputSize.2 > 0,
                     "Ember: AdaptiveMaxPool3d: output size must be positive, got \(outputSize)")
        self.outputSize = outputSize
        super.init()
    }

    public convenience init(_ outputSize: Int) { self.init(outputSize: (outputSize, outputSize, outputSize)) }

    public override func forward(_ x: Tensor) -> Tensor {
        batchedOrNot(x, "AdaptiveMaxPool3d", spatialDims: 3) { adaptiveMaxPool3d($0, outputSize: outputSize) }
    }

    public override var extraDescription: String { "output_size=\(tripleText(outputSize))" }
}
