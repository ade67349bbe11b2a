/// A `Linear` layer that reads its input size from its first input, like `torch.nn.LazyLinear`: for
/// the layer after a flatten, whose size you would rather not work out by hand.
///
///     let head = Sequential { Flatten(); LazyLinear(10) }   // in_features from the first batch
///     _ = model(sampleBatch)                                 // creates the weight and bias
///     let optimizer = Adam(model.parameters(), lr: 1e-3)     // then make the optimizer
///
/// Until the first call it has no weight or bias (PyTorch's are uninitialized parameters then), so
/// run one batch through the model before making the optimizer. Loading a state dict creates them
/// from its shapes (on the device `to(_:)` named). They are drawn as `Linear(inFeatures, outFeatures)`
/// would draw them at that moment, on the input's device.
open class LazyLinear: Module {
    public let outFeatures: Int
    public let hasBias: Bool
    /// The input size, once known.
    public private(set) var inFeatures: Int?
    /// Where `to(_:)` put the layer before it had weights: a state dict loads them there.
    var pendingDevice: Device = .cpu
    /// [outFeatures, inFeatures], once known.
    public var weight: Tensor?
    /// [outFeatures], once known (nil without bias).
    public var bias: Tensor?

    public init(_ outFeatures: Int, bias: Bool = true) {
        self.outFeatures = outFeatures
        hasBias = bias
        super.init()
    }

    /// Whether the weight and bias exist yet.
    public var isMaterialized: Bool { weight != nil }

    open override func forward(_ x: Tensor) -> Tensor {
        if weight == nil {
            guard x.rank >= 1 else { shapeFailure(ShapeError("LazyLinear: expects inputs [..., in_features], got a scalar")) }
            materialize(inFeatures: x.shape[x.rank - 1], device: x.device)
        }
        return linear(x, weight: weight!, bias: bias)
    }

    /// Creates the weight and bias for inputs of `inFeatures`, initialized as `Linear`'s.
    public func materialize(inFeatures: Int, device: Device = .cpu) {
        precondition(weight == nil, "Ember: LazyLinear: already materialized with in_features \(self.inFeatures ?? 0)")
        let layer = Linear(inFeatures, outFeatures, bias: hasBias).to(device)
        layer.train(isTraining)
        self.inFeatures = inFeatures
        weight = layer.weight
        bias = layer.bias
    }

    open override var extraDescription: String {
        "in_features=\(inFeatures ?? 0), out_features=\(outFeatures), bias=\(pythonBool(hasBias))"
    }
}

extension LazyLinear: LazyModule {
    func materialize(from stateDict: [String: Tensor], prefix: String) -> Bool {
        guard weight == nil, let saved = stateDict[prefix + "weight"], saved.rank == 2 else { return false }
        materialize(inFeatures: saved.shape[1], device: pendingDevice)
        return true
    }

    func dematerialize() {
        (inFeatures, weight, bias) = (nil, nil, nil)
    }

    var pendingKeys: [String] { weight == nil ? (hasBias ? ["weight", "bias"] : ["weight"]) : [] }
}

/// A module whose parameters are created from the first input; `loadStateDict` creates them from the
/// state dict's shapes first (and takes them back if the load fails).
protocol LazyModule: Module {
    /// Where `to(_:)` put the module before it had parameters.
    var pendingDevice: Device { get set }
    /// Creates the parameters from `stateDict`'s entries under `prefix` ("fc." or ""), if there are any
    /// and they are not created yet; whether it did.
    func materialize(from stateDict: [String: Tensor], prefix: String) -> Bool
    /// Forgets parameters `materialize(from:prefix:)` created.
    func dematerialize()
    /// The state-dict names its parameters will have, while it has none.
    var pendingKeys: [String] { get }
}
