/// Transposed 2-D convolution over [N, C, H, W] inputs, like `torch.nn.ConvTranspose2d`: the layer that
/// upsamples in decoders. `ConvTranspose2d(32, 16, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)`
/// doubles the height and width, undoing the size change of `Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1)`.
///
/// The weight has PyTorch's layout [inChannels, outChannels/groups, kh, kw] (state dicts load unchanged)
/// and PyTorch's initialization: kaiming_uniform(a: √5) on that tensor, i.e. U(±1/√fanIn) with
/// fanIn = outChannels/groups·kh·kw, and the bias U(±1/√fanIn) too, from the global generator.
open class ConvTranspose2d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let outputPadding: (Int, Int)
    public let groups: Int
    public let dilation: (Int, Int)
    /// [inChannels, outChannels/groups, kh, kw]
    public var weight: Tensor
    /// [outChannels], or nil without bias.
    public var bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true,
                dilation: (Int, Int) = (1, 1)) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Ember: ConvTranspose2d: channels must be positive, got in \(inChannels), out \(outChannels)")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Ember: ConvTranspose2d: in_channels (\(inChannels)) and out_channels (\(outChannels)) must both be divisible by groups (\(groups))")
        precondition(kernelSize.0 > 0 && kernelSize.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
                     "Ember: ConvTranspose2d: kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive")
        precondition(padding.0 >= 0 && padding.1 >= 0, "Ember: ConvTranspose2d: padding must be non-negative, got \(padding)")
        precondition(outputPadding.0 >= 0 && outputPadding.1 >= 0
                        && outputPadding.0 < max(stride.0, dilation.0) && outputPadding.1 < max(stride.1, dilation.1),
                     "Ember: ConvTranspose2d: output padding \(outputPadding) must be non-negative and smaller than the stride \(stride) or the dilation \(dilation)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.groups = groups
        self.dilation = dilation
        weight = Tensor.zeros([inChannels, outChannels / groups, kernelSize.0, kernelSize.1], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    /// A square kernel and the same stride, padding, output padding and dilation in both dims.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), outputPadding: (outputPadding, outputPadding), groups: groups,
                  bias: bias, dilation: (dilation, dilation))
    }

    /// PyTorch's default: kaiming_uniform(a: √5) for the weight, U(±1/√fanIn) for the bias.
    open func resetParameters() { resetConvolutionParameters(weight: weight, bias: bias) }

    open override func forward(_ x: Tensor) -> Tensor { run(x) { _ in self.outputPadding } }

    /// The output at a chosen size (H_out, W_out), like PyTorch's `forward(input, output_size)`: a stride-2
    /// layer can give back either of the two sizes a stride-2 convolution maps to one input size, so
    /// the output padding is chosen to reach `outputSize` (it must be within `stride − 1` of the smallest).
    public func callAsFunction(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
        refreshParametrizations()
        return run(x) { batched in
            let padding = transposedOutputPadding(
                input: Array(batched.shape.suffix(2)), requested: [outputSize.0, outputSize.1],
                kernel: [self.kernelSize.0, self.kernelSize.1], stride: [self.stride.0, self.stride.1],
                padding: [self.padding.0, self.padding.1], dilation: [self.dilation.0, self.dilation.1], op: "ConvTranspose2d")
            return (padding[0], padding[1])
        }
    }

    /// Checks the input, runs an unbatched [C, H, W] one as a batch of one (like PyTorch), and applies
    /// the layer with the output padding `outputPadding(batched input)` gives.
    private func run(_ x: Tensor, outputPadding: (Tensor) -> (Int, Int)) -> Tensor {
        guard x.rank == 4 || x.rank == 3, x.shape[x.rank - 3] == inChannels else {
            shapeFailure(ShapeError("ConvTranspose2d: expected an input [N, \(inChannels), H, W] or [\(inChannels), H, W] "
                + "(\(typeName)(\(extraDescription))), got shape \(x.shape)"))
        }
        let batched = x.rank == 3 ? x.unsqueeze(0) : x
        let out = convTranspose2d(batched, weight: weight, bias: bias, stride: stride, padding: padding,
                                  outputPadding: outputPadding(batched), groups: groups, dilation: dilation)
        return x.rank == 3 ? out.squeeze(0) : out
    }

    /// PyTorch's repr: `32, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)`.
    open override var extraDescription: String {
        convolutionDescription(inChannels, outChannels, kernel: [kernelSize.0, kernelSize.1], stride: [stride.0, stride.1],
                               padding: [padding.0, padding.1], dilation: [dilation.0, dilation.1],
                               outputPadding: [outputPadding.0, outputPadding.1], groups: groups, hasBias: bias != nil)
    }
}

/// Transposed 1-D convolution over [N, C, L] (or unbatched [C, L]) inputs, like `torch.nn.ConvTranspose1d`.
///
/// The weight has PyTorch's layout [inChannels, outChannels/groups, kernelSize] and initialization
/// (kaiming_uniform(a: √5), fanIn = outChannels/groups·kernelSize; bias U(±1/√fanIn)).
open class ConvTranspose1d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int
    public let groups: Int
    public let dilation: Int
    /// [inChannels, outChannels/groups, kernelSize]
    public var weight: Tensor
    /// [outChannels], or nil without bias.
    public var bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Ember: ConvTranspose1d: channels must be positive, got in \(inChannels), out \(outChannels)")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Ember: ConvTranspose1d: in_channels (\(inChannels)) and out_channels (\(outChannels)) must both be divisible by groups (\(groups))")
        precondition(kernelSize > 0 && stride > 0 && dilation > 0 && padding >= 0,
                     "Ember: ConvTranspose1d: kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive and padding \(padding) non-negative")
        precondition(outputPadding >= 0 && outputPadding < max(stride, dilation),
                     "Ember: ConvTranspose1d: output padding \(outputPadding) must be non-negative and smaller than the stride \(stride) or the dilation \(dilation)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.groups = groups
        self.dilation = dilation
        weight = Tensor.zeros([inChannels, outChannels / groups, kernelSize], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    /// PyTorch's default: kaiming_uniform(a: √5) for the weight, U(±1/√fanIn) for the bias.
    open func resetParameters() { resetConvolutionParameters(weight: weight, bias: bias) }

    open override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 3 || x.rank == 2, x.shape[x.rank - 2] == inChannels else {
            shapeFailure(ShapeError("ConvTranspose1d: expected an input [N, \(inChannels), L] or [\(inChannels), L] "
                + "(\(typeName)(\(extraDescription))), got shape \(x.shape)"))
        }
        let batched = x.rank == 2 ? x.unsqueeze(0) : x
        let out = convTranspose1d(batched, weight: weight, bias: bias, stride: stride, padding: padding,
                                  outputPadding: outputPadding, groups: groups, dilation: dilation)
        return x.rank == 2 ? out.squeeze(0) : out
    }

    /// PyTorch's repr: `8, 4, kernel_size=(3,), stride=(2,)` plus the non-default settings.
    open override var extraDescription: String {
        convolutionDescription(inChannels, outChannels, kernel: [kernelSize], stride: [stride],
                               padding: [padding], dilation: [dilation],
                               outputPadding: [outputPadding], groups: groups, hasBias: bias != nil)
    }
}

/// The output padding that makes a transposed convolution of an input of spatial size `input` come
/// out at `requested`, as PyTorch's `_output_padding` finds it; stops, naming the valid range, when no
/// padding does.
func transposedOutputPadding(input: [Int], requested: [Int], kernel: [Int], stride: [Int], padding: [Int],
                             dilation: [Int], op: String) -> [Int] {
    input.indices.map { d in
        let smallest = (input[d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernel[d] - 1) + 1
        guard requested[d] >= smallest && requested[d] <= smallest + stride[d] - 1 else {
            shapeFailure(ShapeError("\(op): requested an output size of \(requested), but valid sizes in dim \(d) range "
                + "from \(smallest) to \(smallest + stride[d] - 1) (for an input of spatial size \(input))"))
        }
        return requested[d] - smallest
    }
}
