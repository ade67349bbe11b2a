/// 2-D convolution, like `torch.nn.functional.conv2d`: in the backend's own kernels where it has them
/// (the CPU's, image by image: `CPUConv2d.swift`), otherwise as im2col + batched BLAS products.
/// Layouts are PyTorch's: input [N, C, H, W], weight [out, in/groups, kh, kw], so state dicts load unchanged.

/// How much zero padding a convolution adds. An integer literal means the same padding on all sides.
public enum Padding: Equatable, Sendable, ExpressibleByIntegerLiteral {
    /// No padding.
    case valid
    /// Output as large as the input (stride 1 only); odd totals put the extra row/column at the end, as PyTorch does.
    case same
    /// Rows added at top and bottom, columns at left and right.
    case explicit(Int, Int)

    public init(integerLiteral value: Int) { self = .explicit(value, value) }
}

extension Tensor {
    /// Sliding windows of a [N, C, H, W] tensor as columns [N, C·kh·kw, outH·outW], like `F.unfold`;
    /// gradient by col2im. The result is a view of the backend's [C·kh·kw, N, outH·outW] layout.
    public func im2col(_ geometry: ConvGeometry) -> Tensor {
        convColumns(geometry).reshape([geometry.channels * geometry.kernelH * geometry.kernelW, geometry.batch,
                                       geometry.outHeight * geometry.outWidth]).permute([1, 0, 2])
    }

    /// The backend's columns [C·kh·kw, N·outH·outW] (differentiable through col2im).
    func convColumns(_ geometry: ConvGeometry) -> Tensor {
        let source = contiguous()
        let rows = geometry.channels * geometry.kernelH * geometry.kernelW
        let out = Tensor.result(backend.im2col(source.view, geometry),
                                shape: [rows, geometry.batch * geometry.outHeight * geometry.outWidth])
        let inputShape = shape
        return out.recording("im2col", inputs: [source]) { g in
            [g.foldColumns(geometry).reshape(inputShape)]
        }
    }

    /// Zero-pads the last two dims: `left`/`right` columns and `top`/`bottom` rows, like `F.pad`.
    public func pad2d(left: Int, right: Int, top: Int, bottom: Int) -> Tensor {
        guard rank >= 2, left >= 0, right >= 0, top >= 0, bottom >= 0 else {
            shapeFailure(ShapeError("pad2d: needs a tensor with at least 2 dims and non-negative padding, "
                + "got shape \(shape) and padding (\(left), \(right), \(top), \(bottom))"))
        }
        if left == 0 && right == 0 && top == 0 && bottom == 0 { return self }
        var outShape = shape
        outShape[rank - 2] += top + bottom
        outShape[rank - 1] += left + right
        let out = Tensor.zeros(outShape, device: device)
        let h = shape[rank - 2], w = shape[rank - 1]
        noGrad { out.narrow(-2, start: top, length: h).narrow(-1, start: left, length: w).copy_(self) }
        return out.recording("pad2d", inputs: [self]) { g in
            [g.narrow(-2, start: top, length: h).narrow(-1, start: left, length: w)]
        }
    }
}

/// Resolves `.same`/`.valid` into symmetric padding plus the extra bottom/right rows PyTorch adds
/// when the total is odd.
func resolvePadding(_ padding: Padding, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int), op: String)
    -> (symmetric: (Int, Int), extra: (Int, Int)) {
    switch padding {
    case .valid:
        return ((0, 0), (0, 0))
    case .explicit(let h, let w):
        guard h >= 0 && w >= 0 else { shapeFailure(ShapeError("\(op): padding must be non-negative, got (\(h), \(w))")) }
        return ((h, w), (0, 0))
    case .same:
        guard stride == (1, 1) else {
            shapeFailure(ShapeError("\(op): padding .same is only supported with stride 1, got stride \(stride)"))
        }
        let totalH = dilation.0 * (kernel.0 - 1), totalW = dilation.1 * (kernel.1 - 1)
        return ((totalH / 2, totalW / 2), (totalH % 2, totalW % 2))
    }
}

/// 2-D convolution of `x` [N, C, H, W] with `weight` [out, C/groups, kh, kw] and optional `bias` [out].
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    guard x.rank == 4, weight.rank == 4 else {
        shapeFailure(ShapeError("conv2d: expects a 4-D input [N, C, H, W] and a 4-D weight [out, in/groups, kh, kw], "
            + "got input \(x.shape) and weight \(weight.shape)"))
    }
    guard x.dtype == .float32 && weight.dtype == .float32 else {
        fatalError("Ember: conv2d: expects float32 tensors, got input \(x.dtype) \(x.shape) and weight \(weight.dtype) "
                   + "\(weight.shape); convert with .to(.float32)")
    }
    guard groups >= 1, stride.0 >= 1, stride.1 >= 1, dilation.0 >= 1, dilation.1 >= 1 else {
        shapeFailure(ShapeError("conv2d: groups, stride and dilation must be positive, got groups \(groups), "
            + "stride \(stride), dilation \(dilation)"))
    }
    let (n, c) = (x.shape[0], x.shape[1])
    let (outChannels, groupChannels, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    guard c % groups == 0, outChannels % groups == 0 else {
        shapeFailure(ShapeError("conv2d: input channels (\(c)) and output channels (\(outChannels)) must both be "
            + "divisible by groups (\(groups))"))
    }
    guard groupChannels * groups == c else {
        shapeFailure(ShapeError("conv2d: weight \(weight.shape) expects \(groupChannels * groups) input channels "
            + "(\(groupChannels) per group × \(groups) groups), but the input \(x.shape) has \(c)"))
    }
    x.checkSameDevice("conv2d", weight, bias)
    if let bias, bias.dtype != .float32 {
        fatalError("Ember: conv2d: expects a float32 bias, got \(bias.dtype) \(bias.shape); convert with .to(.float32)")
    }
    if let bias, bias.shape != [outChannels] {
        shapeFailure(ShapeError("conv2d: bias of shape \(bias.shape) does not match \(outChannels) output channels"))
    }
    let (pad, extra) = resolvePadding(padding, kernel: (kh, kw), stride: stride, dilation: dilation, op: "conv2d")
    let input = extra == (0, 0) ? x : x.pad2d(left: 0, right: extra.1, top: 0, bottom: extra.0)
    let geometry = ConvGeometry(batch: n, channels: c, height: input.shape[2], width: input.shape[3],
                                kernel: (kh, kw), stride: stride, padding: pad, dilation: dilation)
    let paddedH = input.shape[2] + 2 * pad.0, paddedW = input.shape[3] + 2 * pad.1
    guard dilation.0 * (kh - 1) + 1 <= paddedH, dilation.1 * (kw - 1) + 1 <= paddedW else {
        shapeFailure(ShapeError("conv2d: kernel size \(kh)x\(kw) (dilation \(dilation)) is larger than the padded "
            + "input \(paddedH)x\(paddedW) (input \(x.shape), padding \(pad))"))
    }
    if let direct = directConvolution(input, weight: weight, bias: bias, geometry: geometry, groups: groups) {
        return direct
    }
    // Without a graph to record (evaluation), bound im2col's memory by convolving a block of images
    // at a time: a whole test batch of columns can take hundreds of megabytes.
    let recordsGraph = GradMode.isEnabled && (input.requiresGrad || weight.requiresGrad || bias?.requiresGrad == true)
    let columnBytesPerImage = c * kh * kw * geometry.outHeight * geometry.outWidth * 4
    let block = Swift.max(1, columnsBudget / Swift.max(columnBytesPerImage, 1))
    if !recordsGraph && n > block {
        let out = Tensor(uninitializedShape: [n, outChannels, geometry.outHeight, geometry.outWidth], device: x.device)
        for start in Swift.stride(from: 0, to: n, by: block) {
            let count = Swift.min(block, n - start)
            var part = geometry
            part.batch = count
            let result = convolve(input.narrow(0, start: start, length: count), weight: weight, bias: bias,
                                  geometry: part, groups: groups)
            noGrad { out.narrow(0, start: start, length: count).copy_(result) }
        }
        return out
    }
    return convolve(input, weight: weight, bias: bias, geometry: geometry, groups: groups)
}

/// The convolution in the backend's own kernels (`Backend.conv2d`), or nil where it has none. A
/// backward pass that is itself recorded (double backward) recomputes the output from differentiable ops.
private func directConvolution(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int) -> Tensor? {
    let backend = input.backend
    let outChannels = weight.shape[0]
    // A weight that starts needing a gradient only after the forward pass gets none (the columns are gone).
    let keepColumns = GradMode.isEnabled && weight.requiresGrad
    guard let (outStorage, columns) = backend.conv2d(input.view, weight: weight.view, bias: bias?.view,
                                                     geometry, groups: groups, keepColumns: keepColumns) else { return nil }
    let outShape = [geometry.batch, outChannels, geometry.outHeight, geometry.outWidth]
    let out = Tensor.result(outStorage, shape: outShape)
    return recordConvolution(out, input, weight: weight, bias: bias, geometry: geometry, groups: groups) { g in
        let grad = g.contiguous()
        guard let (gradInput, gradWeight) = backend.conv2dBackward(
            grad.view, weight: weight.view, columns: weight.requiresGrad ? columns : nil, geometry, groups: groups,
            inputGrad: input.requiresGrad) else {
            fatalError("Ember: conv2d: the \(backend.device) backend ran the forward pass but has no backward")
        }
        var grads: [Tensor?] = [gradInput.map { Tensor.result($0, shape: input.shape) },
                                gradWeight.map { Tensor.result($0, shape: weight.shape) }]
        if let bias { grads.append(bias.requiresGrad ? grad.sum(dims: [0, 2, 3]) : nil) }
        return grads
    }
}

/// Records `out` as the convolution of `input` by `weight` (+ `bias`): `backward` maps the output
/// gradient to the gradients of [input, weight, bias?], except when the backward pass is itself
/// recorded (double backward), where `recordedGradients` differentiates a recomputation.
private func recordConvolution(_ out: Tensor, _ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry,
                               groups: Int, _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
    let inputVersion = input.storage.version
    return out.recording("conv2d", inputs: [input, weight] + (bias.map { [$0] } ?? []), saving: [weight]) { g in
        guard Tensor.isRecordingBackward else { return backward(g) }
        input.checkUnchanged(since: inputVersion, by: "conv2d")
        return recordedGradients(input, weight: weight, bias: bias, geometry: geometry, groups: groups, outputGradient: g)
    }
}

/// The gradients of a convolution when the backward pass is itself recorded (double backward): the
/// output recomputed from differentiable ops (im2col and a matmul per group), then differentiated.
private func recordedGradients(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int,
                               outputGradient g: Tensor) -> [Tensor?] {
    let n = geometry.batch, outChannels = weight.shape[0], perGroup = outChannels / groups
    let plane = geometry.outHeight * geometry.outWidth, k = weight.shape[1] * weight.shape[2] * weight.shape[3]
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    return Tensor.recomputedGradients(of: inputs, outputGradient: g) {
        let product = weight.reshape([groups, perGroup, k]).matmul(input.convColumns(geometry).reshape([groups, k, n * plane]))
        let output = product.reshape([outChannels, n, plane]).permute([1, 0, 2])
            .reshape([n, outChannels, geometry.outHeight, geometry.outWidth])
        return bias.map { output + $0.reshape([1, outChannels, 1, 1]) } ?? output
    }
}

/// The most memory im2col's columns may take when convolving without recording a graph.
let columnsBudget = 64 << 20

/// The convolution proper, recorded as one node.
///
/// Forward: im2col to columns [C·kh·kw, N·L] (L = outH·outW), then one BLAS product per image and
/// group, W_g [out/g, k] × that image's columns (a strided block of the rows, no copy), written
/// straight into NCHW.
/// Backward: the output gradient is transposed once to [groups, out/g, N·L]; dW = g·columnsᵀ is one
/// GEMM per group over the whole batch; dColumns = Wᵀ·g is one GEMM per group over a block of a few
/// images (about 2 MB of columns), which col2im folds into the input gradient while it is still in
/// cache. (Measured: blocking dColumns saves ~8 % of a CNN step; blocking the forward and dW as well,
/// recomputing im2col, was slower.)
private func convolve(_ input: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvGeometry, groups: Int) -> Tensor {
    let n = geometry.batch, outChannels = weight.shape[0], perGroup = outChannels / groups
    let outH = geometry.outHeight, outW = geometry.outWidth, plane = outH * outW
    let k = weight.shape[1] * weight.shape[2] * weight.shape[3]
    let source = input.contiguous()
    let columns = Tensor.result(source.backend.im2col(source.view, geometry), shape: [groups * k, n * plane])
    let groupedWeight = weight.detach().reshape([groups, perGroup, k])
    // Image i, group g reads rows g·k..<(g+1)·k, columns i·L..<(i+1)·L.
    let imageColumns = columns.reshape([groups, k, n, plane]).permute([2, 0, 1, 3])
    let out = noGrad {
        Tensor.rawProduct(groupedWeight, imageColumns, batchShape: [n, groups], m: perGroup, n: plane, k: k, bias: nil)
            .reshape([n, outChannels, outH, outW])
    }
    if let bias { noGrad { out.add_(bias.detach().reshape([1, outChannels, 1, 1])) } }
    return recordConvolution(out, input, weight: weight, bias: bias, geometry: geometry, groups: groups) { g in
        // [N, out, L] → [groups, out/g, N·L]
        let planes = g.contiguous().reshape([n, outChannels, plane]).permute([1, 0, 2]).contiguous()
            .reshape([groups, perGroup, n * plane])
        let gradWeight = weight.requiresGrad
            ? planes.matmul(columns.reshape([groups, k, n * plane]).transpose(-1, -2)).reshape(weight.shape) : nil
        var gradInput: Tensor? = nil
        if input.requiresGrad {
            let weightT = groupedWeight.transpose(-1, -2)  // [groups, k, out/g]
            let imagesPerBlock = max(1, min(n, (1 << 19) / max(groups * k * plane, 1)))
            var pieces: [Tensor] = []
            for start in stride(from: 0, to: n, by: imagesPerBlock) {
                let count = min(imagesPerBlock, n - start)
                // A strided slice of `planes` (leading dimension N·L): BLAS reads it in place.
                let block = planes.narrow(2, start: start * plane, length: count * plane)
                let gradColumns = weightT.matmul(block)  // [groups, k, count·L] = [C·kh·kw, count·L]
                var part = geometry
                part.batch = count
                pieces.append(Tensor.result(input.backend.col2im(gradColumns.view, part),
                                            shape: [count] + Array(input.shape.dropFirst())))
            }
            gradInput = pieces.count == 1 ? pieces[0] : Tensor.cat(pieces, dim: 0)
        }
        var grads: [Tensor?] = [gradInput, gradWeight]
        if let bias { grads.append(bias.requiresGrad ? g.sum(dims: [0, 2, 3]) : nil) }
        return grads
    }
}
