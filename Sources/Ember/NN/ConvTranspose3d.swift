/// Transposed 3-D convolution of `x` [N, C_in, D, H, W] with `weight` [C_in, C_out/groups, kd, kh, kw]
/// (PyTorch's layout) and optional `bias` [C_out], like `torch.nn.functional.conv_transpose3d`: the
/// upsampling of 3-D decoders (volumetric U-Nets, video generators).
///
/// Each output size is (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1. It runs as
/// one transposed 2-D convolution of every input slice, the kd depth taps folded into its output
/// channels, whose slices `indexAdd` then sums into their output depths (slice d's tap t lands at
/// d·stride + t·dilation), before the depth padding is cropped. Autograd, to any order, goes through
/// those ops.
public func convTranspose3d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int, Int) = (1, 1, 1),
                            padding: (Int, Int, Int) = (0, 0, 0), outputPadding: (Int, Int, Int) = (0, 0, 0),
                            groups: Int = 1, dilation: (Int, Int, Int) = (1, 1, 1)) -> Tensor {
    guard x.rank == 5, weight.rank == 5 else {
        shapeFailure(ShapeError("convTranspose3d: expects a 5-D input [N, C_in, D, H, W] and a 5-D weight "
            + "[C_in, C_out/groups, kd, kh, kw], got input \(x.shape) and weight \(weight.shape)"))
    }
    let (s, p, o, d) = ([stride.0, stride.1, stride.2], [padding.0, padding.1, padding.2],
                        [outputPadding.0, outputPadding.1, outputPadding.2], [dilation.0, dilation.1, dilation.2])
    guard groups >= 1, (s + d).allSatisfy({ $0 >= 1 }), (p + o).allSatisfy({ $0 >= 0 }),
          (0..<3).allSatisfy({ o[$0] < Swift.max(s[$0], d[$0]) }) else {
        shapeFailure(ShapeError("convTranspose3d: groups, stride \(pythonTuple(s)) and dilation \(pythonTuple(d)) must be "
            + "positive, padding \(pythonTuple(p)) non-negative, and outputPadding \(pythonTuple(o)) non-negative and smaller "
            + "than the stride or the dilation in each dim (groups \(groups))"))
    }
    let (n, inChannels, depth) = (x.shape[0], x.shape[1], x.shape[2])
    guard weight.shape[0] == inChannels, inChannels % groups == 0, weight.shape.suffix(3).allSatisfy({ $0 > 0 }) else {
        shapeFailure(ShapeError("convTranspose3d: weight \(weight.shape) expects \(weight.shape[0]) input channels "
            + "(its dim 0, divisible by groups \(groups)) and a non-empty kernel, but the input \(x.shape) has \(inChannels)"))
    }
    let (perGroupOut, taps) = (weight.shape[1], weight.shape[2])
    let outChannels = perGroupOut * groups
    if let bias, bias.shape != [outChannels] {
        shapeFailure(ShapeError("convTranspose3d: bias of shape \(bias.shape) does not match \(outChannels) output "
            + "channels (weight \(weight.shape), groups \(groups))"))
    }
    let reach = (depth - 1) * s[0] + d[0] * (taps - 1) + 1          // depth before cropping
    let outDepth = reach - 2 * p[0] + o[0]
    guard depth > 0, outDepth > 0 else {
        shapeFailure(ShapeError("convTranspose3d: padding \(pythonTuple(p)) crops the whole output depth of input "
            + "\(x.shape) with kernel \(pythonTuple(Array(weight.shape.suffix(3)))) and stride \(pythonTuple(s)); use less padding"))
    }
    // Every slice at once; within each group the output channels go tap by tap.
    let frames = x.permute([0, 2, 1, 3, 4]).reshape([n * depth, inChannels, x.shape[3], x.shape[4]])
    let folded = weight.permute([0, 2, 1, 3, 4]).reshape([inChannels, taps * perGroupOut, weight.shape[3], weight.shape[4]])
    let planes = convTranspose2d(frames, weight: folded, stride: (s[1], s[2]), padding: (p[1], p[2]),
                                 outputPadding: (o[1], o[2]), groups: groups, dilation: (d[1], d[2]))
    let (height, width) = (planes.shape[2], planes.shape[3])
    // [N·D, groups·taps·C_out/g, H', W'] → [N, D·taps, C_out, H', W'], each slice summed into its depth.
    let contributions = planes.reshape([n, depth, groups, taps, perGroupOut, height, width])
        .permute([0, 1, 3, 2, 4, 5, 6]).reshape([n, depth * taps, outChannels, height, width])
    let targets = Tensor((0..<depth).flatMap { slice in (0..<taps).map { slice * s[0] + $0 * d[0] } }, device: x.device)
    let summed = Tensor.zeros([n, reach + o[0], outChannels, height, width], device: x.device)
        .indexAdd(dim: 1, index: targets, source: contributions)
    var out = summed.narrow(1, start: p[0], length: outDepth).permute([0, 2, 1, 3, 4]).contiguous()
    if let bias { out = out + bias.reshape([1, outChannels, 1, 1, 1]) }
    return out
}

/// Transposed 3-D convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]) inputs, like
/// `torch.nn.ConvTranspose3d`: `ConvTranspose3d(32, 16, kernelSize: 2, stride: 2)` doubles depth,
/// height and width.
///
/// The weight has PyTorch's layout [inChannels, outChannels/groups, kd, kh, kw] and initialization
/// (kaiming_uniform(a: √5), fanIn = outChannels/groups·kd·kh·kw; bias U(±1/√fanIn)).
open class ConvTranspose3d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int, Int)
    public let stride: (Int, Int, Int)
    public let padding: (Int, Int, Int)
    public let outputPadding: (Int, Int, Int)
    public let groups: Int
    public let dilation: (Int, Int, Int)
    /// [inChannels, outChannels/groups, kd, kh, kw]
    public var weight: Tensor
    /// [outChannels], or nil without bias.
    public var bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
                padding: (Int, Int, Int) = (0, 0, 0), outputPadding: (Int, Int, Int) = (0, 0, 0), groups: Int = 1,
                bias: Bool = true, dilation: (Int, Int, Int) = (1, 1, 1)) {
        precondition(inChannels > 0 && outChannels > 0 && groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Ember: ConvTranspose3d: channels (in \(inChannels), out \(outChannels)) must be positive and divisible by groups (\(groups))")
        let positive = [kernelSize.0, kernelSize.1, kernelSize.2, stride.0, stride.1, stride.2, dilation.0, dilation.1, dilation.2]
        precondition(positive.allSatisfy { $0 > 0 },
                     "Ember: ConvTranspose3d: kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.groups = groups
        self.dilation = dilation
        weight = Tensor.zeros([inChannels, outChannels / groups, kernelSize.0, kernelSize.1, kernelSize.2], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    /// A cubic kernel and the same stride, padding, output padding and dilation in every dim.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, groups: Int = 1, bias: Bool = true, dilation: Int = 1) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize, kernelSize), stride: (stride, stride, stride),
                  padding: (padding, padding, padding), outputPadding: (outputPadding, outputPadding, outputPadding),
                  groups: groups, bias: bias, dilation: (dilation, dilation, dilation))
    }

    /// PyTorch's default: kaiming_uniform(a: √5) for the weight, U(±1/√fanIn) for the bias.
    open func resetParameters() { resetConvolutionParameters(weight: weight, bias: bias) }

    open override func forward(_ x: Tensor) -> Tensor { run(x) { _ in self.outputPadding } }

    /// The output at a chosen size (D_out, H_out, W_out), like PyTorch's `forward(input, output_size)`.
    public func callAsFunction(_ x: Tensor, outputSize: (Int, Int, Int)) -> Tensor {
        refreshParametrizations()
        return run(x) { batched in
            let padding = transposedOutputPadding(
                input: Array(batched.shape.suffix(3)), requested: [outputSize.0, outputSize.1, outputSize.2],
                kernel: [kernelSize.0, kernelSize.1, kernelSize.2], stride: [stride.0, stride.1, stride.2],
                padding: [self.padding.0, self.padding.1, self.padding.2], dilation: [dilation.0, dilation.1, dilation.2],
                op: "ConvTranspose3d")
            return (padding[0], padding[1], padding[2])
        }
    }

    /// Checks the input, runs an unbatched one as a batch of one, with the output padding given.
    private func run(_ x: Tensor, outputPadding: (Tensor) -> (Int, Int, Int)) -> Tensor {
        guard x.rank == 5 || x.rank == 4, x.shape[x.rank - 4] == inChannels else {
            shapeFailure(ShapeError("ConvTranspose3d: expected an input [N, \(inChannels), D, H, W] or [\(inChannels), D, H, W] "
                + "(\(typeName)(\(extraDescription))), got shape \(x.shape)"))
        }
        let batched = x.rank == 4 ? x.unsqueeze(0) : x
        let out = convTranspose3d(batched, weight: weight, bias: bias, stride: stride, padding: padding,
                                  outputPadding: outputPadding(batched), groups: groups, dilation: dilation)
        return x.rank == 4 ? out.squeeze(0) : out
    }

    /// PyTorch's repr: `32, 16, kernel_size=(2, 2, 2), stride=(2, 2, 2)` plus the non-default settings.
    open override var extraDescription: String {
        convolutionDescription(inChannels, outChannels, kernel: [kernelSize.0, kernelSize.1, kernelSize.2],
                               stride: [stride.0, stride.1, stride.2], padding: [padding.0, padding.1, padding.2],
                               dilation: [dilation.0, dilation.1, dilation.2],
                               outputPadding: [outputPadding.0, outputPadding.1, outputPadding.2], groups: groups,
                               hasBias: bias != nil)
    }
}
