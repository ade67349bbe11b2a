/// Merges dims startDim...endDim (by default everything but the batch dim), like `torch.nn.Flatten`.
public final class Flatten: Module {
    public let startDim: Int, endDim: Int
    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.flatten(startDim: startDim, endDim: endDim) }
    public override var extraDescription: String { "start_dim=\(startDim), end_dim=\(endDim)" }
}

/// Returns its input unchanged (a placeholder layer).
public final class Identity: Module {
    public override func forward(_ x: Tensor) -> Tensor { x }
}

/// Splits dim `dim` into `sizes` (one of them may be −1, inferred), like `torch.nn.Unflatten`: the
/// inverse of `Flatten`, e.g. [N, 784] → [N, 1, 28, 28] with `Unflatten(dim: 1, sizes: [1, 28, 28])`.
public final class Unflatten: Module {
    public let dim: Int, sizes: [Int]
    public init(dim: Int, sizes: [Int]) {
        precondition(!sizes.isEmpty, "Ember: Unflatten needs at least one size")
        self.dim = dim
        self.sizes = sizes
        super.init()
    }
    public override func forward(_ x: Tensor) -> Tensor { x.unflatten(dim: dim, sizes: sizes) }
    public override var extraDescription: String {
        "dim=\(dim), unflattened_size=\(pythonTuple(sizes))"
    }
}
