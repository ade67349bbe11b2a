/// Stores a tensor in a module as a *buffer*: state that is saved and loaded with the module but not
/// trained (BatchNorm's running statistics), like PyTorch's `register_buffer`.
///
///     final class Normalizer: Module {
///         @Buffer var mean = Tensor.zeros([4])     // state-dict key "mean", not a parameter
///         var scale = Tensor.ones([4], requiresGrad: true)   // a parameter
///     }
@propertyWrapper
public struct Buffer {
    public var wrappedValue: Tensor
    public init(wrappedValue: Tensor) { self.wrappedValue = wrappedValue }
}

/// The base class of every layer and model, like `torch.nn.Module`.
///
/// Subclass it, store layers and tensors as properties and override `forward(_:)`. Nothing needs to
/// be registered: parameters, buffers and submodules are found from the stored properties by
/// reflection (`Mirror`), in declaration order (base-class properties first):
///
/// - a `Tensor` (or `Tensor?`) property that requires grad and is a leaf is a **parameter** (a tensor
///   computed from parameters, like a parametrized `weight`, is not);
/// - a property wrapped in `@Buffer` is a **buffer** (saved in the state dict, never trained);
/// - a `Module` (or `Module?`) property is a **child**, named by the property;
/// - an array of modules (`[Module]`, `[Linear]`, ...) gives children `name.0`, `name.1`, ...;
///   an array of tensors that require grad gives parameters `name.0`, `name.1`, ...
/// - anything else (Ints, Floats, tensors that do not require grad) is ignored.
///
/// Property names become PyTorch-style keys: camelCase is written in snake_case, so `runningMean`
/// is `running_mean` and a PyTorch checkpoint's keys (`fc1.weight`, `net.0.bias`,
/// `layers.2.running_mean`) match the Swift model's. A module can override `namedChildren()`
/// (as `Sequential` does, to number its layers) or the `direct...` methods to change this (pruned
/// tensors' `_orig` and `_mask` are listed whatever they return).
///
/// Writing your own layer:
///
///     final class Scale: Module {
///         var gain: Tensor                                  // parameter "gain"
///         init(_ n: Int) { gain = Tensor.ones([n], requiresGrad: true) }
///         override func forward(_ x: Tensor) -> Tensor { x * gain }
///     }
///
///     final class MLP: Module {
///         let fc1 = Linear(784, 256)                        // "fc1.weight", "fc1.bias"
///         let act = ReLU()
///         let fc2 = Linear(256, 10)
///         let scale = Scale(10)                             // "scale.gain"
///         override func forward(_ x: Tensor) -> Tensor { scale(fc2(act(fc1(x)))) }
///     }
///
/// To freeze a layer (fine-tuning), turn its parameters' `requiresGrad` off, one by one or with
/// `layer.requiresGrad_(false)`: they stay parameters (listed, saved and loaded) but get no gradient,
/// and optimizers skip them.
open class Module: CustomStringConvertible {
    /// True in training mode (the default), false after `eval()`. Dropout and BatchNorm read it.
    public private(set) var isTraining = true

    /// The parametrized tensors' originals, by tensor name (`Parametrize.register`); the child
    /// "parametrizations", as in PyTorch's state dicts.
    var parametrizations: ModuleDict?

    /// The pruned tensors (`Prune`), in the order they were first pruned: each one's original and
    /// mask are this module's `<name>_orig` parameter and `<name>_mask` buffer, as in PyTorch.
    var prunedTensors: [PrunedTensor] = []

    public init() {}

    /// The computation of this module. Subclasses override it; call the module itself to run it.
    open func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: \(typeName) does not override forward(_:)")
    }

    /// Hooks run around `forward` by `callAsFunction` (`registerForwardPreHook`, `registerForwardHook`).
    var forwardPreHooks: [(id: Int, body: (Module, Tensor) -> Tensor?)] = []
    var forwardHooks: [(id: Int, body: (Module, Tensor, Tensor) -> Tensor?)] = []
    /// Hooks run in backward (`registerFullBackwardHook`, `registerFullBackwardPreHook`).
    var backwardHooks: [(id: Int, body: (Module, Tensor?, Tensor) -> Tensor?)] = []
    var backwardPreHooks: [(id: Int, body: (Module, Tensor) -> Tensor?)] = []

    /// Runs `forward(_:)`: `model(x)`, with the module's forward hooks around it (and its parametrized
    /// tensors recomputed first).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        refreshParametrizations()
        if forwardPreHooks.isEmpty && forwardHooks.isEmpty && backwardHooks.isEmpty && backwardPreHooks.isEmpty { return forward(x) }
        return forwardWithHooks(x)
    }

    // MARK: Discovery

    /// A registered member found on this module (not its children).
    enum Member {
        case parameter(Tensor)
        case buffer(Tensor)
        case child(Module)
    }

    /// The stored properties of this module, from the base class down, as registered members.
    func reflectedMembers() -> [(String, Member)] {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        var members: [(String, Member)] = []
        for m in mirrors.reversed() {
            for child in m.children {
                guard var label = child.label, !label.hasPrefix("$") else { continue }
                let value = child.value
                if let buffer = value as? Buffer {
                    if label.hasPrefix("_") { label.removeFirst() }
                    members.append((Module.keyName(label), .buffer(buffer.wrappedValue)))
                    continue
                }
                let name = Module.keyName(label)
                if let tensor = value as? Tensor {
                    if tensor.isParameterCandidate { members.append((name, .parameter(tensor))) }
                } else if let module = value as? Module {
                    members.append((name, .child(module)))
                } else if let modules = value as? [Module] {
                    for (i, module) in modules.enumerated() { members.append(("\(name).\(i)", .child(module))) }
                } else if let tensors = value as? [Tensor] {
                    for (i, tensor) in tensors.enumerated() where tensor.isParameterCandidate {
                        members.append(("\(name).\(i)", .parameter(tensor)))
                    }
                }
            }
        }
        return members
    }

    /// A Swift property name as a PyTorch state-dict name: `runningMean` → `running_mean`.
    static func keyName(_ label: String) -> String {
        var out = ""
        var previous: Character? = nil
        for c in label {
            if c.isUppercase, let p = previous, p.isLowercase || p.isNumber { out.append("_") }
            out.append(contentsOf: c.lowercased())
            previous = c
        }
        return out
    }

    /// This module's own parameters (not its children's), in order.
    open func directParameters() -> [(String, Tensor)] {
        reflectedMembers().compactMap { if case .parameter(let t) = $0.1 { return ($0.0, t) } else { return nil } }
    }

    /// This module's own buffers, in order.
    open func directBuffers() -> [(String, Tensor)] {
        reflectedMembers().compactMap { if case .buffer(let t) = $0.1 { return ($0.0, t) } else { return nil } }
    }

    /// The immediate submodules with their names, in order.
    open func namedChildren() -> [(String, Module)] {
        reflectedMembers().compactMap { if case .child(let m) = $0.1 { return ($0.0, m) } else { return nil } }
    }

    public func children() -> [Module] { namedChildren().map(\.1) }

    /// `directParameters()` and the originals of pruned tensors (`<name>_orig`), which a class's own
    /// `directParameters` cannot leave out.
    func registeredParameters() -> [(String, Tensor)] {
        directParameters() + prunedTensors.filter { $0.original.isParameterCandidate }.map { ($0.name + "_orig", $0.original) }
    }

    /// `directBuffers()` and the masks of pruned tensors (`<name>_mask`).
    func registeredBuffers() -> [(String, Tensor)] {
        directBuffers() + prunedTensors.map { ($0.name + "_mask", $0.mask) }
    }

    /// `namedChildren()` and, when a tensor is parametrized, the "parametrizations" container.
    func registeredChildren() -> [(String, Module)] {
        namedChildren() + (parametrizations.map { [("parametrizations", $0)] } ?? [])
    }

    /// This module and every submodule, depth first, with dotted names ("" for self). A module
    /// reachable twice is listed once (first name), like PyTorch's `named_modules()`.
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var seen = Set<ObjectIdentifier>()
        return walkModules(prefix: prefix, ancestors: []).filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    /// Depth-first walk listing shared submodules under every name; a reference back to an
    /// ancestor (a cycle, e.g. a stored parent) is not followed.
    func walkModules(prefix: String, ancestors: Set<ObjectIdentifier>) -> [(String, Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        let inside = ancestors.union([ObjectIdentifier(self)])
        for (name, child) in registeredChildren() where !inside.contains(ObjectIdentifier(child)) {
            out += child.walkModules(prefix: prefix.isEmpty ? name : "\(prefix).\(name)", ancestors: inside)
        }
        return out
    }

    /// This module and every submodule, each once. A lazy layer's created layer follows the lazy layer
    /// (PyTorch's lazy layer turns into it), so `modules().compactMap { $0 as? Conv2d }` finds it too.
    public func modules() -> [Module] {
        namedModules().flatMap { _, module in [module] + ((module as? LazyModule)?.materializedLayer.map { [$0] } ?? []) }
    }

    /// Every parameter with its dotted name (`fc1.weight`), each tensor once (the first name wins
    /// when a parameter is shared), like `named_parameters()`.
    public func namedParameters() -> [(String, Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var out: [(String, Tensor)] = []
        for (prefix, module) in namedModules() {
            for (name, t) in module.registeredParameters() where seen.insert(ObjectIdentifier(t)).inserted {
                out.append((prefix.isEmpty ? name : "\(prefix).\(name)", t))
            }
        }
        return out
    }

    /// The tensors an optimizer trains.
    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// Every buffer with its dotted name (`bn.running_mean`).
    public func namedBuffers() -> [(String, Tensor)] {
        namedModules().flatMap { prefix, module in
            module.registeredBuffers().map { (prefix.isEmpty ? $0.0 : "\(prefix).\($0.0)", $0.1) }
        }
    }

    public func buffers() -> [Tensor] { namedBuffers().map(\.1) }

    // MARK: Devices

    /// Moves every parameter and buffer to `device` in place, like `model.to(device)`: the tensors
    /// stay the same objects, so an optimizer made before the move keeps working.
    @discardableResult
    public func to(_ device: Device) -> Self {
        for t in parameters() + buffers() { t.moveData(to: device) }
        for module in modules() { (module as? LazyModule)?.pendingDevice = device }
        refreshAllParametrizations()
        return self
    }

    // MARK: Modes and gradients

    /// Sets training mode on this module and every submodule.
    @discardableResult
    public func train(_ mode: Bool = true) -> Self {
        for m in modules() { m.isTraining = mode }
        return self
    }

    /// Evaluation mode: dropout is the identity, BatchNorm uses its running statistics.
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Turns `requiresGrad` on or off for every parameter, like PyTorch's `requires_grad_`:
    /// `backbone.requiresGrad_(false)` freezes a pretrained part while the rest trains.
    @discardableResult
    public func requiresGrad_(_ flag: Bool = true) -> Self {
        for p in parameters() { p.requiresGrad = flag }
        for case let lazy as LazyModule in modules() where lazy.materializedLayer == nil { lazy.pendingRequiresGrad = flag }
        return self
    }

    /// Clears every parameter's gradient (sets it to nil, like `zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }

    /// Makes this module, freshly built with the same structure as `source`, its copy: same device,
    /// mode, parameter and buffer values, frozen parameters frozen (the `copy()` of layers that
    /// containers clone).
    func copyingState(of source: Module) -> Self {
        precondition(!Prune.isPruned(source), "Ember: \(source.typeName) has pruned tensors and cannot be copied (nor can "
            + "it in PyTorch): prune the copies after building the container that copies it")
        to(source.parameters().first?.device ?? .cpu).train(source.isTraining)
        noGrad {
            for (target, value) in zip(parameters() + buffers(), source.parameters() + source.buffers()) { target.copy_(value) }
        }
        for (target, value) in zip(parameters(), source.parameters()) where value.isFrozen { target.requiresGrad = false }
        return self
    }

    // MARK: Description

    /// The class name shown by `description`.
    open var typeName: String { String(describing: type(of: self)) }

    /// The text inside the parentheses, like PyTorch's `extra_repr` ("in_features=4, ...").
    open var extraDescription: String { "" }

    /// The module tree, formatted like PyTorch's `print(model)`. Customize it through `typeName`
    /// and `extraDescription`.
    public var description: String { describe(ancestors: []) }

    func describe(ancestors: Set<ObjectIdentifier>) -> String {
        let inside = ancestors.union([ObjectIdentifier(self)])
        let extraLines = extraDescription.isEmpty ? [] : extraDescription.split(separator: "\n").map(String.init)
        var childLines: [String] = []
        var list: (name: String, items: [(index: Int, text: String)])?   // an array property's modules (`tail.0`, ...)
        func closeList() {
            if let (name, items) = list {
                childLines.append("(\(name)): " + moduleListDescription(items).replacingOccurrences(of: "\n", with: "\n  "))
            }
            list = nil
        }
        for (name, child) in registeredChildren() where !inside.contains(ObjectIdentifier(child)) {
            let text = child.describe(ancestors: inside)
            let parts = name.split(separator: ".")
            if parts.count == 2, let index = Int(parts[1]) {
                let property = String(parts[0])
                if list?.name != property { closeList() }
                if list == nil { list = (property, []) }
                list!.items.append((index, text))
                continue
            }
            closeList()
            childLines.append("(\(name)): " + text.replacingOccurrences(of: "\n", with: "\n  "))
        }
        closeList()
        let lines = extraLines + childLines
        var text = typeName + "("
        if !lines.isEmpty {
            if extraLines.count == 1 && childLines.isEmpty {
                text += extraLines[0]
            } else {
                text += "\n  " + lines.joined(separator: "\n  ") + "\n"
            }
        }
        return text + ")"
    }
}

/// An array of modules as PyTorch prints a `ModuleList`: runs of equal modules in one line each
/// (`(0-5): 6 x TransformerEncoderLayer(...)`), indented under the list's name.
func moduleListDescription(_ items: [(index: Int, text: String)]) -> String {
    var runs: [(first: Int, last: Int, text: String)] = []
    for (index, text) in items {
        if let run = runs.last, run.text == text, run.last + 1 == index {
            runs[runs.count - 1].last = index
        } else {
            runs.append((index, index, text))
        }
    }
    let lines = runs.map { run in
        (run.first == run.last ? "(\(run.first)): " : "(\(run.first)-\(run.last)): \(run.last - run.first + 1) x ") + run.text
    }
    return "ModuleList(\n  " + lines.map { $0.replacingOccurrences(of: "\n", with: "\n  ") }.joined(separator: "\n  ") + "\n)"
}

/// Python's spelling of a Bool in descriptions.
func pythonBool(_ b: Bool) -> String { b ? "True" : "False" }
