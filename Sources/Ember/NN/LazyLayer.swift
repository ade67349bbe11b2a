/// What lazy layers share (PyTorch's `LazyModuleMixin`): a layer whose input size (features or
/// channels) is read from its first input, for the layer after a flatten or a stack of convolutions
/// whose sizes you would rather not work out by hand.
///
///     let model = Sequential { LazyConv2d(32, kernelSize: 3); ReLU(); Flatten(); LazyLinear(10) }
///     _ = model(sampleBatch)                                 // creates every weight
///     let optimizer = Adam(model.parameters(), lr: 1e-3)     // then make the optimizer
///
/// Until then it has no parameters (PyTorch's are uninitialized), so run one batch through the model
/// before making the optimizer. The first input creates `layer`, the ordinary layer (a `Conv2d`, say)
/// drawn as it would be drawn at that moment, on the input's device; from then on the lazy layer runs
/// it, reports its parameters and buffers as its own (`weight`, not `layer.weight`) and prints as it
/// (PyTorch's lazy layers turn into their ordinary class). Loading a state dict creates it from the
/// saved shapes instead, on the device `to(_:)` named. `modules()` and `apply` list the created layer
/// right after (`apply`: before) the lazy layer, so `model.apply { ($0 as? Conv2d)?... }` and `updateBN`
/// reach it as in PyTorch; a test of `typeName` alone would match both. `requiresGrad_` before the
/// first input applies to the layer when it is created. (Unlike PyTorch's, the lazy instance norms
/// also read the channels of an unbatched input [C, ...].)
open class LazyLayer<Layer: Module>: Module {
    /// How the input size is read from the first input.
    enum InputSize {
        /// The last dim (Linear's features).
        case lastDim
        /// Dim 1 of an input of rank `spatialDims` + 2, dim 0 of an unbatched one (channels).
        case channels(spatialDims: Int)
        /// Dim 1 of an input of rank ≥ 2 (BatchNorm's features).
        case dim1
    }

    /// The ordinary layer, once the input size is known.
    public private(set) var layer: Layer?
    /// Where `to(_:)` put the layer before it existed: a state dict loads it there.
    var pendingDevice: Device = .cpu
    /// What `requiresGrad_` asked for before the layer existed.
    var pendingRequiresGrad: Bool?
    private let inputSize: InputSize
    private let savedInputSize: ([String: Tensor], String) -> Int?
    private let stateKeys: [String]
    private let pendingDescription: String
    private let make: (Int) -> Layer

    /// `savedInputSize` reads the size from a state dict's entries under a prefix; `stateKeys` are the
    /// names the layer's parameters and buffers will have; `pendingDescription` is the description
    /// with a size of 0, as PyTorch prints it.
    init(inputSize: InputSize, savedInputSize: @escaping ([String: Tensor], String) -> Int?, stateKeys: [String],
         pendingDescription: String, make: @escaping (Int) -> Layer) {
        (self.inputSize, self.savedInputSize, self.stateKeys) = (inputSize, savedInputSize, stateKeys)
        (self.pendingDescription, self.make) = (pendingDescription, make)
        super.init()
    }

    /// Whether the layer exists yet.
    public var isMaterialized: Bool { layer != nil }

    /// Creates the layer for inputs of size `inputSize` (features or channels), on `device` (by default
    /// the one `to(_:)` named).
    public func materialize(inputSize: Int, device: Device? = nil) {
        precondition(layer == nil, "Ember: \(lazyName): already materialized as \(typeName)(\(extraDescription))")
        let made = make(inputSize).to(device ?? pendingDevice)
        made.train(isTraining)
        if let pendingRequiresGrad { made.requiresGrad_(pendingRequiresGrad) }
        layer = made
    }

    open override func forward(_ x: Tensor) -> Tensor {
        if layer == nil { materialize(inputSize: size(of: x), device: x.device) }
        return layer!(x)
    }

    /// The lazy class's name, which `typeName` gives up once the layer exists.
    private var lazyName: String { String(describing: type(of: self)) }

    /// The input size `x` implies, or a stop naming the shapes the layer expects.
    private func size(of x: Tensor) -> Int {
        switch inputSize {
        case .lastDim:
            guard x.rank >= 1 else { shapeFailure(ShapeError("\(lazyName): expects inputs [..., in_features], got a scalar")) }
            return x.shape[x.rank - 1]
        case .channels(let spatialDims):
            guard x.rank == spatialDims + 1 || x.rank == spatialDims + 2 else {
                let dims = ["L", "H, W", "D, H, W"][spatialDims - 1]
                shapeFailure(ShapeError("\(lazyName): expected an input [N, C, \(dims)] or unbatched [C, \(dims)] "
                    + "to read the channels from, got shape \(x.shape)"))
            }
            return x.shape[x.rank == spatialDims + 1 ? 0 : 1]
        case .dim1:
            guard x.rank >= 2 else {
                shapeFailure(ShapeError("\(lazyName): expected an input [N, C, ...] to read the features from, got shape \(x.shape)"))
            }
            return x.shape[1]
        }
    }

    // The layer's members are this module's own, under the same names.
    open override func directParameters() -> [(String, Tensor)] { layer?.registeredParameters() ?? [] }
    open override func directBuffers() -> [(String, Tensor)] { layer?.registeredBuffers() ?? [] }
    open override func namedChildren() -> [(String, Module)] { layer?.registeredChildren() ?? [] }

    open override var typeName: String { layer?.typeName ?? super.typeName }
    open override var extraDescription: String { layer?.extraDescription ?? pendingDescription }
}

extension LazyLayer: LazyModule {
    var materializedLayer: Module? { layer }

    func materialize(from stateDict: [String: Tensor], prefix: String) -> Bool {
        guard layer == nil, let size = savedInputSize(stateDict, prefix) else { return false }
        materialize(inputSize: size, device: pendingDevice)
        return true
    }

    func dematerialize() { layer = nil }

    var pendingKeys: [String] { layer == nil ? stateKeys : [] }
}

/// A module whose parameters are created from the first input; `loadStateDict` creates them from the
/// state dict's shapes first (and takes them back if the load fails).
protocol LazyModule: Module {
    /// Where `to(_:)` put the module before it had parameters.
    var pendingDevice: Device { get set }
    /// The `requiresGrad` its parameters get when they are created, if `requiresGrad_` set one.
    var pendingRequiresGrad: Bool? { get set }
    /// The layer created, which `train` and `apply` reach as well.
    var materializedLayer: Module? { get }
    /// Creates the parameters from `stateDict`'s entries under `prefix` ("fc." or ""), if there are any
    /// and they are not created yet; whether it did.
    func materialize(from stateDict: [String: Tensor], prefix: String) -> Bool
    /// Forgets parameters `materialize(from:prefix:)` created.
    func dematerialize()
    /// The state-dict names its parameters will have, while it has none.
    var pendingKeys: [String] { get }
}
