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
