/// Sampling an image at arbitrary points, like `torch.nn.functional.affine_grid` and `grid_sample`:
/// the pieces of a spatial transformer network, and of rotations and other warps.
///
///     let grid = affineGrid(theta, size: x.shape)        // theta [N, 2, 3] from a localisation network
///     let warped = gridSample(x, grid: grid)              // differentiable in x and in theta
///
/// Gradients reach the input and the grid, to any order: `affineGrid` is a matrix product, and
/// `gridSample`'s one-pass kernels give way to a composed version under `createGraph`.

/// How `gridSample` reads between pixels.
public enum GridSampleMode: String, Sendable {
    /// The four neighbours, weighted by distance.
    case bilinear
    /// The nearest pixel (halves to even); the grid's gradient is zero.
    case nearest
}

/// What `gridSample` reads outside the image.
public enum GridSamplePadding: String, Sendable {
    /// Zeros.
    case zeros
    /// The nearest border pixel.
    case border
    /// The image mirrored at its borders.
    case reflection
}

/// The sampling grid [N, H, W, 2] of the affine maps `theta` [N, 2, 3] for an output of `size`
/// [N, C, H, W]: entry (n, i, j) is theta[n] · (x_j, y_i, 1), where x and y run over [-1, 1] (pixel
/// centres, or with `alignCorners` the corner pixels' centres), like `F.affine_grid`.
public func affineGrid(_ theta: Tensor, size: [Int], alignCorners: Bool = false) -> Tensor {
    guard theta.rank == 3, theta.shape[1] == 2, theta.shape[2] == 3, size.count == 4, size[0] == theta.shape[0] else {
        shapeFailure(ShapeError("affineGrid: expects theta [N, 2, 3] and a size [N, C, H, W] with the same N, got theta "
            + "\(theta.shape) and size \(size)"))
    }
    let (n, h, w) = (size[0], size[2], size[3])
    /// PyTorch's linspace(-1, 1, count), scaled by (count − 1) / count without alignCorners.
    func steps(_ count: Int) -> [Float] {
        guard count > 1 else { return [0] }
        return (0..<count).map { i in
            let t = -1 + 2 * Float(i) / Float(count - 1)
            return alignCorners ? t : t * Float(count - 1) / Float(count)
        }
    }
    let xs = steps(w), ys = steps(h)
    var base = [Float](repeating: 1, count: h * w * 3)
    for (i, y) in ys.enumerated() {
        for (j, x) in xs.enumerated() {
            base[(i * w + j) * 3] = x
            base[(i * w + j) * 3 + 1] = y
        }
    }
    // Every image's map in one product: [N·2, 3] · [3, H·W] (a transpose flag, no copy), then x and y
    // of each point side by side.
    let points = Tensor(base, shape: [h * w, 3], device: theta.device)
    let mapped = theta.reshape([n * 2, 3]).matmul(points.transpose(0, 1))
    return mapped.reshape([n, 2, h * w]).transpose(1, 2).reshape([n, h, w, 2])
}

/// Samples `input` [N, C, H, W] at the points of `grid` [N, Ho, Wo, 2] (x then y, in [-1, 1] across the
/// image), giving [N, C, Ho, Wo], like `F.grid_sample` in 2-D.
///
/// One kernel each way (`Backend.gridSample2d`). Under `createGraph` the gradient is taken through the
/// same sampling written with differentiable ops, so it can be differentiated again.
public func gridSample(_ input: Tensor, grid: Tensor, mode: GridSampleMode = .bilinear, paddingMode: GridSamplePadding = .zeros,
                       alignCorners: Bool = false) -> Tensor {
    guard input.rank == 4, grid.rank == 4, grid.shape[3] == 2, grid.shape[0] == input.shape[0] else {
        shapeFailure(ShapeError("gridSample: expects input [N, C, H, W] and grid [N, Ho, Wo, 2] with the same N, got input "
            + "\(input.shape) and grid \(grid.shape)"))
    }
    guard input.dtype == .float32, grid.dtype == .float32 else {
        shapeFailure(ShapeError("gridSample: expects float32 tensors, got \(input.dtype) input \(input.shape) and \(grid.dtype) "
            + "grid \(grid.shape); convert with .to(.float32)"))
    }
    input.checkSameDevice("gridSample", grid)
    let geometry = GridSampleGeometry(batch: input.shape[0], channels: input.shape[1], height: input.shape[2],
                                      width: input.shape[3], outHeight: grid.shape[1], outWidth: grid.shape[2], mode: mode,
                                      padding: paddingMode, alignCorners: alignCorners)
    let source = input.contiguous(), points = grid.contiguous()
    let out = Tensor.result(input.backend.gridSample2d(source.view, grid: points.view, geometry),
                            shape: [geometry.batch, geometry.channels, geometry.outHeight, geometry.outWidth])
    return out.recording("gridSample", inputs: [input, grid], saving: [input, grid]) { g in
        if Tensor.isRecordingBackward {
            var grads = Tensor.recomputedGradients(of: [input, grid], outputGradient: g) {
                composedGridSample(input, grid: grid, mode: mode, paddingMode: paddingMode, alignCorners: alignCorners)
            }
            // Nearest sampling does not reach the grid: its gradient is zero, as on the fast path.
            if grid.requiresGrad && grads[1] == nil { grads[1] = Tensor.zeros(grid.shape, device: grid.device) }
            return grads
        }
        let (dInput, dGrid) = g.backend.gridSample2dBackward(g.contiguous().view, input: source.view, grid: points.view, geometry,
                                                              inputGrad: input.requiresGrad, gridGrad: grid.requiresGrad)
        return [dInput.map { Tensor.result($0, shape: input.shape) }, dGrid.map { Tensor.result($0, shape: grid.shape) }]
    }
}

/// `gridSample` written with differentiable ops (a gather of the four neighbours weighted by the
/// fractional positions): its gradients to any order.
private func composedGridSample(_ input: Tensor, grid: Tensor, mode: GridSampleMode, paddingMode: GridSamplePadding,
                                alignCorners: Bool) -> Tensor {
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (outH, outW) = (grid.shape[1], grid.shape[2])
    // x and y each in one block of memory: the element-wise work below runs on contiguous rows.
    let x = sourceCoordinate(grid.select(3, 0).contiguous(), size: w, padding: paddingMode, alignCorners: alignCorners)
    let y = sourceCoordinate(grid.select(3, 1).contiguous(), size: h, padding: paddingMode, alignCorners: alignCorners)
    let pixels = input.reshape([n, c, h * w])
    let points = outH * outW
    /// input at the integer positions (xi, yi) [N, K, Ho, Wo] (K neighbours per point) times `weights`
    /// [N, K, Ho, Wo], zero where outside the image, summed over the K neighbours: one gather for all.
    func neighbours(_ xi: Tensor, _ yi: Tensor, _ weights: Tensor?) -> Tensor {
        let k = xi.shape[1]
        // NaN and ±inf fail these comparisons, so they count as outside too.
        let insideX = xi.ge(0) * xi.le(Float(w - 1)), insideY = yi.ge(0) * yi.le(Float(h - 1))
        let zero = Tensor.zeros([], device: xi.device)
        // Points outside read pixel 0 and are masked. The flat index y·W + x is exact in float32 up to
        // 2^24 pixels; beyond, it is computed in int64.
        let row = `where`(insideY, yi, zero), column = `where`(insideX, xi, zero)
        let flat = h * w <= 1 << 24 ? (row * Float(w) + column).to(.int64)
            : row.to(.int64) * Tensor([w], shape: [], device: xi.device) + column.to(.int64)
        let index = flat.reshape([n, 1, k * points]).expand([n, c, k * points])
        let inside = (insideX * insideY).reshape([n, 1, k, points])
        // `where`, not a product with the mask: an infinite pixel outside must not turn the result into NaN.
        var values = `where`(inside, pixels.gather(dim: 2, indices: index).reshape([n, c, k, points]), zero)
        if let weights { values = values * weights.reshape([n, 1, k, points]) }
        return k == 1 ? values.reshape([n, c, points]) : values.sum(dim: 2)
    }
    let out: Tensor
    switch mode {
    case .nearest:
        out = neighbours(x.detach().round().unsqueeze(1), y.detach().round().unsqueeze(1), nil)
    case .bilinear:
        // The four neighbours, row by row: (x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1).
        let x0 = x.detach().floor(), y0 = y.detach().floor()
        let xs = Tensor.stack([x0, x0 + 1, x0, x0 + 1], dim: 1), ys = Tensor.stack([y0, y0, y0 + 1, y0 + 1], dim: 1)
        let east = x - x0, south = y - y0  // the weights of the right and lower neighbours
        let across = Tensor.stack([1 - east, east], dim: 1).unsqueeze(1)   // [N, 1, 2, Ho, Wo]
        let down = Tensor.stack([1 - south, south], dim: 1).unsqueeze(2)   // [N, 2, 1, Ho, Wo]
        out = neighbours(xs, ys, (down * across).reshape([n, 4, outH, outW]))
    }
    return out.reshape([n, c, outH, outW])
}

/// `position` clamped to [0, last], passing the gradient only strictly inside, as PyTorch's
/// clip_coordinates does (a point exactly on the border gets none).
/// NaN becomes 0, as in PyTorch.
private func clipped(_ position: Tensor, last: Float) -> Tensor {
    let value = position.detach()
    let inside = value.gt(0) * value.lt(last)
    let bounded = `where`(value.eq(value), value.clamp(min: 0, max: last), Tensor.zeros([], device: value.device))
    return `where`(inside, position, bounded)
}

/// Grid coordinates in [-1, 1] as pixel positions in 0...size-1, with the padding mode's folding.
private func sourceCoordinate(_ coordinate: Tensor, size: Int, padding: GridSamplePadding, alignCorners: Bool) -> Tensor {
    let last = Float(size - 1)
    var position = alignCorners ? (coordinate + 1) * (last / 2) : ((coordinate + 1) * Float(size) - 1) / 2
    switch padding {
    case .zeros:
        return position
    case .border:
        return clipped(position, last: last)
    case .reflection:
        // Mirror at the corner pixels' centres (alignCorners) or at the image's edges, then clip.
        let low: Float = alignCorners ? 0 : -0.5, span: Float = alignCorners ? last : Float(size)
        guard span > 0 else { return Tensor.zeros(position.shape, device: position.device) }
        let distance = (position - low).abs()
        var flips = (distance / span).detach().floor()
        var extra = distance - flips * span
        // The quotient can round across a whole number far from the image: fix the remainder into [0, span).
        let under = extra.detach().lt(0), over = extra.detach().ge(span)
        extra = extra + (under - over) * span
        flips = flips - under + over
        let even = (flips - (flips / 2).floor() * 2).eq(0)
        position = `where`(even, extra + low, (span - extra) + low)
        return clipped(position, last: last)
    }
}
