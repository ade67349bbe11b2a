/// 3-D convolution, like `torch.nn.functional.conv3d` and `torch.nn.Conv3d`: videos [N, C, D, H, W]
/// (frames as depth) and volumes (CT and MRI scans).

/// How much zero padding a 3-D convolution adds. An integer literal means the same on every side.
public enum Padding3d: Equatable, Sendable, ExpressibleByIntegerLiteral {
    /// No padding.
    case valid
    /// Output as large as the input (stride 1 only); odd totals put the extra slice at the end, as PyTorch does.
    case same
    /// Slices added at the front and back (depth), rows at top and bottom, columns at left and right.
    case explicit(Int, Int, Int)

    public init(integerLiteral value: Int) { self = .explicit(value, value, value) }

    /// The padding per spatial dim for a layer's repr, or nil for `.same`.
    var describedSizes: [Int]? {
        switch self {
        case .valid: return [0, 0, 0]
        case .same: return nil
        case .explicit(let d, let h, let w): return [d, h, w]
        }
    }

    /// [front, back, top, bottom, left, right] for this kernel and dilation.
    func amounts(kernel: [Int], stride: [Int], dilation: [Int], op: String) -> [Int] {
        switch self {
        case .valid: return [0, 0, 0, 0, 0, 0]
        case .explicit(let d, let h, let w):
            guard d >= 0, h >= 0, w >= 0 else { shapeFailure(ShapeError("\(op): padding must be non-negative, got (\(d), \(h), \(w))")) }
            return [d, d, h, h, w, w]
        case .same:
            guard stride == [1, 1, 1] else {
                shapeFailure(ShapeError("\(op): padding .same is only supported with stride 1, got stride \(pythonTuple(stride))"))
            }
            return (0..<3).flatMap { i -> [Int] in
                let total = dilation[i] * (kernel[i] - 1)
                return [total / 2, total - total / 2]
            }
        }
    }
}

/// 3-D convolution of `x` [N, C, D, H, W] with `weight` [out, C/groups, kd, kh, kw] and optional `bias` [out].
///
/// It runs as one 2-D convolution: the kd depth taps of each output slice are stacked as channels
/// (a [N·outD, kd·C, H, W] batch, one copy) and convolved with the weight's taps folded the same
/// way, so the work goes through `conv2d`'s kernels on every backend, and autograd (to any order)
/// through theirs.
public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                   padding: Padding3d = .valid, dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1) -> Tensor {
    guard x.rank == 5, weight.rank == 5 else {
        shapeFailure(ShapeError("conv3d: expects a 5-D input [N, C, D, H, W] and a 5-D weight [out, in/groups, kd, kh, kw], "
            + "got input \(x.shape) and weight \(weight.shape)"))
    }
    let strides = [stride.0, stride.1, stride.2], dilations = [dilation.0, dilation.1, dilation.2]
    guard groups >= 1, strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }) else {
        shapeFailure(ShapeError("conv3d: groups, stride and dilation must be positive, got groups \(groups), "
            + "stride \(pythonTuple(strides)), dilation \(pythonTuple(dilations))"))
    }
    guard x.dtype == .float32 && weight.dtype == .float32 && (bias?.dtype ?? .float32) == .float32 else {
        fatalError("Ember: conv3d: expects float32 tensors, got input \(x.dtype) \(x.shape) and weight \(weight.dtype) "
                   + "\(weight.shape); convert with .to(.float32)")
    }
    x.checkSameDevice("conv3d", weight, bias)
    guard weight.shape.suffix(3).allSatisfy({ $0 > 0 }) else {
        shapeFailure(ShapeError("conv3d: the kernel \(weight.shape) must be non-empty in every dim (kd, kh, kw)"))
    }
    let (n, c, outChannels, groupChannels) = (x.shape[0], x.shape[1], weight.shape[0], weight.shape[1])
    guard groupChannels * groups == c, outChannels % groups == 0 else {
        shapeFailure(ShapeError("conv3d: weight \(weight.shape) expects \(groupChannels * groups) input channels "
            + "(\(groupChannels) per group × \(groups) groups) and output channels divisible by the groups, "
            + "but the input \(x.shape) has \(c)"))
    }
    let kernel = Array(weight.shape.suffix(3))
    let amounts = padding.amounts(kernel: kernel, stride: strides, dilation: dilations, op: "conv3d")
    // Depth padding is added here; height and width padding by conv2d, without a copy.
    let padded = amounts[0] + amounts[1] > 0 ? pad(x, [0, 0, 0, 0, amounts[0], amounts[1]]) : x
    for i in 0..<3 {
        let size = x.shape[2 + i] + amounts[2 * i] + amounts[2 * i + 1], span = dilations[i] * (kernel[i] - 1) + 1
        guard size >= span else {
            shapeFailure(ShapeError("conv3d: the kernel \(pythonTuple(kernel)) with dilation \(pythonTuple(dilations)) spans "
                + "\(span) along dim \(2 + i), more than the \(size) of the padded input (input \(x.shape))"))
        }
    }
    let depth = padded.shape[2]
    let outDepth = (depth - dilations[0] * (kernel[0] - 1) - 1) / strides[0] + 1
    let (height, width) = (x.shape[3], x.shape[4])
    // Tap t of output slice d reads input slice d·stride + t·dilation; within each group the
    // channels go tap by tap, matching the weight [out, kd·C/groups, kh, kw] folded below.
    let taps = (0..<kernel[0]).map { tap in
        padded.slice(2, start: tap * dilations[0], end: tap * dilations[0] + (outDepth - 1) * strides[0] + 1, step: strides[0])
            .reshape([n, groups, c / groups, outDepth, height, width]).permute([0, 3, 1, 2, 4, 5])
    }
    let frames = Tensor.stack(taps, dim: 3).reshape([n * outDepth, kernel[0] * c, height, width])
    let folded = weight.permute([0, 2, 1, 3, 4]).reshape([outChannels, kernel[0] * groupChannels, kernel[1], kernel[2]])
    let planePadding: Padding = padding == .same ? .same : .explicit(amounts[2], amounts[4])
    let out = conv2d(frames, weight: folded, bias: bias, stride: (strides[1], strides[2]), padding: planePadding,
                     dilation: (dilations[1], dilations[2]), groups: groups)
    let (outHeight, outWidth) = (out.shape[2], out.shape[3])
    return out.reshape([n, outDepth, outChannels, outHeight, outWidth]).permute([0, 2, 1, 3, 4]).contiguous()
}

/// 3-D convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]) inputs, like `torch.nn.Conv3d`.
///
/// The weight has PyTorch's layout [outChannels, inChannels/groups, kd, kh, kw] (state dicts load
/// unchanged) and PyTorch's initialization (kaiming_uniform(a: √5); the bias U(±1/√fanIn)).
open class Conv3d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int, Int)
    public let stride: (Int, Int, Int)
    public let padding: Padding3d
    public let dilation: (Int, Int, Int)
    public let groups: Int
    /// How the padding is filled: zeros, or (`.reflect`, `.replicate`, `.circular`) from the input itself.
    public let paddingMode: PaddingMode
    /// [outChannels, inChannels/groups, kd, kh, kw]
    public var weight: Tensor
    /// [outChannels], or nil without bias.
    public var bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
                padding: Padding3d = .valid, dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1, bias: Bool = true,
                paddingMode: PaddingMode = .zeros) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Ember: Conv3d: channels must be positive, got in \(inChannels), out \(outChannels)")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Ember: Conv3d: in_channels (\(inChannels)) and out_channels (\(outChannels)) must both be divisible by groups (\(groups))")
        let sizes = [kernelSize.0, kernelSize.1, kernelSize.2, stride.0, stride.1, stride.2, dilation.0, dilation.1, dilation.2]
        precondition(sizes.allSatisfy { $0 > 0 },
                     "Ember: Conv3d: kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive")
        if case .explicit(let d, let h, let w) = padding {
            precondition(d >= 0 && h >= 0 && w >= 0, "Ember: Conv3d: padding must be non-negative, got (\(d), \(h), \(w))")
        }
        precondition(padding != .same || stride == (1, 1, 1),
                     "Ember: Conv3d: padding .same is only supported with stride 1, got stride \(stride)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.paddingMode = paddingMode
        weight = Tensor.zeros([outChannels, inChannels / groups, kernelSize.0, kernelSize.1, kernelSize.2], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    /// A cubic kernel, stride and dilation: `Conv3d(3, 16, kernelSize: 3, padding: 1)`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Padding3d = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .zeros) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize, kernelSize), stride: (stride, stride, stride),
                  padding: padding, dilation: (dilation, dilation, dilation), groups: groups, bias: bias,
                  paddingMode: paddingMode)
    }

    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Padding3d = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .zeros) {
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode)
    }

    /// PyTorch's default: kaiming_uniform(a: √5) for the weight, U(±1/√fanIn) for the bias.
    open func resetParameters() { resetConvolutionParameters(weight: weight, bias: bias) }

    open override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 5 || x.rank == 4, x.shape[x.rank - 4] == inChannels else {
            shapeFailure(ShapeError("Conv3d: expected an input [N, \(inChannels), D, H, W] or [\(inChannels), D, H, W] "
                + "(\(typeName)(\(extraDescription))), got shape \(x.shape)"))
        }
        // An unbatched [C, D, H, W] input runs as a batch of one, like PyTorch.
        let batched = x.rank == 4 ? x.unsqueeze(0) : x
        let out: Tensor
        if paddingMode == .zeros {
            out = conv3d(batched, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        } else {
            // The border comes from the input: pad it first (odd `.same` totals put the extra at the end).
            let amounts = padding.amounts(kernel: [kernelSize.0, kernelSize.1, kernelSize.2], stride: [stride.0, stride.1, stride.2],
                                          dilation: [dilation.0, dilation.1, dilation.2], op: "Conv3d")
            let padded = pad(batched, [amounts[4], amounts[5], amounts[2], amounts[3], amounts[0], amounts[1]],
                             mode: paddingMode.padMode)
            out = conv3d(padded, weight: weight, bias: bias, stride: stride, dilation: dilation, groups: groups)
        }
        return x.rank == 4 ? out.squeeze(0) : out
    }

    /// PyTorch's repr: `3, 16, kernel_size=(3, 3, 3), stride=(1, 1, 1)` plus the non-default settings.
    open override var extraDescription: String {
        convolutionDescription(inChannels, outChannels, kernel: [kernelSize.0, kernelSize.1, kernelSize.2],
                               stride: [stride.0, stride.1, stride.2], padding: padding.describedSizes,
                               dilation: [dilation.0, dilation.1, dilation.2], groups: groups, hasBias: bias != nil,
                               paddingMode: paddingMode)
    }
}
