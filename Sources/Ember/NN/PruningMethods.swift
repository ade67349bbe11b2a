/// How much a pruning removes: a fraction of the entries (or channels), rounded half to even as
/// Python's `round`, or a count of them. Literals say which, as PyTorch's float or int does:
/// `amount: 0.3` is 30 %, `amount: 3` is three.
public enum PruningAmount: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, Sendable, Equatable {
    case fraction(Double)
    case count(Int)

    public init(floatLiteral value: Double) { self = .fraction(value) }
    public init(integerLiteral value: Int) { self = .count(value) }

    /// The number of units to prune out of `size`, checked against it.
    func units(of size: Int, _ method: String) -> Int {
        switch self {
        case .fraction(let f):
            precondition(f >= 0 && f <= 1, "Ember: \(method): amount \(f) is not a fraction in [0, 1] (or a count: an Int)")
            return Int((f * Double(size)).rounded(.toNearestOrEven))
        case .count(let n):
            precondition(n >= 0, "Ember: \(method): amount \(n) must be a non-negative count")
            precondition(n <= size, "Ember: \(method): amount \(n) is more than the \(size) units there are to prune")
            return n
        }
    }
}

/// What a pruning method's mask is computed over when a tensor is pruned again (PyTorch's
/// `PRUNING_TYPE`): the entries still unpruned, the channels along `dim` not yet wholly pruned,
/// or everything.
public enum PruningKind: Sendable, Equatable {
    case unstructured
    case structured(dim: Int)
    case global
}

/// A way of choosing what to prune, like a subclass of `torch.nn.utils.prune.BasePruningMethod`:
/// `computeMask` gives a 0/1 mask of `t`'s shape for the importance scores `t` that keeps
/// `defaultMask`'s zeros. On a tensor pruned before, `t` holds only what is left: the unpruned
/// entries flattened (`.unstructured`), the channels not wholly pruned (`.structured`), or the
/// whole tensor (`.global`). Apply one of your own with `Prune.apply(_:to:)`.
public protocol PruningMethod {
    var kind: PruningKind { get }
    func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor
}

/// Prunes nothing: a mask of ones (so a model takes a pruned checkpoint's keys).
public struct IdentityPruning: PruningMethod {
    public init() {}
    public var kind: PruningKind { .unstructured }
    public func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor { defaultMask }
}

/// Prunes the entries with the smallest absolute values.
public struct L1Unstructured: PruningMethod {
    public let amount: PruningAmount
    public init(amount: PruningAmount) { self.amount = amount }
    public var kind: PruningKind { .unstructured }
    public func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor {
        let k = amount.units(of: t.count, "l1Unstructured")
        guard k > 0 else { return defaultMask }
        return zeroing(defaultMask, at: t.abs().reshape([-1]).topk(k, largest: false).indices)
    }
}

/// Prunes entries drawn at random.
public struct RandomUnstructured: PruningMethod {
    public let amount: PruningAmount
    public let generator: RandomGenerator
    public init(amount: PruningAmount, generator: RandomGenerator = .global) {
        self.amount = amount
        self.generator = generator
    }
    public var kind: PruningKind { .unstructured }
    public func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor {
        let k = amount.units(of: t.count, "randomUnstructured")
        guard k > 0 else { return defaultMask }
        let draws = Tensor.rand([t.count], generator: generator, device: t.device)
        return zeroing(defaultMask, at: draws.topk(k).indices)
    }
}

/// Prunes whole channels along `dim` (rows of a Linear weight for dim 0, input features for 1,
/// filters of a convolution for 0), those of the smallest Lⁿ norm over the other dims.
public struct LnStructured: PruningMethod {
    public let amount: PruningAmount
    /// The norm's order: 1, 2 (PyTorch's "fro" too), `.infinity`, `-.infinity`, or any other
    /// (PyTorch's "nuc" is not offered).
    public let n: Float
    public let dim: Int
    public init(amount: PruningAmount, n: Float, dim: Int = -1) {
        self.amount = amount
        self.n = n
        self.dim = dim
    }
    public var kind: PruningKind { .structured(dim: dim) }
    public func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor {
        channelMask(t, defaultMask, amount, dim, "lnStructured") { d, k in
            let norms = Linalg.vectorNorm(t, ord: n, dims: (0..<t.rank).filter { $0 != d })
            let kept = norms.topk(t.shape[d] - k).indices
            return Tensor.zeros([t.shape[d]], device: t.device).scatter(dim: 0, index: kept, value: 1)
        }
    }
}

/// Prunes whole channels along `dim` drawn at random.
public struct RandomStructured: PruningMethod {
    public let amount: PruningAmount
    public let dim: Int
    public let generator: RandomGenerator
    public init(amount: PruningAmount, dim: Int = -1, generator: RandomGenerator = .global) {
        self.amount = amount
        self.dim = dim
        self.generator = generator
    }
    public var kind: PruningKind { .structured(dim: dim) }
    public func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor {
        channelMask(t, defaultMask, amount, dim, "randomStructured") { d, k in
            let draws = Tensor.rand([t.shape[d]], generator: generator, device: t.device)
            return draws.gt(draws.kthvalue(k).values)   // all but the k lowest draws
        }
    }
}

/// Prunes where `mask` is 0 (a mask of the tensor's shape, computed however you like).
public struct CustomFromMask: PruningMethod {
    public let mask: Tensor
    public init(mask: Tensor) { self.mask = mask }
    public var kind: PruningKind { .global }
    public func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor {
        precondition(mask.shape == defaultMask.shape,
                     "Ember: customFromMask: the mask's shape \(mask.shape) is not the tensor's \(defaultMask.shape)")
        return defaultMask * mask.to(.float32).to(defaultMask.device)
    }
}

/// A copy of `mask` with the entries at flat `positions` set to 0.
private func zeroing(_ mask: Tensor, at positions: Tensor) -> Tensor {
    mask.reshape([-1]).scatter(dim: 0, index: positions, value: 0).reshape(mask.shape)
}

/// `defaultMask` times whole channels along `dim`: `channels(d, k)` gives the 0/1 flags of the
/// channels along dim d that stay when k of them go.
private func channelMask(_ t: Tensor, _ defaultMask: Tensor, _ amount: PruningAmount, _ dim: Int, _ method: String,
                         _ channels: (Int, Int) -> Tensor) -> Tensor {
    let d = channelDim(dim, of: t, method)
    let k = amount.units(of: t.shape[d], method)
    guard k > 0 else { return defaultMask }
    return defaultMask * channels(d, k).reshape(broadcasting: d, rank: t.rank)
}

/// `dim` of a structured pruning, checked: channels need a tensor of two dims or more.
func channelDim(_ dim: Int, of t: Tensor, _ method: String) -> Int {
    precondition(t.rank > 1, "Ember: \(method): structured pruning needs a tensor of 2 or more dims (channels along "
        + "one of them); got shape \(t.shape)")
    precondition((-t.rank..<t.rank).contains(dim), "Ember: \(method): dim \(dim) is out of range for shape \(t.shape)")
    return dim < 0 ? dim + t.rank : dim
}

extension Tensor {
    /// This 1-D tensor of one value per channel as [1, …, n, …, 1], to broadcast along dim `d`.
    fileprivate func reshape(broadcasting d: Int, rank: Int) -> Tensor {
        reshape((0..<rank).map { $0 == d ? count : 1 })
    }
}
