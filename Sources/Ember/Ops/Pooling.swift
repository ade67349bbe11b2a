/// Max, average and adaptive average pooling over NCHW tensors, like `torch.nn.functional`.

private func poolGeometry(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int),
                          dilation: (Int, Int), ceilMode: Bool, op: String) -> ConvGeometry {
    guard x.rank == 4 else {
        shapeFailure(ShapeError("\(op): expects a 4-D input [N, C, H, W], got shape \(x.shape)"))
    }
    let stride = stride ?? kernel
    guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0 else {
        shapeFailure(ShapeError("\(op): kernel \(kernel) and stride \(stride) must be positive"))
    }
    guard padding.0 >= 0, padding.1 >= 0, padding.0 <= kernel.0 / 2, padding.1 <= kernel.1 / 2 else {
        shapeFailure(ShapeError("\(op): padding \(padding) must be non-negative and at most half the kernel \(kernel)"))
    }
    var g = ConvGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                         kernel: kernel, stride: stride, padding: padding, dilation: dilation)
    g.ceilMode = ceilMode
    guard g.outHeight >= 1, g.outWidth >= 1 else {
        shapeFailure(ShapeError("\(op): kernel \(kernel) (dilation \(dilation)) is larger than the padded input "
            + "\(x.shape[2] + 2 * padding.0)x\(x.shape[3] + 2 * padding.1) of shape \(x.shape)"))
    }
    if dilation.0 > 1 || dilation.1 > 1,
       !windowsReachInput(size: x.shape[2], kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: dilation.0,
                          ceilMode: ceilMode)
        || !windowsReachInput(size: x.shape[3], kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: dilation.1,
                              ceilMode: ceilMode) {
        shapeFailure(ShapeError("\(op): a window of the kernel \(kernel) with padding \(padding) and dilation \(dilation) "
            + "holds only padding in the input of shape \(x.shape); reduce the padding or dilation"))
    }
    return g
}

/// Whether every window along a dim of `size` holds at least one input element (with dilation, one
/// may fall wholly into the padding).
func windowsReachInput(size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool = false) -> Bool {
    let count = ConvGeometry.outputSize(size, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
                                        ceilMode: ceilMode)
    return (0..<Swift.max(count, 0)).allSatisfy { o in
        (0..<kernel).contains { j in (0..<size).contains(o * stride - padding + j * dilation) }
    }
}

/// Maximum over each window; the gradient goes to each window's winning element. With `ceilMode` a
/// last partial window that starts inside the input counts too (PyTorch's `ceil_mode`).
public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
    maxPool2dWithIndices(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).values
}

/// Max pooling that also returns the winners' int64 indices into each H·W plane (for unpooling).
public func maxPool2dWithIndices(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> (values: Tensor, indices: Tensor) {
    let g = poolGeometry(x, kernel: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode,
                         op: "maxPool2d")
    let source = x.contiguous()
    let (v, i) = x.backend.maxPool2d(source.view, g)
    let outShape = [g.batch, g.channels, g.outHeight, g.outWidth]
    let values = Tensor.result(v, shape: outShape)
    let indices = Tensor.result(i, shape: outShape, dtype: .int64)
    let planes = g.batch * g.channels, plane = g.height * g.width, outPlane = g.outHeight * g.outWidth
    values.recording("maxPool2d", inputs: [source]) { grad in
        [grad.reshape([planes, outPlane]).scatterAdd(dim: 1, indices: indices.reshape([planes, outPlane]), size: plane)
            .reshape(source.shape)]
    }
    return (values, indices)
}

/// Mean over each window. With `countIncludePad` (PyTorch's default) padding zeros count in the mean;
/// `ceilMode` keeps a last partial window, whose divisor stops at the padded input's end, as
/// PyTorch's; `divisorOverride` divides every window's sum by that number instead.
public func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                      ceilMode: Bool = false, countIncludePad: Bool = true, divisorOverride: Int? = nil) -> Tensor {
    let g = poolGeometry(x, kernel: kernel, stride: stride, padding: padding, dilation: (1, 1), ceilMode: ceilMode,
                         op: "avgPool2d")
    if let divisorOverride, divisorOverride == 0 {
        shapeFailure(ShapeError("avgPool2d: divisorOverride must not be zero"))
    }
    var planes = g
    planes.batch = g.batch * g.channels
    planes.channels = 1
    // Columns [kh·kw, planes·L]: the window sum is a sum over the first dim.
    let columns = x.reshape([planes.batch, 1, g.height, g.width]).convColumns(planes)
    let sums = columns.sum(dim: 0).reshape([planes.batch, g.outHeight * g.outWidth])
    let out: Tensor
    if let divisorOverride {
        out = sums * (1 / Float(divisorOverride))
    } else {
        // A window's divisor is its height's count times its width's.
        let rows = windowCounts(g.height, kernel: kernel.0, stride: g.strideH, padding: padding.0, count: g.outHeight,
                                includePad: countIncludePad)
        let columns = windowCounts(g.width, kernel: kernel.1, stride: g.strideW, padding: padding.1, count: g.outWidth,
                                   includePad: countIncludePad)
        let full = kernel.0 * kernel.1
        if rows.allSatisfy({ $0 == kernel.0 }) && columns.allSatisfy({ $0 == kernel.1 }) {
            out = sums * (1 / Float(full))
        } else {
            let divisors = rows.flatMap { r in columns.map { Float(r * $0) } }
            out = sums / Tensor(divisors, shape: [1, divisors.count], device: x.device)
        }
    }
    return out.reshape([g.batch, g.channels, g.outHeight, g.outWidth])
}

/// The number of elements average pooling divides each window's sum by, along one dim (PyTorch's
/// rule): with `includePad` the window clipped to the padded input, otherwise to the input.
private func windowCounts(_ size: Int, kernel: Int, stride: Int, padding: Int, count: Int, includePad: Bool) -> [Int] {
    (0..<count).map { o in
        let start = o * stride - padding
        let end = Swift.min(start + kernel, size + padding)
        return includePad ? end - start : Swift.min(end, size) - Swift.max(start, 0)
    }
}

/// Average pooling to a fixed output size, with PyTorch's window bounds
/// (start = ⌊i·H/out⌋, end = ⌈(i+1)·H/out⌉).
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    guard x.rank == 4, outputSize.0 > 0, outputSize.1 > 0 else {
        shapeFailure(ShapeError("adaptiveAvgPool2d: expects a 4-D input and a positive output size, "
            + "got shape \(x.shape) and output size \(outputSize)"))
    }
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow) = outputSize
    if oh == 1 && ow == 1 { return x.mean(dims: [2, 3], keepdim: true) }
    if h % oh == 0 && w % ow == 0 { return avgPool2d(x, kernel: (h / oh, w / ow)) }
    var rows: [Tensor] = []
    for i in 0..<oh {
        let top = i * h / oh, bottom = ((i + 1) * h + oh - 1) / oh
        var cells: [Tensor] = []
        for j in 0..<ow {
            let left = j * w / ow, right = ((j + 1) * w + ow - 1) / ow
            cells.append(x.narrow(2, start: top, length: bottom - top).narrow(3, start: left, length: right - left)
                .mean(dims: [2, 3]))
        }
        rows.append(Tensor.stack(cells, dim: -1))
    }
    return Tensor.stack(rows, dim: -2)
}

/// Maximum over windows that tile each plane into `outputSize` cells, with PyTorch's window bounds
/// (start = ⌊i·H/out⌋, end = ⌈(i+1)·H/out⌉); the gradient goes to each window's winner.
public func adaptiveMaxPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    adaptiveMaxPool2dWithIndices(x, outputSize: outputSize).values
}

/// Adaptive max pooling that also returns the winners' int64 indices into each H·W plane, like
/// `adaptive_max_pool2d(return_indices=True)`. The first maximum of a window wins, as in PyTorch (its
/// last NaN, if it holds any).
public func adaptiveMaxPool2dWithIndices(_ x: Tensor, outputSize: (Int, Int)) -> (values: Tensor, indices: Tensor) {
    guard x.rank == 4, outputSize.0 > 0, outputSize.1 > 0, x.shape[2] > 0, x.shape[3] > 0 else {
        shapeFailure(ShapeError("adaptiveMaxPool2d: expects a 4-D input with non-empty planes and a positive output size, "
            + "got shape \(x.shape) and output size \(outputSize)"))
    }
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow) = outputSize
    // Windows that tile the plane evenly are max pooling's, which has a kernel of its own.
    if h % oh == 0 && w % ow == 0 { return maxPool2dWithIndices(x, kernel: (h / oh, w / ow)) }
    // Otherwise the winners are found on the host and picked by gather, whose gradient routes back to them.
    let planes = x.shape[0] * x.shape[1]
    let values = noGrad { x.toArray() }
    var winners = [Int](repeating: 0, count: planes * oh * ow)
    values.withUnsafeBufferPointer { v in
        for p in 0..<planes {
            let plane = p * h * w
            for i in 0..<oh {
                let (top, bottom) = (i * h / oh, ((i + 1) * h + oh - 1) / oh)
                for j in 0..<ow {
                    let (left, right) = (j * w / ow, ((j + 1) * w + ow - 1) / ow)
                    var best = top * w + left
                    for r in top..<bottom {
                        // As PyTorch's CPU kernel: a larger value or any NaN takes over.
                        for c in left..<right where v[plane + r * w + c] > v[plane + best] || v[plane + r * w + c].isNaN {
                            best = r * w + c
                        }
                    }
                    winners[(p * oh + i) * ow + j] = best
                }
            }
        }
    }
    let indices = Tensor(winners, shape: [planes, oh * ow], device: x.device)
    let picked = x.reshape([planes, h * w]).gather(dim: 1, indices: indices)
    let outShape = [x.shape[0], x.shape[1], oh, ow]
    return (picked.reshape(outShape), indices.reshape(outShape))
}
