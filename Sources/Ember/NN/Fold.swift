/// Sliding local blocks of a batch of images as columns, like `torch.nn.functional.unfold`:
/// [N, C, H, W] → [N, C·kh·kw, L] with L the number of block positions (an unbatched [C, H, W] gives
/// [C·kh·kw, L]). The im2col of Ember's convolution; gradients by col2im.
public func unfold(_ x: Tensor, kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                   stride: (Int, Int) = (1, 1)) -> Tensor {
    guard x.rank == 3 || x.rank == 4 else {
        shapeFailure(ShapeError("unfold: expects a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape \(x.shape)"))
    }
    let batched = x.rank == 3 ? x.unsqueeze(0) : x
    let geometry = slidingGeometry(batched.shape, kernelSize, dilation, padding, stride, op: "unfold")
    guard geometry.outHeight > 0 && geometry.outWidth > 0 else {
        shapeFailure(ShapeError("unfold: the kernel \(kernelSize) (dilation \(dilation)) does not fit the padded input "
            + "of shape \(x.shape) (padding \(padding))"))
    }
    let columns = batched.im2col(geometry)
    return x.rank == 3 ? columns.squeeze(0) : columns
}

/// Sums columns of sliding blocks back into images, the adjoint of `unfold`, like
/// `torch.nn.functional.fold`: [N, C·kh·kw, L] → [N, C, outputSize.0, outputSize.1], overlapping
/// blocks adding up (an unbatched [C·kh·kw, L] gives [C, H, W]).
public func fold(_ x: Tensor, outputSize: (Int, Int), kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1),
                 padding: (Int, Int) = (0, 0), stride: (Int, Int) = (1, 1)) -> Tensor {
    guard x.rank == 2 || x.rank == 3 else {
        shapeFailure(ShapeError("fold: expects a 2-D [C·kh·kw, L] or 3-D [N, C·kh·kw, L] input, got shape \(x.shape)"))
    }
    let batched = x.rank == 2 ? x.unsqueeze(0) : x
    let (n, rows, blocks) = (batched.shape[0], batched.shape[1], batched.shape[2])
    let kernel = kernelSize.0 * kernelSize.1
    guard kernel > 0, rows % kernel == 0 else {
        shapeFailure(ShapeError("fold: the input's dim 1 (\(rows)) must divide by the kernel's \(kernel) elements "
            + "(kernel size \(kernelSize)); input shape \(x.shape)"))
    }
    let geometry = slidingGeometry([n, rows / kernel, outputSize.0, outputSize.1], kernelSize, dilation, padding, stride,
                                   op: "fold")
    guard geometry.outHeight * geometry.outWidth == blocks else {
        shapeFailure(ShapeError("fold: an output of \(outputSize) with kernel \(kernelSize), dilation \(dilation), "
            + "padding \(padding) and stride \(stride) has \(geometry.outHeight * geometry.outWidth) blocks, "
            + "but the input \(x.shape) has \(blocks)"))
    }
    // [N, C·k, L] → [C·k, N·L], the layout col2im reads.
    let images = batched.permute([1, 0, 2]).reshape([rows, n * blocks]).foldColumns(geometry)
    return x.rank == 2 ? images.squeeze(0) : images
}

private func slidingGeometry(_ shape: [Int], _ kernel: (Int, Int), _ dilation: (Int, Int), _ padding: (Int, Int),
                             _ stride: (Int, Int), op: String) -> ConvGeometry {
    guard kernel.0 > 0, kernel.1 > 0, dilation.0 > 0, dilation.1 > 0, stride.0 > 0, stride.1 > 0,
          padding.0 >= 0, padding.1 >= 0 else {
        shapeFailure(ShapeError("\(op): kernel size \(kernel), dilation \(dilation) and stride \(stride) must be positive "
            + "and padding \(padding) non-negative"))
    }
    return ConvGeometry(batch: shape[0], channels: shape[1], height: shape[2], width: shape[3], kernel: kernel,
                        stride: stride, padding: padding, dilation: dilation)
}

/// Python's spelling of a size given as a pair: `3` when both are equal, `(2, 3)` otherwise.
private func pythonSize(_ p: (Int, Int)) -> String { p.0 == p.1 ? "\(p.0)" : pythonPair(p) }

/// `unfold` as a layer, like `torch.nn.Unfold`.
public final class Unfold: Module {
    public let kernelSize: (Int, Int), dilation: (Int, Int), padding: (Int, Int), stride: (Int, Int)
    public init(kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                stride: (Int, Int) = (1, 1)) {
        (self.kernelSize, self.dilation, self.padding, self.stride) = (kernelSize, dilation, padding, stride)
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        unfold(x, kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride)
    }
    public override var extraDescription: String {
        "kernel_size=\(pythonSize(kernelSize)), dilation=\(pythonSize(dilation)), padding=\(pythonSize(padding)), "
            + "stride=\(pythonSize(stride))"
    }
}

/// `fold` as a layer, like `torch.nn.Fold`.
public final class Fold: Module {
    public let outputSize: (Int, Int), kernelSize: (Int, Int), dilation: (Int, Int), padding: (Int, Int), stride: (Int, Int)
    public init(outputSize: (Int, Int), kernelSize: (Int, Int), dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                stride: (Int, Int) = (1, 1)) {
        (self.outputSize, self.kernelSize, self.dilation, self.padding, self.stride) = (outputSize, kernelSize, dilation,
                                                                                      padding, stride)
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor {
        fold(x, outputSize: outputSize, kernelSize: kernelSize, dilation: dilation, padding: padding, stride: stride)
    }
    public override var extraDescription: String {
        "output_size=\(pythonSize(outputSize)), kernel_size=\(pythonSize(kernelSize)), dilation=\(pythonSize(dilation)), "
            + "padding=\(pythonSize(padding)), stride=\(pythonSize(stride))"
    }
}
