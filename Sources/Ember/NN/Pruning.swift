/// Pruning, like `torch.nn.utils.prune`: a layer's tensor is zeroed where a mask says so, and stays
/// zeroed while the rest trains. The tensor becomes `original * mask`, recomputed whenever the layer
/// is called (a layer of your own with a call of its own should call `refreshParametrizations()`
/// first, as for parametrizations); the original is the parameter `<name>_orig` (the same tensor
/// object as before, so an optimizer made earlier keeps training it) and the mask the buffer
/// `<name>_mask`, PyTorch's state-dict keys. Pruning a tensor again prunes only what is left: its
/// `amount` counts the entries (or channels) still unpruned. Among equal scores the first positions
/// are pruned (PyTorch's choice among ties is its `topk`'s, which differs).
///
///     Prune.l1Unstructured(model.fc1, \.weight, amount: 0.3)        // the 30 % smallest |w|
///     Prune.lnStructured(model.conv1, \.weight, amount: 0.5, n: 2, dim: 0)   // half the filters
///     Prune.globalUnstructured([PruningTarget(model.fc1, \.weight), PruningTarget(model.fc2, \.weight)],
///                              L1Unstructured(amount: 0.2))          // 20 % over both together
///     Prune.remove(model.fc1, \.weight)                              // bake the zeros in
public enum Prune {
    /// Prunes the tensor with `method`, whose mask is computed from `importanceScores` (the tensor's
    /// current value when nil) and combined with the tensor's mask so far.
    public static func apply(_ method: PruningMethod, to target: PruningTarget, importanceScores: Tensor? = nil) {
        let module = target.module
        let (existing, current) = target.currentValue()
        if let importanceScores {
            precondition(importanceScores.shape == current.shape, "Ember: prune: importance scores of shape "
                + "\(importanceScores.shape) for \(target.description) of shape \(current.shape); they must have its shape")
        }
        let scores = (importanceScores ?? current).detach()
        let oldMask = existing?.mask ?? Tensor.ones(current.shape, device: current.device)
        let mask = noGrad { combinedMask(method, scores, oldMask) }
        if let existing {
            noGrad { _ = existing.mask.copy_(mask) }
            existing.apply(to: module)
        } else {
            let name = target.parameterName()
            let pruned = PrunedTensor(name: name, keyPath: target.keyPath, original: current, mask: mask, assign: target.assign)
            module.prunedTensors.append(pruned)
            pruned.apply(to: module)
        }
    }

    /// A mask of ones: the tensor is pruned (it has `_orig` and `_mask`) but keeps every entry.
    public static func identity<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>) {
        apply(IdentityPruning(), to: PruningTarget(module, tensor))
    }

    public static func identity<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor?>) {
        apply(IdentityPruning(), to: PruningTarget(module, tensor))
    }

    /// Prunes `amount` of the entries at random.
    public static func randomUnstructured<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>,
                                                     amount: PruningAmount, generator: RandomGenerator = .global) {
        apply(RandomUnstructured(amount: amount, generator: generator), to: PruningTarget(module, tensor))
    }

    public static func randomUnstructured<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor?>,
                                                     amount: PruningAmount, generator: RandomGenerator = .global) {
        apply(RandomUnstructured(amount: amount, generator: generator), to: PruningTarget(module, tensor))
    }

    /// Prunes `amount` of the entries, those of the smallest absolute value (or importance score).
    public static func l1Unstructured<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>,
                                                 amount: PruningAmount, importanceScores: Tensor? = nil) {
        apply(L1Unstructured(amount: amount), to: PruningTarget(module, tensor), importanceScores: importanceScores)
    }

    public static func l1Unstructured<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor?>,
                                                 amount: PruningAmount, importanceScores: Tensor? = nil) {
        apply(L1Unstructured(amount: amount), to: PruningTarget(module, tensor), importanceScores: importanceScores)
    }

    /// Prunes `amount` of the channels along `dim` at random.
    public static func randomStructured<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>,
                                                   amount: PruningAmount, dim: Int, generator: RandomGenerator = .global) {
        apply(RandomStructured(amount: amount, dim: dim, generator: generator), to: PruningTarget(module, tensor))
    }

    /// Prunes `amount` of the channels along `dim`, those of the smallest Lⁿ norm.
    public static func lnStructured<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>,
                                               amount: PruningAmount, n: Float, dim: Int, importanceScores: Tensor? = nil) {
        apply(LnStructured(amount: amount, n: n, dim: dim), to: PruningTarget(module, tensor), importanceScores: importanceScores)
    }

    /// Prunes where `mask` is 0.
    public static func customFromMask<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>, mask: Tensor) {
        apply(CustomFromMask(mask: mask), to: PruningTarget(module, tensor))
    }

    public static func customFromMask<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor?>, mask: Tensor) {
        apply(CustomFromMask(mask: mask), to: PruningTarget(module, tensor))
    }

    /// Prunes several tensors as one, like `prune.global_unstructured`: `method` (an unstructured
    /// one) ranks all their entries together, so layers lose different shares. Scores are the
    /// tensors' current values (original · mask) unless `importanceScores` gives some, one per target
    /// (nil for the value).
    public static func globalUnstructured(_ targets: [PruningTarget], _ method: PruningMethod,
                                          importanceScores: [Tensor?]? = nil) {
        precondition(method.kind == .unstructured, "Ember: globalUnstructured: the method must be unstructured "
            + "(L1Unstructured, RandomUnstructured or your own of kind .unstructured), got \(type(of: method)) of kind \(method.kind)")
        precondition(importanceScores == nil || importanceScores!.count == targets.count, "Ember: globalUnstructured: "
            + "\(importanceScores?.count ?? 0) importance scores for \(targets.count) tensors; give one (or nil) per tensor")
        guard !targets.isEmpty else { return }
        let current = targets.map { $0.currentValue() }
        let values = current.map(\.value)
        let scores = values.indices.map { i in
            let score = importanceScores?[i] ?? values[i]
            precondition(score.shape == values[i].shape, "Ember: globalUnstructured: importance scores of shape "
                + "\(score.shape) for \(targets[i].description) of shape \(values[i].shape); they must have its shape")
            return score.detach().reshape([-1])
        }
        let masks = current.map { ($0.existing?.mask ?? Tensor.ones($0.value.shape, device: $0.value.device)).reshape([-1]) }
        let mask = noGrad { combinedMask(method, Tensor.cat(scores, dim: 0), Tensor.cat(masks, dim: 0)) }
        var start = 0
        for (target, value) in zip(targets, values) {
            apply(CustomFromMask(mask: mask.narrow(0, start: start, length: value.count).reshape(value.shape)), to: target)
            start += value.count
        }
    }

    /// Makes the pruning permanent, like `prune.remove`: the tensor is its pruned value again as a
    /// plain parameter (the original's object, so optimizers keep it), and `_orig`/`_mask` go.
    public static func remove<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>) {
        remove(PruningTarget(module, tensor))
    }

    public static func remove<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor?>) {
        remove(PruningTarget(module, tensor))
    }

    static func remove(_ target: PruningTarget) {
        let module = target.module
        guard let index = module.prunedTensors.firstIndex(where: target.isPruned(by:)) else {
            preconditionFailure("Ember: Prune.remove: \(target.description) is not pruned")
        }
        let pruned = module.prunedTensors.remove(at: index)
        noGrad { _ = pruned.original.copy_(pruned.original * pruned.mask) }
        pruned.assign(module, pruned.original)
    }

    /// Whether `module` or any of its submodules has a pruned tensor, like `prune.is_pruned`.
    public static func isPruned(_ module: Module) -> Bool {
        module.modules().contains { !$0.prunedTensors.isEmpty }
    }

    /// `method`'s mask over what `oldMask` leaves: the unpruned entries (unstructured), the channels
    /// not wholly pruned (structured) or everything (global), written into a copy of `oldMask`.
    static func combinedMask(_ method: PruningMethod, _ scores: Tensor, _ oldMask: Tensor) -> Tensor {
        switch method.kind {
        case .global:
            return method.computeMask(scores, defaultMask: oldMask)
        case .unstructured:
            let flat = oldMask.reshape([-1])
            let kept = flat.nonzero().reshape([-1])
            let partial = method.computeMask(scores.reshape([-1]).indexSelect(dim: 0, indices: kept),
                                             defaultMask: flat.indexSelect(dim: 0, indices: kept))
            return flat.scatter(dim: 0, index: kept, src: partial).reshape(oldMask.shape)
        case .structured(let dim):
            let rank = scores.rank, d = channelDim(dim, of: scores, "prune")
            let channels = oldMask.sum(dims: (0..<rank).filter { $0 != d }).ne(0).nonzero().reshape([-1])
            let partial = method.computeMask(scores.indexSelect(dim: d, indices: channels),
                                             defaultMask: oldMask.indexSelect(dim: d, indices: channels))
            let index = channels.reshape((0..<rank).map { $0 == d ? channels.count : 1 }).expand(partial.shape).contiguous()
            return oldMask.scatter(dim: d, index: index, src: partial)
        }
    }
}

/// One tensor of one module to prune: `PruningTarget(model.fc1, \.weight)` (or `\.bias`).
public struct PruningTarget: CustomStringConvertible {
    let module: Module
    let keyPath: AnyKeyPath
    let read: () -> Tensor
    let assign: (Module, Tensor) -> Void

    public init<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>) {
        self.module = module
        keyPath = tensor
        read = { module[keyPath: tensor] }
        assign = { ($0 as! M)[keyPath: tensor] = $1 }
    }

    public init<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor?>) {
        self.module = module
        keyPath = tensor
        read = {
            guard let t = module[keyPath: tensor] else {
                preconditionFailure("Ember: prune: \(module.typeName)'s \(tensor) is nil: there is no tensor to prune")
            }
            return t
        }
        assign = { ($0 as! M)[keyPath: tensor] = $1 }
    }

    public var description: String { "\(module.typeName)'s \(keyPath)" }

    /// Whether `pruned` is this tensor's pruning: the key path (whose equality includes its root
    /// type, so `\Conv2d.weight` is not `\MyConv.weight`) or the value it last stored.
    func isPruned(by pruned: PrunedTensor) -> Bool {
        pruned.keyPath == keyPath || pruned.value.map { $0 === read() } == true
    }

    /// The tensor's pruning so far, if any, and its value: original · mask when pruned (fresh, should
    /// the original have changed since the layer's last call).
    func currentValue() -> (existing: PrunedTensor?, value: Tensor) {
        guard let existing = module.prunedTensors.first(where: isPruned(by:)) else { return (nil, read()) }
        return (existing, noGrad { existing.original * existing.mask })
    }

    /// The state-dict name of the (not yet pruned) tensor: the parameter that is this very object.
    func parameterName() -> String {
        let t = read()
        guard let name = module.directParameters().first(where: { $0.1 === t })?.0 else {
            preconditionFailure("Ember: prune: \(description) is not one of its parameters (only a parameter, "
                + "a leaf that requires grad or is frozen, can be pruned; a parametrized tensor cannot)")
        }
        return name
    }
}

/// A pruned tensor's original and mask (`Module.prunedTensors`).
final class PrunedTensor {
    let name: String
    let keyPath: AnyKeyPath
    let original: Tensor
    let mask: Tensor
    let assign: (Module, Tensor) -> Void
    /// The value last stored in the module's property.
    private(set) var value: Tensor?

    init(name: String, keyPath: AnyKeyPath, original: Tensor, mask: Tensor, assign: @escaping (Module, Tensor) -> Void) {
        self.name = name
        self.keyPath = keyPath
        self.original = original
        self.mask = mask
        self.assign = assign
    }

    /// Stores original · mask in the module's property (differentiable in the original).
    func apply(to module: Module) {
        let pruned = original * mask
        value = pruned
        assign(module, pruned)
    }
}
