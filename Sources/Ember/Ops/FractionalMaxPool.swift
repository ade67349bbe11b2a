/// Fractional max pooling (Graham, 2014), like `torch.nn.functional.fractional_max_pool2d`: windows of
/// `kernelSize` placed at pseudo-random, overlapping starts so that the output has `outputSize` (any
/// size, not just input / stride). Each plane draws its own offsets from `samples` [N, C, 2] (uniform
/// in [0, 1), one for the width and one for the height, as PyTorch's `_random_samples`), or from
/// `generator` when none are given. Returns the maxima and their int64 indices into each H·W plane.
public func fractionalMaxPool2d(_ x: Tensor, kernelSize: (Int, Int), outputSize: (Int, Int), samples: Tensor? = nil,
                                generator: RandomGenerator = .global) -> (values: Tensor, indices: Tensor) {
    // PyTorch's samples per plane are (width, height).
    fractionalMaxPool(x, kernel: [kernelSize.0, kernelSize.1], output: [outputSize.0, outputSize.1], sampleOrder: [1, 0],
                      samples: samples, generator: generator, op: "fractionalMaxPool2d")
}

/// Fractional max pooling over volumes, like `torch.nn.functional.fractional_max_pool3d`: `samples` is
/// [N, C, 3] (one offset each for the depth, height and width); indices point into each T·H·W volume.
public func fractionalMaxPool3d(_ x: Tensor, kernelSize: (Int, Int, Int), outputSize: (Int, Int, Int), samples: Tensor? = nil,
                                generator: RandomGenerator = .global) -> (values: Tensor, indices: Tensor) {
    fractionalMaxPool(x, kernel: [kernelSize.0, kernelSize.1, kernelSize.2], output: [outputSize.0, outputSize.1, outputSize.2],
                      sampleOrder: [0, 1, 2], samples: samples, generator: generator, op: "fractionalMaxPool3d")
}

/// The window starts along one dim, as PyTorch computes them (in float32): evenly spread steps of
/// α = (input − kernel) / (output − 1), shifted by the sample, the last window flush with the end.
func fractionalIntervals(_ sample: Float, input: Int, output: Int, kernel: Int) -> [Int] {
    var starts = [Int](repeating: input - kernel, count: output)
    if output > 1 {
        let alpha = Float(input - kernel) / Float(output - 1)
        for i in 0..<(output - 1) { starts[i] = Int((Float(i) + sample) * alpha) - Int(sample * alpha) }
    }
    return starts
}

/// The winners of every window are found on the host and picked by gather, whose gradient routes back
/// to them (as adaptive max pooling does for uneven windows).
private func fractionalMaxPool(_ x: Tensor, kernel: [Int], output: [Int], sampleOrder: [Int], samples: Tensor?,
                               generator: RandomGenerator, op: String) -> (values: Tensor, indices: Tensor) {
    let dims = kernel.count
    guard x.rank == dims + 2 else {
        shapeFailure(ShapeError("\(op): expects a \(dims + 2)-D input [N, C, \(dims == 2 ? "H, W" : "T, H, W")], got shape \(x.shape)"))
    }
    let spatial = Array(x.shape.suffix(dims))
    // PyTorch's 2-D kernel allows windows flush with the end; its 3-D kernel wants room to spare.
    let spare = dims == 3 ? 1 : 0
    for d in 0..<dims where kernel[d] <= 0 || output[d] < 0 || output[d] + kernel[d] - 1 + spare > spatial[d] {
        shapeFailure(ShapeError("\(op): a kernel of \(kernel) and an output of \(output) need an input of at least "
            + "output + kernel\(spare == 1 ? "" : " − 1") = \(zip(output, kernel).map { $0 + $1 - 1 + spare }) per dim, "
            + "got \(spatial) (input shape \(x.shape))"))
    }
    let (batch, channels) = (x.shape[0], x.shape[1])
    let planes = batch * channels
    let draws = samples ?? noGrad { Tensor.rand([batch, channels, dims], generator: generator, device: x.device) }
    // As PyTorch, samples for more rows than the batch are fine: the first N are used.
    guard draws.rank == 3, draws.shape[0] >= batch, draws.shape[1] == channels, draws.shape[2] == dims else {
        shapeFailure(ShapeError("\(op): samples must be [N, C, \(dims)] = [\(batch), \(channels), \(dims)], got \(draws.shape)"))
    }
    let u = noGrad { draws.narrow(0, start: 0, length: batch).contiguous().toArray() }
    let values = noGrad { x.toArray() }
    let planeSize = spatial.reduce(1, *), outputCount = output.reduce(1, *), windowCount = kernel.reduce(1, *)
    var strides = [Int](repeating: 1, count: dims)
    for d in stride(from: dims - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * spatial[d + 1] }
    var winners = [Int](repeating: 0, count: planes * outputCount)
    values.withUnsafeBufferPointer { v in
        for p in 0..<planes {
            let starts = (0..<dims).map { d in
                fractionalIntervals(u[p * dims + sampleOrder[d]], input: spatial[d], output: output[d], kernel: kernel[d])
            }
            let plane = p * planeSize
            for o in 0..<outputCount {
                // The window's first element, then every element of it; a larger value or a NaN wins (PyTorch's rule).
                var corner = 0, rest = o
                for d in stride(from: dims - 1, through: 0, by: -1) {
                    corner += starts[d][rest % output[d]] * strides[d]
                    rest /= output[d]
                }
                var best = corner, bestValue = -Float.infinity
                for k in 0..<windowCount {
                    var offset = 0, rest = k
                    for d in stride(from: dims - 1, through: 0, by: -1) {
                        offset += (rest % kernel[d]) * strides[d]
                        rest /= kernel[d]
                    }
                    let value = v[plane + corner + offset]
                    if value > bestValue || value.isNaN { (best, bestValue) = (corner + offset, value) }
                }
                winners[p * outputCount + o] = best
            }
        }
    }
    let indices = Tensor(winners, shape: [planes, outputCount], device: x.device)
    let picked = x.reshape([planes, planeSize]).gather(dim: 1, indices: indices)
    let outShape = [batch, channels] + output
    return (picked.reshape(outShape), indices.reshape(outShape))
}
