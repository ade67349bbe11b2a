/// A `Linear` layer that reads its input size from its first input, like `torch.nn.LazyLinear`: for
/// the layer after a flatten. See `LazyLayer`.
///
///     let head = Sequential { Flatten(); LazyLinear(10) }   // in_features from the first batch
public final class LazyLinear: LazyLayer<Linear> {
    public let outFeatures: Int
    public let hasBias: Bool

    public init(_ outFeatures: Int, bias: Bool = true) {
        self.outFeatures = outFeatures
        hasBias = bias
        super.init(inputSize: .lastDim,
                   savedInputSize: { state, prefix in state[prefix + "weight"].flatMap { $0.rank == 2 && $0.shape[1] > 0 ? $0.shape[1] : nil } },
                   stateKeys: bias ? ["weight", "bias"] : ["weight"],
                   pendingDescription: "in_features=0, out_features=\(outFeatures), bias=\(pythonBool(bias))") {
            Linear($0, outFeatures, bias: bias)
        }
    }

    /// The input size, once known.
    public var inFeatures: Int? { layer?.inFeatures }
    /// [outFeatures, inFeatures], once known.
    public var weight: Tensor? { layer?.weight }
    /// [outFeatures], once known (nil without bias).
    public var bias: Tensor? { layer?.bias }
}
