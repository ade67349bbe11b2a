/// 1-D convolution of `x` [N, C, L] with `weight` [out, C/groups, k] and optional `bias` [out], like
/// `torch.nn.functional.conv1d`. `padding` is `.valid`, `.same` (stride 1) or an integer: that many
/// zeros at each end.
///
/// It runs as `conv2d` on views of height 1 ([N, C, 1, L] and [out, C/groups, 1, k]): no copies,
/// and the same im2col + BLAS kernels both ways.
public func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Padding = .valid,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    guard x.rank == 3, weight.rank == 3 else {
        shapeFailure(ShapeError("conv1d: expects a 3-D input [N, C, L] and a 3-D weight [out, in/groups, k], "
            + "got input \(x.shape) and weight \(weight.shape)"))
    }
    guard groups >= 1, weight.shape[1] * groups == x.shape[1] else {
        shapeFailure(ShapeError("conv1d: weight \(weight.shape) expects \(weight.shape[1] * Swift.max(groups, 1)) input channels "
            + "(\(weight.shape[1]) per group × \(groups) groups), but the input \(x.shape) has \(x.shape[1])"))
    }
    let padding2d: Padding
    switch padding {
    case .valid, .same: padding2d = padding
    case .explicit(let left, let right):
        guard left == right else {
            shapeFailure(ShapeError("conv1d: padding is the same at both ends; give one integer, got .explicit(\(left), \(right))"))
        }
        padding2d = .explicit(0, left)
    }
    return conv2d(x.unsqueeze(2), weight: weight.unsqueeze(2), bias: bias, stride: (1, stride), padding: padding2d,
                  dilation: (1, dilation), groups: groups).squeeze(2)
}

/// 1-D convolution over [N, C, L] (or unbatched [C, L]) inputs, like `torch.nn.Conv1d`: sequences
/// of feature vectors, audio, or text embeddings with channels first.
///
/// The weight has PyTorch's layout [outChannels, inChannels/groups, kernelSize], initialized like
/// PyTorch's (kaiming_uniform(a: √5), i.e. U(±1/√fanIn) with fanIn = inChannels/groups·kernelSize;
/// the bias U(±1/√fanIn) too), from the global generator.
open class Conv1d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Padding
    public let dilation: Int
    public let groups: Int
    /// [outChannels, inChannels/groups, kernelSize]
    public var weight: Tensor
    /// [outChannels], or nil without bias.
    public var bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Ember: Conv1d: channels must be positive, got in \(inChannels), out \(outChannels)")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Ember: Conv1d: in_channels (\(inChannels)) and out_channels (\(outChannels)) must both be divisible by groups (\(groups))")
        precondition(kernelSize > 0 && stride > 0 && dilation > 0,
                     "Ember: Conv1d: kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive")
        if case .explicit(let left, let right) = padding {
            precondition(left >= 0 && left == right, "Ember: Conv1d: padding must be one non-negative integer, got (\(left), \(right))")
        }
        precondition(padding != .same || stride == 1, "Ember: Conv1d: padding .same is only supported with stride 1, got stride \(stride)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        weight = Tensor.zeros([outChannels, inChannels / groups, kernelSize], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                  groups: groups, bias: bias)
    }

    /// PyTorch's default: kaiming_uniform(a: √5) for the weight, U(±1/√fanIn) for the bias.
    open func resetParameters() { resetConvolutionParameters(weight: weight, bias: bias) }

    open override func forward(_ x: Tensor) -> Tensor {
        guard (x.rank == 3 || x.rank == 2), x.shape[x.rank - 2] == inChannels else {
            shapeFailure(ShapeError("Conv1d: expected an input [N, \(inChannels), L] or [\(inChannels), L] "
                + "(\(typeName)(\(extraDescription))), got shape \(x.shape)"))
        }
        // An unbatched [C, L] input runs as a batch of one, like PyTorch.
        let batched = x.rank == 2 ? x.unsqueeze(0) : x
        let out = conv1d(batched, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
        return x.rank == 2 ? out.squeeze(0) : out
    }

    /// PyTorch's repr: `3, 8, kernel_size=(3,), stride=(1,)` plus the non-default settings.
    open override var extraDescription: String {
        convolutionDescription(inChannels, outChannels, kernel: [kernelSize], stride: [stride], padding: padding.describedSizes(dims: 1),
                               dilation: [dilation], groups: groups, hasBias: bias != nil)
    }
}
