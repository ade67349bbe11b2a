/// Images tiled into one picture and saved, like `torchvision.utils.make_grid` and `save_image`:
///
///     try saveImage(decoder(z), to: "samples.png", nrow: 8)        // [64, 1, 28, 28] → an 8×8 grid
///     try saveImage(generated, to: "fake.png", normalize: true)     // tanh outputs in [-1, 1]

/// The images of a batch [N, C, H, W] (or one image [C, H, W] / [H, W]) tiled `nrow` to a row, `padding`
/// pixels of `padValue` around each, as [C, H', W']. One-channel images become three (gray replicated),
/// as in torchvision. With `normalize`, values are shifted and scaled so that `valueRange` (by default
/// the batch's minimum and maximum, or each image's with `scaleEach`) becomes [0, 1], clamping outside it.
/// A batch of one image comes back without padding.
public func makeGrid(_ images: Tensor, nrow: Int = 8, padding: Int = 2, normalize: Bool = false,
                     valueRange: (low: Float, high: Float)? = nil, scaleEach: Bool = false, padValue: Float = 0) -> Tensor {
    precondition(nrow > 0 && padding >= 0, "Ember: makeGrid needs nrow > 0 and padding >= 0, got \(nrow) and \(padding)")
    var batch = noGrad { images.to(.cpu).to(.float32) }
    switch batch.rank {
    case 2: batch = batch.unsqueeze(0).unsqueeze(0)
    case 3: batch = batch.unsqueeze(0)
    case 4: break
    default: shapeFailure(ShapeError("makeGrid: expects [N, C, H, W], [C, H, W] or [H, W] images, got shape \(images.shape)"))
    }
    let (n, h, w) = (batch.shape[0], batch.shape[2], batch.shape[3])
    if batch.shape[1] == 1 { batch = batch.expand([n, 3, h, w]) }
    let channels = batch.shape[1]
    let plane = channels * h * w
    var values = batch.rawFloatValues()
    if normalize {
        func rescale(_ range: Range<Int>) {
            let low = valueRange?.low ?? values[range].min() ?? 0
            let high = valueRange?.high ?? values[range].max() ?? 0
            let scale = 1 / Swift.max(high - low, 1e-5)
            for i in range { values[i] = (Swift.min(Swift.max(values[i], low), high) - low) * scale }
        }
        if scaleEach { for k in 0..<n { rescale(k * plane..<(k + 1) * plane) } } else { rescale(0..<values.count) }
    }
    if n == 1 { return Tensor(values, shape: [channels, h, w]) }
    let columns = Swift.min(nrow, n), rows = (n + columns - 1) / columns
    let cellH = h + padding, cellW = w + padding
    let gridH = rows * cellH + padding, gridW = columns * cellW + padding
    var grid = [Float](repeating: padValue, count: channels * gridH * gridW)
    for k in 0..<n {
        let top = (k / columns) * cellH + padding, left = (k % columns) * cellW + padding
        for c in 0..<channels {
            for y in 0..<h {
                let source = k * plane + (c * h + y) * w, target = (c * gridH + top + y) * gridW + left
                for x in 0..<w { grid[target + x] = values[source + x] }
            }
        }
    }
    return Tensor(grid, shape: [channels, gridH, gridW])
}

/// Saves images as one picture (`makeGrid` with the same options) in the format `path`'s extension names
/// (.png, .jpg, .ppm), like `torchvision.utils.save_image`: values in [0, 1] become bytes by ⌊255·v + ½⌋.
public func saveImage(_ images: Tensor, to path: String, nrow: Int = 8, padding: Int = 2, normalize: Bool = false,
                      valueRange: (low: Float, high: Float)? = nil, scaleEach: Bool = false, padValue: Float = 0) throws {
    let grid = makeGrid(images, nrow: nrow, padding: padding, normalize: normalize, valueRange: valueRange,
                        scaleEach: scaleEach, padValue: padValue)
    try Image(grid).write(to: path)
}
