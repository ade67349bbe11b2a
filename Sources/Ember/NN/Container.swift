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
