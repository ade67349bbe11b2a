/// Parametrizations, like `torch.nn.utils.parametrize`: a layer's tensor (say `weight`) computed
/// from other parameters, the *originals*, which are what the optimizer trains and the state dict
/// saves (`parametrizations.weight.original`, PyTorch's keys, so checkpoints load both ways; the
/// older `weight_g`/`weight_v` keys of `torch.nn.utils.weight_norm` load into `weightNorm` too). `weightNorm` and
/// `spectralNorm` are built on it; so can your own:
///
///     final class Symmetric: ParametrizationModule {
///         override func compute(_ originals: [Tensor]) -> Tensor { originals[0].triu() + originals[0].triu(diagonal: 1).mT }
///     }
///     let layer = Parametrize.register(Linear(3, 3), \.weight, name: "weight", Symmetric())
///
/// The tensor is recomputed whenever the layer is called (`layer(x)` and the layers' calls with more
/// arguments), after `loadStateDict` and `to(device)`. A layer of your own with a call of its own
/// should call `refreshParametrizations()` first. Register parametrizations before making the
/// optimizer: it must see the originals.
public enum Parametrize {
    /// Makes `module[keyPath: tensor]` (state-dict name `name`) the output of `parametrization`,
    /// whose originals start as its `rightInverse` of the tensor's current value.
    @discardableResult
    public static func register<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>, name: String,
                                           _ parametrization: ParametrizationModule) -> M {
        let container = module.parametrizations ?? ModuleDict()
        precondition(container[name] == nil, "Ember: Parametrize.register: \(name) of \(module.typeName) is already "
            + "parametrized (one parametrization per tensor); remove it first")
        let current = module[keyPath: tensor]
        precondition(!module.prunedTensors.contains(where: PruningTarget(module, tensor).isPruned(by:)),
                     "Ember: Parametrize.register: \(name) of \(module.typeName) is pruned; Prune.remove it first")
        let originals = parametrization.rightInverse(current.detach()).map { $0.detach().contiguous().clone().keepingGrad(of: current) }
        let list = ParametrizationList(originals: originals, parametrization) { module, value in
            (module as! M)[keyPath: tensor] = value
        }
        container[name] = list
        container.train(module.isTraining)
        module.parametrizations = container
        module.refreshParametrizations()
        return module
    }

    /// Removes the parametrization of `name`. With `leaveParametrized` the tensor keeps its current
    /// value as a plain parameter again (for deployment); otherwise it is the original again, which
    /// needs a parametrization with a single original. With a single original the tensor is that
    /// original's object, so an optimizer made before keeps training it.
    public static func remove<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>, name: String,
                                         leaveParametrized: Bool = true) {
        guard let list = module.parametrizations?[name] as? ParametrizationList else {
            preconditionFailure("Ember: Parametrize.remove: \(name) of \(module.typeName) is not parametrized")
        }
        precondition(leaveParametrized || list.originals.count == 1, "Ember: Parametrize.remove: \(name) has "
            + "\(list.originals.count) originals; only leaveParametrized: true can remove this parametrization")
        let value = noGrad { list.value() }
        let original = list.originals[0]
        if list.originals.count == 1 && value.shape == original.shape {
            if leaveParametrized { noGrad { _ = original.copy_(value) } }
            module[keyPath: tensor] = original
        } else {
            module[keyPath: tensor] = value.detach().contiguous().clone().keepingGrad(of: original)
        }
        module.parametrizations![name] = nil
        if module.parametrizations!.keys.isEmpty { module.parametrizations = nil }
    }

    /// Whether `module` has a parametrized tensor (named `name`, or any).
    public static func isParametrized(_ module: Module, _ name: String? = nil) -> Bool {
        guard let container = ((module as? LazyModule)?.materializedLayer ?? module).parametrizations else { return false }
        return name.map { container[$0] != nil } ?? !container.keys.isEmpty
    }
}

extension Module {
    /// Recomputes this module's parametrized and pruned tensors from their originals (see `Parametrize`
    /// and `Prune`); the layers' own calls do it, so only a layer with a call of its own needs to. With
    /// `updatingState` false the parametrizations run as in evaluation (spectral norm's power iteration
    /// does not advance), as after loading a state dict or moving to a device.
    public func refreshParametrizations(updatingState: Bool = true) {
        for pruned in prunedTensors { pruned.apply(to: self) }
        guard let container = parametrizations else { return }
        let mode = container.isTraining
        if !updatingState { container.train(false) }
        defer { if !updatingState { container.train(mode) } }
        for key in container.keys {
            if let list = container[key] as? ParametrizationList { list.assign(self, list.value()) }
        }
    }

    /// `refreshParametrizations(updatingState: false)` on this module and every submodule: after
    /// loading a state dict, moving to a device, or before reading the weights as constants.
    public func refreshAllParametrizations() {
        for module in modules() { module.refreshParametrizations(updatingState: false) }
    }
}

extension Module {
    /// `stateDict` with the keys of the older `torch.nn.utils.weight_norm` (`fc.weight_g`, `fc.weight_v`)
    /// renamed to those of a `weightNorm` parametrization of the same tensor
    /// (`fc.parametrizations.weight.original0`, `original1`), where this model has one.
    func renamingLegacyWeightNormKeys(_ stateDict: [String: Tensor]) -> [String: Tensor] {
        var renamed = stateDict
        for (prefix, module) in namedModules() {
            // A lazy layer's created layer holds the parametrizations saved under the lazy layer's name.
            guard let container = ((module as? LazyModule)?.materializedLayer ?? module).parametrizations else { continue }
            for name in container.keys where (container[name] as? ParametrizationList)?.parametrization is WeightNorm {
                let path = prefix.isEmpty ? "" : prefix + "."
                for (suffix, original) in [("_g", "original0"), ("_v", "original1")] {
                    let newKey = "\(path)parametrizations.\(name).\(original)"
                    if renamed[newKey] == nil, let value = renamed.removeValue(forKey: "\(path)\(name)\(suffix)") {
                        renamed[newKey] = value
                    }
                }
            }
        }
        return renamed
    }
}

extension Tensor {
    /// Whether a module's stored tensor is one of its parameters: a leaf that requires grad, or a
    /// frozen one (a tensor computed from parameters, like a parametrized weight, is not).
    var isParameterCandidate: Bool { (requiresGrad && isLeaf) || isFrozen }

    /// This new leaf with `requiresGrad` as `source`'s, frozen if `source` is (so it stays a parameter).
    fileprivate func keepingGrad(of source: Tensor) -> Tensor {
        if source.isFrozen {
            requiresGrad = true
            requiresGrad = false
        } else {
            requiresGrad = source.requiresGrad
        }
        return self
    }
}

/// A parametrization: `compute` maps the originals to the tensor, `rightInverse` a value of the
/// tensor to originals that give it back (the identity by default: one original, the value).
open class ParametrizationModule: Module {
    open func compute(_ originals: [Tensor]) -> Tensor { originals[0] }
    open func rightInverse(_ value: Tensor) -> [Tensor] { [value] }
}

/// The originals of one parametrized tensor and its parametrization (child "0"), like PyTorch's
/// `ParametrizationList`: state-dict names `original` (one) or `original0`, `original1`, ...
public final class ParametrizationList: Module {
    public let originals: [Tensor]
    let parametrization: ParametrizationModule
    /// Stores the value in the parametrized module's property.
    let assign: (Module, Tensor) -> Void

    init(originals: [Tensor], _ parametrization: ParametrizationModule, assign: @escaping (Module, Tensor) -> Void) {
        self.originals = originals
        self.parametrization = parametrization
        self.assign = assign
        super.init()
    }

    /// The parametrized tensor, from the originals.
    public func value() -> Tensor { parametrization.compute(originals) }

    public override func directParameters() -> [(String, Tensor)] {
        let named = originals.count == 1 ? [("original", originals[0])] : originals.enumerated().map { ("original\($0)", $1) }
        return named.filter { $0.1.isParameterCandidate }
    }

    public override func namedChildren() -> [(String, Module)] { [("0", parametrization)] }
}

/// Weight normalization, like `torch.nn.utils.parametrizations.weight_norm`: the tensor becomes
/// g·v/‖v‖, its magnitude g (`original0`) and direction v (`original1`) trained apart, the norm taken
/// over every dim but `dim` (one per output unit for dim 0; over everything for nil or, as in
/// PyTorch, −1).
@discardableResult
public func weightNorm<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>, name: String = "weight",
                                  dim: Int? = 0) -> M {
    Parametrize.register(module, tensor, name: name, WeightNorm(dim: dim == -1 ? nil : dim, rank: module[keyPath: tensor].rank))
}

/// g·v/‖v‖ (see `weightNorm`).
public final class WeightNorm: ParametrizationModule {
    /// The dim that keeps one magnitude per slice (nil: one magnitude for the whole tensor).
    public let dim: Int?
    private let rank: Int

    public init(dim: Int?, rank: Int) {
        precondition(dim.map { (-rank..<rank).contains($0) } ?? true,
                     "Ember: weightNorm: dim \(dim!) is out of range for a tensor of \(rank) dims")
        self.dim = dim.map { $0 < 0 ? $0 + rank : $0 }
        self.rank = rank
        super.init()
    }

    /// ‖v‖ over every dim but `dim`, kept as size-1 dims (a scalar for dim nil).
    private func norm(_ v: Tensor) -> Tensor {
        guard let dim else { return v.square().sum().sqrt() }
        guard rank > 1 else { return v.abs() }   // a 1-D tensor: one magnitude per element
        return v.square().sum(dims: (0..<rank).filter { $0 != dim }, keepdim: true).sqrt()
    }

    public override func compute(_ originals: [Tensor]) -> Tensor { originals[1] * (originals[0] / norm(originals[1])) }
    public override func rightInverse(_ value: Tensor) -> [Tensor] { [norm(value), value] }
    public override var typeName: String { "_WeightNorm" }
}

/// Spectral normalization, like `torch.nn.utils.parametrizations.spectral_norm`: the tensor divided
/// by its largest singular value σ (of the matrix with `dim` first and the other dims flattened),
/// estimated by power iteration. Each call in training mode runs `nPowerIterations` steps and keeps
/// the vectors u and v (buffers `_u`, `_v`, PyTorch's); evaluation reuses them. Keeps a GAN
/// discriminator 1-Lipschitz. A 1-D tensor is simply normalized. `dim` defaults to PyTorch's: 1 for
/// transposed convolutions (their output channels), 0 otherwise.
@discardableResult
public func spectralNorm<M: Module>(_ module: M, _ tensor: ReferenceWritableKeyPath<M, Tensor>, name: String = "weight",
                                    nPowerIterations: Int = 1, eps: Float = 1e-12, dim: Int? = nil,
                                    generator: RandomGenerator = .global) -> M {
    let transposed = module is ConvTranspose1d || module is ConvTranspose2d || module is ConvTranspose3d
    let spectral = SpectralNorm(module[keyPath: tensor], nPowerIterations: nPowerIterations, eps: eps,
                                dim: dim ?? (transposed ? 1 : 0), generator: generator)
    return Parametrize.register(module, tensor, name: name, spectral)
}

/// W/σ(W) (see `spectralNorm`).
public final class SpectralNorm: ParametrizationModule {
    public let nPowerIterations: Int, eps: Float, dim: Int
    /// The left and right singular vector estimates (for tensors with 2 or more dims): buffers `_u`, `_v`.
    public private(set) var u: Tensor
    public private(set) var v: Tensor

    public init(_ weight: Tensor, nPowerIterations: Int = 1, eps: Float = 1e-12, dim: Int = 0,
                generator: RandomGenerator = .global) {
        precondition(nPowerIterations > 0, "Ember: spectralNorm: nPowerIterations must be positive, got \(nPowerIterations)")
        precondition((-weight.rank..<weight.rank).contains(dim),
                     "Ember: spectralNorm: dim \(dim) is out of range for a weight of shape \(weight.shape)")
        (self.nPowerIterations, self.eps, self.dim) = (nPowerIterations, eps, dim < 0 ? dim + weight.rank : dim)
        u = Tensor.zeros([0])
        v = Tensor.zeros([0])
        super.init()
        guard weight.rank > 1 else { return }
        let matrix = noGrad { self.matrix(weight) }
        u = normalize(Tensor.randn([matrix.shape[0]], generator: generator, device: weight.device), dim: 0, eps: eps)
        v = normalize(Tensor.randn([matrix.shape[1]], generator: generator, device: weight.device), dim: 0, eps: eps)
        powerIterations(matrix, 15)
    }

    /// The weight as a matrix: `dim` first, the others flattened.
    private func matrix(_ weight: Tensor) -> Tensor {
        let moved = dim == 0 ? weight : weight.permute([dim] + (0..<weight.rank).filter { $0 != dim })
        return moved.reshape([moved.shape[0], -1])
    }

    /// u ← normalize(W v), v ← normalize(Wᵀ u), `count` times, in place (the buffers keep their identity).
    private func powerIterations(_ matrix: Tensor, _ count: Int) {
        noGrad {
            for _ in 0..<count {
                u.copy_(normalize(matrix.matmul(v.unsqueeze(1)).squeeze(1), dim: 0, eps: eps))
                v.copy_(normalize(matrix.mT.matmul(u.unsqueeze(1)).squeeze(1), dim: 0, eps: eps))
            }
        }
    }

    public override func compute(_ originals: [Tensor]) -> Tensor {
        let weight = originals[0]
        guard weight.rank > 1 else { return normalize(weight, dim: 0, eps: eps) }
        let w = matrix(weight)
        if isTraining { powerIterations(w.detach(), nPowerIterations) }
        let (left, right) = (u.clone(), v.clone())
        let sigma = (left * w.matmul(right.unsqueeze(1)).squeeze(1)).sum()
        return weight / sigma
    }

    public override func directBuffers() -> [(String, Tensor)] { u.count == 0 ? [] : [("_u", u), ("_v", v)] }
    public override var typeName: String { "_SpectralNorm" }
}
