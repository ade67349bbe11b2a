/// How a convolution layer fills its padding, like the `padding_mode` of PyTorch's convolutions.
public enum PaddingMode: String, Sendable {
    case zeros, reflect, replicate, circular

    /// The `pad` mode that makes this border.
    var padMode: PadMode {
        switch self {
        case .zeros: return .constant
        case .reflect: return .reflect
        case .replicate: return .replicate
        case .circular: return .circular
        }
    }
}

/// 2-D convolution over [N, C, H, W] inputs, like `torch.nn.Conv2d`.
///
/// The weight has PyTorch's layout [outChannels, inChannels/groups, kh, kw] (state dicts load
/// unchanged) and, like PyTorch, is initialized with kaiming_uniform(a: √5), i.e. U(±1/√fanIn) with
/// fanIn = inChannels/groups·kh·kw; the bias is U(±1/√fanIn) too. Both come from the global generator.
open class Conv2d: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: Padding
    public let dilation: (Int, Int)
    public let groups: Int
    /// How the padding is filled: zeros, or (`.reflect`, `.replicate`, `.circular`) from the input itself.
    public let paddingMode: PaddingMode
    /// [outChannels, inChannels/groups, kh, kw]
    public var weight: Tensor
    /// [outChannels], or nil without bias.
    public var bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                paddingMode: PaddingMode = .zeros) {
        precondition(inChannels > 0 && outChannels > 0,
                     "Ember: Conv2d: channels must be positive, got in \(inChannels), out \(outChannels)")
        precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Ember: Conv2d: in_channels (\(inChannels)) and out_channels (\(outChannels)) must both be divisible by groups (\(groups))")
        precondition(kernelSize.0 > 0 && kernelSize.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
                     "Ember: Conv2d: kernel size \(kernelSize), stride \(stride) and dilation \(dilation) must be positive")
        if case .explicit(let h, let w) = padding {
            precondition(h >= 0 && w >= 0, "Ember: Conv2d: padding must be non-negative, got (\(h), \(w))")
        }
        precondition(padding != .same || stride == (1, 1),
                     "Ember: Conv2d: padding .same is only supported with stride 1, got stride \(stride)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.paddingMode = paddingMode
        weight = Tensor.zeros([outChannels, inChannels / groups, kernelSize.0, kernelSize.1], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        super.init()
        resetParameters()
    }

    /// A square kernel, stride and dilation: `Conv2d(1, 32, kernelSize: 3)`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Padding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .zeros) {
        self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: padding, dilation: (dilation, dilation), groups: groups, bias: bias, paddingMode: paddingMode)
    }

    public convenience init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Padding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            paddingMode: PaddingMode = .zeros) {
        self.init(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias, paddingMode: paddingMode)
    }

    /// PyTorch's default: kaiming_uniform(a: √5) for the weight, U(±1/√fanIn) for the bias.
    open func resetParameters() { resetConvolutionParameters(weight: weight, bias: bias) }

    open override func forward(_ x: Tensor) -> Tensor {
        guard x.rank == 4 || x.rank == 3 else {
            shapeFailure(ShapeError("Conv2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape \(x.shape)"))
        }
        let channels = x.shape[x.rank - 3]
        guard channels == inChannels else {
            shapeFailure(ShapeError("Conv2d: expected input with \(inChannels) channels (\(typeName)(\(extraDescription))), "
                + "got \(channels) channels in input of shape \(x.shape)"))
        }
        // An unbatched [C, H, W] input runs as a batch of one, like PyTorch.
        let batched = x.rank == 3 ? x.unsqueeze(0) : x
        let out: Tensor
        if paddingMode == .zeros {
            out = conv2d(batched, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                         groups: groups)
        } else {
            // The border comes from the input: pad it first (odd `.same` totals put the extra at the end).
            let (symmetric, extra) = resolvePadding(padding, kernel: kernelSize, stride: stride, dilation: dilation,
                                                    op: "Conv2d")
            let padded = pad(batched, [symmetric.1, symmetric.1 + extra.1, symmetric.0, symmetric.0 + extra.0],
                             mode: paddingMode.padMode)
            out = conv2d(padded, weight: weight, bias: bias, stride: stride, padding: .valid, dilation: dilation,
                         groups: groups)
        }
        return x.rank == 3 ? out.squeeze(0) : out
    }

    /// PyTorch's repr: `1, 32, kernel_size=(3, 3), stride=(1, 1)` plus the non-default settings.
    open override var extraDescription: String {
        convolutionDescription(inChannels, outChannels, kernel: [kernelSize.0, kernelSize.1], stride: [stride.0, stride.1],
                               padding: padding.describedSizes(dims: 2), dilation: [dilation.0, dilation.1], groups: groups,
                               hasBias: bias != nil,
                               paddingMode: paddingMode)
    }
}

/// PyTorch's initialization of a convolution of any rank: kaiming_uniform(a: √5) for the weight,
/// i.e. U(±1/√fanIn) with fanIn = in/groups · kernel elements, and U(±1/√fanIn) for the bias.
func resetConvolutionParameters(weight: Tensor, bias: Tensor?) {
    Init.kaimingUniform(weight, a: Float(5).squareRoot())
    if let bias {
        let fanIn = Init.fans(weight).fanIn
        let bound: Float = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        Init.uniform(bias, low: -bound, high: bound)
    }
}

/// PyTorch's repr of a convolution of any rank: `1, 32, kernel_size=(3, 3), stride=(1, 1)` plus the
/// settings that differ from the defaults, each size a tuple with one entry per spatial dim
/// (`outputPadding` for transposed convolutions; `padding` nil for "same").
func convolutionDescription(_ inChannels: Int, _ outChannels: Int, kernel: [Int], stride: [Int], padding: [Int]?,
                            dilation: [Int], outputPadding: [Int] = [], groups: Int, hasBias: Bool,
                            paddingMode: PaddingMode = .zeros) -> String {
    var text = "\(inChannels), \(outChannels), kernel_size=\(pythonTuple(kernel)), stride=\(pythonTuple(stride))"
    if let padding {
        if padding.contains(where: { $0 != 0 }) { text += ", padding=\(pythonTuple(padding))" }
    } else {
        text += ", padding=same"
    }
    if dilation.contains(where: { $0 != 1 }) { text += ", dilation=\(pythonTuple(dilation))" }
    if outputPadding.contains(where: { $0 != 0 }) { text += ", output_padding=\(pythonTuple(outputPadding))" }
    if groups != 1 { text += ", groups=\(groups)" }
    if !hasBias { text += ", bias=False" }
    if paddingMode != .zeros { text += ", padding_mode=\(paddingMode.rawValue)" }
    return text
}

extension Padding {
    /// The padding per spatial dim for a layer's repr (the last `dims` of the pair: Conv1d keeps its
    /// one padding as (p, p)), or nil for `.same`.
    func describedSizes(dims: Int) -> [Int]? {
        switch self {
        case .valid: return Array(repeating: 0, count: dims)
        case .same: return nil
        case .explicit(let h, let w): return Array([h, w].suffix(dims))
        }
    }
}

/// Python's spelling of a tuple: `(3, 3)`, and `(3,)` for one element.
func pythonTuple(_ values: [Int]) -> String {
    values.count == 1 ? "(\(values[0]),)" : "(" + values.map(String.init).joined(separator: ", ") + ")"
}

/// Python's spelling of a pair: `(3, 3)`.
func pythonPair(_ p: (Int, Int)) -> String { pythonTuple([p.0, p.1]) }
