/// Convolutions that read their input channels from the first input, like `torch.nn.LazyConv1d`,
/// `LazyConv2d`, `LazyConv3d` and the transposed `LazyConvTranspose1d/2d/3d`. Each takes its ordinary
/// layer's arguments without `inChannels`; see `LazyLayer`.
///
///     let features = Sequential { LazyConv2d(32, kernelSize: 3); ReLU(); LazyConv2d(64, kernelSize: 3) }

/// The in_channels a convolution weight [out, in/groups, k...] saved in a state dict implies. A weight
/// that implies none (wrong rank, no channels, not divisible by the groups) creates nothing, and the
/// load reports its key.
private func savedConvolutionChannels(spatialDims: Int, groups: Int) -> ([String: Tensor], String) -> Int? {
    { state, prefix in
        state[prefix + "weight"].flatMap { $0.rank == spatialDims + 2 && $0.shape[1] > 0 ? $0.shape[1] * groups : nil }
    }
}

/// The in_channels a transposed convolution weight [in, out/groups, k...] saved in a state dict implies.
private func savedTransposedChannels(spatialDims: Int, groups: Int) -> ([String: Tensor], String) -> Int? {
    { state, prefix in
        state[prefix + "weight"].flatMap { $0.rank == spatialDims + 2 && $0.shape[0] > 0 && $0.shape[0] % groups == 0 ? $0.shape[0] : nil }
    }
}

private func convolutionKeys(_ bias: Bool) -> [String] { bias ? ["weight", "bias"] : ["weight"] }

public final class LazyConv1d: LazyLayer<Conv1d> {
    public init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid, dilation: Int = 1,
                groups: Int = 1, bias: Bool = true) {
        super.init(inputSize: .channels(spatialDims: 1), savedInputSize: savedConvolutionChannels(spatialDims: 1, groups: groups),
                   stateKeys: convolutionKeys(bias),
                   pendingDescription: convolutionDescription(0, outChannels, kernel: [kernelSize], stride: [stride],
                                                              padding: padding.describedSizes(dims: 1), dilation: [dilation],
                                                              groups: groups, hasBias: bias)) {
            Conv1d($0, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                   groups: groups, bias: bias)
        }
    }
}

public final class LazyConv2d: LazyLayer<Conv2d> {
    public init(_ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1), padding: Padding = .valid,
                dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros) {
        super.init(inputSize: .channels(spatialDims: 2), savedInputSize: savedConvolutionChannels(spatialDims: 2, groups: groups),
                   stateKeys: convolutionKeys(bias),
                   pendingDescription: convolutionDescription(0, outChannels, kernel: [kernelSize.0, kernelSize.1],
                                                              stride: [stride.0, stride.1], padding: padding.describedSizes(dims: 2),
                                                              dilation: [dilation.0, dilation.1], groups: groups, hasBias: bias,
                                                              paddingMode: paddingMode)) {
            Conv2d($0, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                   groups: groups, bias: bias, paddingMode: paddingMode)
        }
    }

    /// A square kernel, stride and dilation: `LazyConv2d(32, kernelSize: 3)`.
    public convenience init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .valid,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros) {
        self.init(outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: padding,
                  dilation: (dilation, dilation), groups: groups, bias: bias, paddingMode: paddingMode)
    }
}

public final class LazyConv3d: LazyLayer<Conv3d> {
    public init(_ outChannels: Int, kernelSize: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
                padding: Padding3d = .valid, dilation: (Int, Int, Int) = (1, 1, 1), groups: Int = 1, bias: Bool = true,
                paddingMode: PaddingMode = .zeros) {
        super.init(inputSize: .channels(spatialDims: 3), savedInputSize: savedConvolutionChannels(spatialDims: 3, groups: groups),
                   stateKeys: convolutionKeys(bias),
                   pendingDescription: convolutionDescription(0, outChannels, kernel: [kernelSize.0, kernelSize.1, kernelSize.2],
                                                              stride: [stride.0, stride.1, stride.2], padding: padding.describedSizes,
                                                              dilation: [dilation.0, dilation.1, dilation.2], groups: groups,
                                                              hasBias: bias, paddingMode: paddingMode)) {
            Conv3d($0, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                   groups: groups, bias: bias, paddingMode: paddingMode)
        }
    }

    /// A cubic kernel, stride and dilation: `LazyConv3d(16, kernelSize: 3, padding: 1)`.
    public convenience init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Padding3d = .valid,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, paddingMode: PaddingMode = .zeros) {
        self.init(outChannels, kernelSize: (kernelSize, kernelSize, kernelSize), stride: (stride, stride, stride),
                  padding: padding, dilation: (dilation, dilation, dilation), groups: groups, bias: bias,
                  paddingMode: paddingMode)
    }
}

public final class LazyConvTranspose1d: LazyLayer<ConvTranspose1d> {
    public init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                groups: Int = 1, bias: Bool = true, dilation: Int = 1) {
        super.init(inputSize: .channels(spatialDims: 1), savedInputSize: savedTransposedChannels(spatialDims: 1, groups: groups),
                   stateKeys: convolutionKeys(bias),
                   pendingDescription: convolutionDescription(0, outChannels, kernel: [kernelSize], stride: [stride],
                                                              padding: [padding], dilation: [dilation],
                                                              outputPadding: [outputPadding], groups: groups, hasBias: bias)) {
            ConvTranspose1d($0, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                            outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation)
        }
    }
}

public final class LazyConvTranspose2d: LazyLayer<ConvTranspose2d> {
    public init(_ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                outputPadding: (Int, Int) = (0, 0), groups: Int = 1, bias: Bool = true, dilation: (Int, Int) = (1, 1)) {
        super.init(inputSize: .channels(spatialDims: 2), savedInputSize: savedTransposedChannels(spatialDims: 2, groups: groups),
                   stateKeys: convolutionKeys(bias),
                   pendingDescription: convolutionDescription(0, outChannels, kernel: [kernelSize.0, kernelSize.1],
                                                              stride: [stride.0, stride.1], padding: [padding.0, padding.1],
                                                              dilation: [dilation.0, dilation.1],
                                                              outputPadding: [outputPadding.0, outputPadding.1], groups: groups,
                                                              hasBias: bias)) {
            ConvTranspose2d($0, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                            outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation)
        }
    }

    /// A square kernel: `LazyConvTranspose2d(16, kernelSize: 2, stride: 2)`.
    public convenience init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                            groups: Int = 1, bias: Bool = true, dilation: Int = 1) {
        self.init(outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding),
                  outputPadding: (outputPadding, outputPadding), groups: groups, bias: bias, dilation: (dilation, dilation))
    }
}

public final class LazyConvTranspose3d: LazyLayer<ConvTranspose3d> {
    public init(_ outChannels: Int, kernelSize: (Int, Int, Int), stride: (Int, Int, Int) = (1, 1, 1),
                padding: (Int, Int, Int) = (0, 0, 0), outputPadding: (Int, Int, Int) = (0, 0, 0), groups: Int = 1,
                bias: Bool = true, dilation: (Int, Int, Int) = (1, 1, 1)) {
        super.init(inputSize: .channels(spatialDims: 3), savedInputSize: savedTransposedChannels(spatialDims: 3, groups: groups),
                   stateKeys: convolutionKeys(bias),
                   pendingDescription: convolutionDescription(0, outChannels, kernel: [kernelSize.0, kernelSize.1, kernelSize.2],
                                                              stride: [stride.0, stride.1, stride.2],
                                                              padding: [padding.0, padding.1, padding.2],
                                                              dilation: [dilation.0, dilation.1, dilation.2],
                                                              outputPadding: [outputPadding.0, outputPadding.1, outputPadding.2],
                                                              groups: groups, hasBias: bias)) {
            ConvTranspose3d($0, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                            outputPadding: outputPadding, groups: groups, bias: bias, dilation: dilation)
        }
    }

    /// A cubic kernel: `LazyConvTranspose3d(8, kernelSize: 2, stride: 2)`.
    public convenience init(_ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                            groups: Int = 1, bias: Bool = true, dilation: Int = 1) {
        self.init(outChannels, kernelSize: (kernelSize, kernelSize, kernelSize), stride: (stride, stride, stride),
                  padding: (padding, padding, padding), outputPadding: (outputPadding, outputPadding, outputPadding),
                  groups: groups, bias: bias, dilation: (dilation, dilation, dilation))
    }
}
