/// Transposed convolution ("deconvolution"), like `torch.nn.functional.conv_transpose2d`: the adjoint of
/// `conv2d`, which upsamples (decoders, autoencoders, GAN generators, U-Nets).
///
/// It is built from the pieces of the forward convolution and recorded through them, so its
/// gradients come from the same kernels: one batched BLAS product Wᵀ·x gives columns
/// [C_out·kh·kw, N·H·W], which col2im folds into the output image. Backward is im2col of the output
/// gradient and two products, exactly a convolution's forward and weight gradient.

extension Tensor {
    /// Folds columns [C·kh·kw, N·outH·outW] into a [N, C, H, W] image, summing overlaps (col2im);
    /// gradient by im2col. The inverse direction of `convColumns`.
    func foldColumns(_ geometry: ConvGeometry) -> Tensor {
        let source = contiguous()
        let out = Tensor.result(backend.col2im(source.view, geometry),
                                shape: [geometry.batch, geometry.channels, geometry.height, geometry.width])
        return out.recording("col2im", inputs: [source]) { g in [g.convColumns(geometry)] }
    }
}

/// Transposed 2-D convolution of `x` [N, C_in, H, W] with `weight` [C_in, C_out/groups, kh, kw] (PyTorch's
/// layout for transposed convolutions, so state dicts load) and optional `bias` [C_out].
///
/// The output is [N, C_out, H_out, W_out] with H_out = (H − 1)·stride − 2·padding + dilation·(kh − 1)
/// + outputPadding + 1: each input pixel scatters a weighted kernel into the output, `stride` apart.
/// `padding` crops that many rows/columns from each border; `outputPadding` (less than the stride or the
/// dilation) adds rows/columns at the bottom/right, to reach the size a strided convolution came from.
public func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                            groups: Int = 1, dilation: (Int, Int) = (1, 1)) -> Tensor {
    guard x.rank == 4, weight.rank == 4 else {
        shapeFailure(ShapeError("convTranspose2d: expects a 4-D input [N, C_in, H, W] and a 4-D weight "
            + "[C_in, C_out/groups, kh, kw], got input \(x.shape) and weight \(weight.shape)"))
    }
    guard groups >= 1, stride.0 >= 1, stride.1 >= 1, dilation.0 >= 1, dilation.1 >= 1,
          padding.0 >= 0, padding.1 >= 0, outputPadding.0 >= 0, outputPadding.1 >= 0 else {
        shapeFailure(ShapeError("convTranspose2d: groups, stride and dilation must be positive and padding and "
            + "outputPadding non-negative, got groups \(groups), stride \(stride), dilation \(dilation), "
            + "padding \(padding), outputPadding \(outputPadding)"))
    }
    guard outputPadding.0 < max(stride.0, dilation.0), outputPadding.1 < max(stride.1, dilation.1) else {
        shapeFailure(ShapeError("convTranspose2d: outputPadding \(outputPadding) must be smaller than the stride "
            + "\(stride) or the dilation \(dilation) in each dim"))
    }
    let (n, inChannels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    guard height > 0, width > 0 else {
        shapeFailure(ShapeError("convTranspose2d: the input \(x.shape) has no pixels; only the batch or the channels may be 0"))
    }
    let (kh, kw) = (weight.shape[2], weight.shape[3])
    guard weight.shape[0] == inChannels, inChannels % groups == 0 else {
        shapeFailure(ShapeError("convTranspose2d: weight \(weight.shape) expects \(weight.shape[0]) input channels "
            + "(its dim 0, divisible by groups \(groups)), but the input \(x.shape) has \(inChannels)"))
    }
    let perGroupOut = weight.shape[1], outChannels = perGroupOut * groups
    if let bias, bias.shape != [outChannels] {
        shapeFailure(ShapeError("convTranspose2d: bias of shape \(bias.shape) does not match \(outChannels) output "
            + "channels (weight \(weight.shape), groups \(groups))"))
    }
    let outH = (height - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let outW = (width - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    guard outH > 0, outW > 0 else {
        shapeFailure(ShapeError("convTranspose2d: padding \(padding) crops the whole output of input \(x.shape) "
            + "with kernel \(kh)x\(kw) and stride \(stride); use less padding"))
    }
    let plane = height * width, perGroupIn = inChannels / groups, k = perGroupOut * kh * kw
    // [N, C_in, H, W] → [groups, C_in/g, N·H·W] (one copy), then Wᵀ [groups, C_out/g·kh·kw, C_in/g] times it.
    let grouped = x.reshape([n, groups, perGroupIn, plane]).permute([1, 2, 0, 3]).reshape([groups, perGroupIn, n * plane])
    let columns = weight.reshape([groups, perGroupIn, k]).transpose(-1, -2).matmul(grouped)
    let folded = columns.reshape([groups * k, n * plane])
    var out: Tensor
    if outputPadding.0 < stride.0 && outputPadding.1 < stride.1 {
        // col2im with the same padding drops the cropped border and lands every window where the
        // transposed convolution puts it: the convolution over [H_out, W_out] has exactly H×W windows.
        out = folded.foldColumns(ConvGeometry(batch: n, channels: outChannels, height: outH, width: outW,
                                              kernel: (kh, kw), stride: stride, padding: padding, dilation: dilation))
    } else {
        // Output padding of at least the stride (allowed below the dilation): a convolution over the
        // output size would have more windows than the input has pixels. Fold the uncropped output
        // instead, extend it with zeros where the output padding reaches past it, and crop.
        let fullH = (height - 1) * stride.0 + dilation.0 * (kh - 1) + 1
        let fullW = (width - 1) * stride.1 + dilation.1 * (kw - 1) + 1
        out = folded.foldColumns(ConvGeometry(batch: n, channels: outChannels, height: fullH, width: fullW,
                                              kernel: (kh, kw), stride: stride, padding: (0, 0), dilation: dilation))
            .pad2d(left: 0, right: max(outputPadding.1 - padding.1, 0), top: 0, bottom: max(outputPadding.0 - padding.0, 0))
            .narrow(2, start: padding.0, length: outH).narrow(3, start: padding.1, length: outW)
    }
    if let bias { out = out + bias.alongChannels(ofRank: 4) }
    return out
}

/// Transposed 1-D convolution of `x` [N, C_in, L] with `weight` [C_in, C_out/groups, k] and optional
/// `bias` [C_out], like `torch.nn.functional.conv_transpose1d`: L_out = (L − 1)·stride − 2·padding +
/// dilation·(k − 1) + outputPadding + 1. It runs as `convTranspose2d` on views of height 1.
public func convTranspose1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, dilation: Int = 1) -> Tensor {
    guard x.rank == 3, weight.rank == 3 else {
        shapeFailure(ShapeError("convTranspose1d: expects a 3-D input [N, C_in, L] and a 3-D weight "
            + "[C_in, C_out/groups, k], got input \(x.shape) and weight \(weight.shape)"))
    }
    guard weight.shape[0] == x.shape[1] else {
        shapeFailure(ShapeError("convTranspose1d: weight \(weight.shape) expects \(weight.shape[0]) input channels "
            + "(its dim 0), but the input \(x.shape) has \(x.shape[1])"))
    }
    return convTranspose2d(x.unsqueeze(2), weight: weight.unsqueeze(2), bias: bias, stride: (1, stride),
                           padding: (0, padding), outputPadding: (0, outputPadding), groups: groups,
                           dilation: (1, dilation)).squeeze(2)
}
