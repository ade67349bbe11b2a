/// Grid sampling in one pass each way: a spatial transformer's sampler without the dozens of small
/// element-wise ops, gathers and masks of the composed version (which `gridSample` keeps for
/// `createGraph`). The arithmetic follows the composed ops step for step, so both agree with PyTorch.
extension CPUBackend {
    public func gridSample2d(_ input: StridedView, grid: StridedView, _ g: GridSampleGeometry) -> Storage {
        let (inputStorage, image) = contiguousFloats(input)
        let (gridStorage, points) = contiguousFloats(grid)
        let (channels, plane, count) = (g.channels, g.height * g.width, g.points)
        let out = allocate(count: g.batch * channels * count, dtype: .float32)
        let o = out.floats()
        withExtendedLifetime((inputStorage, gridStorage)) {
            // Each grid point reads every channel: work ∝ points · channels.
            Parallel.chunks(g.batch * count, grain: max(1, Parallel.grain / (8 * max(channels, 1)))) { range in
                for item in range {
                    let n = item / count, p = item - n * count
                    let tap = GridTap(g, x: points[2 * item], y: points[2 * item + 1])
                    let source = image + n * channels * plane, target = o + n * channels * count + p
                    for c in 0..<channels {
                        target[c * count] = tap.read(source + c * plane)
                    }
                }
            }
        }
        return out
    }

    public func gridSample2dBackward(_ grad: StridedView, input: StridedView, grid: StridedView, _ g: GridSampleGeometry,
                                     inputGrad: Bool, gridGrad: Bool) -> (input: Storage?, grid: Storage?) {
        let (gradStorage, upstream) = contiguousFloats(grad)
        let (inputStorage, image) = contiguousFloats(input)
        let (gridStorage, points) = contiguousFloats(grid)
        let (channels, plane, count) = (g.channels, g.height * g.width, g.points)
        let inputResult = inputGrad ? allocate(count: g.batch * channels * plane, dtype: .float32) : nil
        let gridResult = gridGrad ? allocate(count: g.batch * count * 2, dtype: .float32) : nil
        if let inputResult { fill(inputResult, count: g.batch * channels * plane, dtype: .float32, value: 0) }
        if let gridResult { fill(gridResult, count: g.batch * count * 2, dtype: .float32, value: 0) }
        // Nearest sampling is piecewise constant: the grid's gradient stays zero.
        let gridWanted = gridGrad && g.mode == .bilinear
        guard inputGrad || gridWanted else { return (inputResult, gridResult) }
        let inputGrads = inputResult?.floats(), gridGrads = gridResult?.floats()
        withExtendedLifetime((gradStorage, inputStorage, gridStorage)) {
            // By image: points of one image add into the same pixels, images never share any.
            Parallel.chunks(g.batch, grain: 1) { images in
                for n in images {
                    for p in 0..<count {
                        let item = n * count + p
                        let tap = GridTap(g, x: points[2 * item], y: points[2 * item + 1])
                        var (dx, dy): (Float, Float) = (0, 0)
                        for c in 0..<channels {
                            let go = upstream[(n * channels + c) * count + p]
                            if let inputGrads { tap.scatter(go, into: inputGrads + (n * channels + c) * plane) }
                            if gridWanted {
                                let (ex, ey) = tap.slopes(image + (n * channels + c) * plane)
                                dx += go * ex
                                dy += go * ey
                            }
                        }
                        if gridWanted, let gridGrads {
                            gridGrads[2 * item] = dx * tap.dPositionX
                            gridGrads[2 * item + 1] = dy * tap.dPositionY
                        }
                    }
                }
            }
        }
        return (inputResult, gridResult)
    }
}

/// Where one grid point reads: its (up to) four neighbours, which of them lie inside the image, their
/// bilinear weights (or the one nearest pixel), and d position / d grid coordinate per axis.
private struct GridTap {
    let width: Int
    let bilinear: Bool
    /// Pixel offsets of the north-west, north-east, south-west and south-east neighbours (valid where inside).
    var offsets: (Int, Int, Int, Int) = (0, 0, 0, 0)
    var inside: (Bool, Bool, Bool, Bool) = (false, false, false, false)
    var weights: (Float, Float, Float, Float) = (0, 0, 0, 0)
    /// Fractional offsets east and south of the north-west neighbour.
    var east: Float = 0, south: Float = 0
    var dPositionX: Float = 0, dPositionY: Float = 0

    @inline(__always)
    init(_ g: GridSampleGeometry, x gridX: Float, y gridY: Float) {
        width = g.width
        bilinear = g.mode == .bilinear
        let (x, dx) = sourcePosition(gridX, size: g.width, g.padding, g.alignCorners)
        let (y, dy) = sourcePosition(gridY, size: g.height, g.padding, g.alignCorners)
        (dPositionX, dPositionY) = (dx, dy)
        let lastX = Float(g.width - 1), lastY = Float(g.height - 1)
        // NaN and ±inf fail these comparisons, so they count as outside and are never converted to Int.
        @inline(__always) func inX(_ v: Float) -> Bool { v >= 0 && v <= lastX }
        @inline(__always) func inY(_ v: Float) -> Bool { v >= 0 && v <= lastY }
        if !bilinear {
            let xi = roundedToEven(x), yi = roundedToEven(y)
            inside.0 = inX(xi) && inY(yi)
            if inside.0 { offsets.0 = Int(yi) * width + Int(xi) }
            return
        }
        let x0 = floored(x), y0 = floored(y)
        east = x - x0
        south = y - y0
        weights = ((1 - south) * (1 - east), (1 - south) * east, south * (1 - east), south * east)
        // x0 + 1 ≤ last as x0 < last: past 2^24 pixels, x0 + 1 would round back to x0 in float.
        let (west, eastIn) = (inX(x0), x0 >= -1 && x0 < lastX), (north, southIn) = (inY(y0), y0 >= -1 && y0 < lastY)
        inside = (north && west, north && eastIn, southIn && west, southIn && eastIn)
        if inside.0 || inside.1 || inside.2 || inside.3 {
            // x0 or y0 may lie one step outside (−1); the offsets are read only where inside.
            let column = Int(max(x0, -1)), row = Int(max(y0, -1))
            offsets = (row * width + column, row * width + column + 1, (row + 1) * width + column, (row + 1) * width + column + 1)
        }
    }

    /// The sampled value of one channel's plane. Outside neighbours read 0 but keep their weight, so
    /// a non-finite weight (a non-finite point under zero padding) gives NaN as in PyTorch.
    @inline(__always)
    func read(_ plane: UnsafePointer<Float>) -> Float {
        guard bilinear else { return inside.0 ? plane[offsets.0] : 0 }
        let a = inside.0 ? plane[offsets.0] : 0, b = inside.1 ? plane[offsets.1] : 0
        let c = inside.2 ? plane[offsets.2] : 0, d = inside.3 ? plane[offsets.3] : 0
        return a * weights.0 + b * weights.1 + c * weights.2 + d * weights.3
    }

    /// Adds `grad` times each inside neighbour's weight into its pixel.
    @inline(__always)
    func scatter(_ grad: Float, into plane: UnsafeMutablePointer<Float>) {
        guard bilinear else {
            if inside.0 { plane[offsets.0] += grad }
            return
        }
        if inside.0 { plane[offsets.0] += grad * weights.0 }
        if inside.1 { plane[offsets.1] += grad * weights.1 }
        if inside.2 { plane[offsets.2] += grad * weights.2 }
        if inside.3 { plane[offsets.3] += grad * weights.3 }
    }

    /// d value / d position along x and y for one channel's plane (bilinear).
    @inline(__always)
    func slopes(_ plane: UnsafePointer<Float>) -> (Float, Float) {
        let a = inside.0 ? plane[offsets.0] : 0, b = inside.1 ? plane[offsets.1] : 0
        let c = inside.2 ? plane[offsets.2] : 0, d = inside.3 ? plane[offsets.3] : 0
        return ((b - a) * (1 - south) + (d - c) * south, (c - a) * (1 - east) + (d - b) * east)
    }
}

/// A grid coordinate in [-1, 1] as a pixel position in 0...size-1 after the padding mode's folding, and
/// d position / d coordinate: the arithmetic of `gridSample`'s composed `sourceCoordinate`.
@inline(__always)
private func sourcePosition(_ coordinate: Float, size: Int, _ padding: GridSamplePadding, _ alignCorners: Bool) -> (Float, Float) {
    let last = Float(size - 1)
    var position: Float, slope: Float
    if alignCorners {
        position = (coordinate + 1) * (last / 2)
        slope = last / 2
    } else {
        position = ((coordinate + 1) * Float(size) - 1) / 2
        slope = Float(size) / 2
    }
    switch padding {
    case .zeros:
        return (position, slope)
    case .border:
        return clipped(position, last: last, slope)
    case .reflection:
        // Mirror at the corner pixels' centres (alignCorners) or at the image's edges, then clip.
        let low: Float = alignCorners ? 0 : -0.5, span: Float = alignCorners ? last : Float(size)
        guard span > 0 else { return (0, 0) }
        let offset = position - low
        let distance = abs(offset)
        if !(offset > 0) { slope = offset < 0 ? -slope : 0 }
        var flips = floored(distance / span)
        var extra = distance - flips * span
        // The quotient can round across a whole number far from the image: fix the remainder into [0, span).
        if extra < 0 { extra += span; flips -= 1 } else if extra >= span { extra -= span; flips += 1 }
        if flips - floored(flips / 2) * 2 == 0 {
            position = extra + low
        } else {
            position = (span - extra) + low
            slope = -slope
        }
        return clipped(position, last: last, slope)
    }
}

/// `position` clamped to [0, last] (NaN to 0), with a slope only strictly inside, like PyTorch's
/// clip_coordinates.
@inline(__always)
private func clipped(_ position: Float, last: Float, _ slope: Float) -> (Float, Float) {
    if position > 0 && position < last { return (position, slope) }
    return (position.isNaN ? 0 : min(max(position, 0), last), 0)
}

/// ⌊v⌋ without a libm call (`rounded(.down)` is one on x86-64 without SSE4.1): below 2^23 in
/// magnitude through an integer; larger values, ±inf and NaN are already whole (or NaN).
@inline(__always)
private func floored(_ v: Float) -> Float {
    guard abs(v) < 8_388_608 else { return v }
    let whole = Float(Int32(v))   // toward zero
    return Float(signOf: v, magnitudeOf: whole > v ? whole - 1 : whole)   // −0 stays −0
}

/// v rounded to the nearest whole number, halves to even (torch.round), without a libm call.
@inline(__always)
private func roundedToEven(_ v: Float) -> Float {
    guard abs(v) < 8_388_608 else { return v }
    // Adding and removing 2^23 rounds in the FPU's default mode: to nearest, ties to even.
    let big: Float = v < 0 ? -8_388_608 : 8_388_608
    return Float(signOf: v, magnitudeOf: (v + big) - big)   // −0.4 rounds to −0, as libm's does
}
