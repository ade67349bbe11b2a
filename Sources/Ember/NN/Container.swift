/// Collects the layers written in a `Sequential { ... }` block.
@resultBuilder
public enum ModuleBuilder {
    public static func buildExpression(_ module: Module) -> [Module] { [module] }
    public static func buildExpression(_ modules: [Module]) -> [Module] { modules }
    public static func buildBlock(_ parts: [Module]...) -> [Module] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Module]?) -> [Module] { part ?? [] }
    public static func buildEither(first part: [Module]) -> [Module] { part }
    public static func buildEither(second part: [Module]) -> [Module] { part }
    public static func buildArray(_ parts: [[Module]]) -> [Module] { parts.flatMap { $0 } }
}

/// Runs its layers one after another, like `torch.nn.Sequential`. Its children are named `0`, `1`, ...
/// so a model's `net.0.weight` matches PyTorch's key.
///
///     let net = Sequential {
///         Linear(784, 256)
///         ReLU()
///         if useDropout { Dropout(0.2) }
///         Linear(256, 10)
///     }
public final class Sequential: Module {
    public private(set) var layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
    }

    public convenience init(_ layers: Module...) { self.init(layers) }

    public convenience init(@ModuleBuilder _ build: () -> [Module]) { self.init(build()) }

    public override func forward(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }

    public override func namedChildren() -> [(String, Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    public var count: Int { layers.count }
    public subscript(_ index: Int) -> Module { layers[index] }

    /// Adds a layer at the end (it is trained in the mode of this container from now on).
    public func append(_ layer: Module) {
        layer.train(isTraining)
        layers.append(layer)
    }
}

/// Submodules by name, in the order they were added, like `torch.nn.ModuleDict`: for a model whose
/// parts are chosen by a key at run time (one head per task, one encoder per modality). Its
/// children's parameters are named `<dict>.<key>.weight`, as in PyTorch. It has no `forward`; call
/// the modules it holds.
///
///     let heads = ModuleDict(["digits": Linear(128, 10), "parity": Linear(128, 2)])
///     let logits = heads["digits"]!(features)
public final class ModuleDict: Module {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var modules: [String: Module] = [:]

    public init(_ pairs: KeyValuePairs<String, Module> = [:]) {
        super.init()
        for (key, module) in pairs { self[key] = module }
    }

    public init(_ pairs: [(String, Module)]) {
        super.init()
        for (key, module) in pairs { self[key] = module }
    }

    /// The module under `key`, or nil. Setting a new key appends it (trained in this container's
    /// mode from now on); replacing keeps its place; setting nil removes it.
    public subscript(_ key: String) -> Module? {
        get { modules[key] }
        set {
            precondition(!key.isEmpty && !key.contains("."),
                         "Ember: ModuleDict key \"\(key)\" must be non-empty and contain no \".\" (it becomes part of parameter names)")
            guard let newValue else {
                if modules.removeValue(forKey: key) != nil { keys.removeAll { $0 == key } }
                return
            }
            newValue.train(isTraining)
            if modules.updateValue(newValue, forKey: key) == nil { keys.append(key) }
        }
    }

    public var count: Int { keys.count }
    public var values: [Module] { keys.map { modules[$0]! } }

    public override func namedChildren() -> [(String, Module)] { keys.map { ($0, modules[$0]!) } }
}
