/// An n-dimensional array with reverse-mode autograd, like `torch.Tensor`.
///
/// A tensor is a view (shape, strides, offset) into a shared `Storage`, so reshape, transpose,
/// slicing and expand make no copies. It is a reference type, as in PyTorch: a parameter held by a
/// module and by an optimizer is one object, and `grad` accumulates into it.
public final class Tensor {
    /// The memory this tensor views. Replaced only by `Module.to(_:)`, which moves a parameter's data
    /// to another device while keeping the tensor (and the optimizer's reference to it).
    public private(set) var storage: Storage
    public let shape: [Int]
    /// Strides in elements (not bytes).
    public private(set) var strides: [Int]
    /// Offset of the first element in `storage`, in elements.
    public private(set) var offset: Int
    public let dtype: DType

    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs); turning it off
    /// on a parameter freezes it (see `isFrozen`).
    public var requiresGrad: Bool {
        didSet { if isLeaf && oldValue != requiresGrad { isFrozen = !requiresGrad } }
    }
    /// A leaf whose `requiresGrad` was turned off after being on: a frozen parameter. Modules still
    /// list it among their parameters and in their state dict, as PyTorch does, but it gets no gradient.
    public private(set) var isFrozen = false
    /// The accumulated gradient of a leaf after `backward()`.
    public var grad: Tensor?
    /// The node that produced this tensor, or nil for leaves.
    public internal(set) var gradFn: GradNode?
    /// Hooks on this leaf's gradient (`registerHook`); a non-leaf's live on its `gradFn`.
    var leafHooks: [GradHook] = []

    public init(storage: Storage, shape: [Int], strides: [Int], offset: Int = 0, dtype: DType,
                requiresGrad: Bool = false) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.dtype = dtype
        self.requiresGrad = requiresGrad
    }

    /// A new contiguous tensor with uninitialized contents.
    public convenience init(uninitializedShape shape: [Int], dtype: DType = .float32, device: Device = .cpu) {
        let storage = device.backend.allocate(count: Shape.count(shape), dtype: dtype)
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), dtype: dtype)
    }

    public var device: Device { storage.device }
    public var backend: Backend { storage.device.backend }
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { Shape.count(shape) }
    /// True for tensors created by the user rather than by an op.
    public var isLeaf: Bool { gradFn == nil }

    /// Size of one dimension; negative dims count from the end.
    public func size(_ dim: Int) -> Int {
        shape[checkShape { () throws(ShapeError) in try Shape.normalize(dim: dim, rank: rank, op: "size") }]
    }

    /// True when the elements are laid out row-major without gaps.
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: rank - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// This tensor's layout, as the backend sees it.
    public var view: StridedView {
        StridedView(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
    }

    /// A new view into the same storage.
    func makeView(shape: [Int], strides: [Int], offset: Int) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset, dtype: dtype)
    }

    /// Wraps a freshly computed contiguous result.
    static func result(_ storage: Storage, shape: [Int], dtype: DType = .float32) -> Tensor {
        Tensor(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), dtype: dtype)
    }

    /// A contiguous tensor with the same values: `self` when already contiguous.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor.result(backend.copy(view), shape: shape, dtype: dtype)
        return out.recording("contiguous", inputs: [self]) { g in [g] }
    }

    /// A tensor that shares storage but is cut off from the graph.
    public func detach() -> Tensor {
        makeView(shape: shape, strides: strides, offset: offset)
    }

    /// Moves this tensor's data (and its gradient) to `target` in place, keeping the tensor object:
    /// what `Module.to(_:)` does to every parameter and buffer.
    func moveData(to target: Device) {
        guard device != target else { return }
        let moved = noGrad { detach().to(target) }
        storage = moved.storage
        strides = moved.strides
        offset = moved.offset
        if let g = grad { grad = noGrad { g.to(target) } }
    }

    /// Stops with a message naming both devices unless every tensor is on this tensor's device.
    func checkSameDevice(_ op: String, _ others: Tensor?...) {
        for case let other? in others where other.device != device {
            fatalError("Ember: \(op): expected all tensors on the same device, got \(device) and \(other.device); "
                + "move them with .to(device) first")
        }
    }

    /// Sets `requiresGrad` and returns self, for chaining.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }
}

/// A tensor's memory layout: what a backend kernel needs to read or write it.
public struct StridedView {
    public let storage: Storage
    public let shape: [Int]
    public let strides: [Int]
    public let offset: Int
    public let dtype: DType

    public var count: Int { Shape.count(shape) }
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// The same elements seen with `shape` (broadcast dims get stride 0).
    public func broadcast(to target: [Int]) -> StridedView {
        let lead = target.count - shape.count
        var newStrides = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 {
            newStrides[lead + i] = strides[i]
        }
        return StridedView(storage: storage, shape: target, strides: newStrides, offset: offset, dtype: dtype)
    }
}
