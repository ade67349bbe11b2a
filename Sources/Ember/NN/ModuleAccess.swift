/// Walking and addressing a model's parts, like PyTorch's `Module.apply`, `get_submodule`,
/// `get_parameter` and `get_buffer`:
///
///     model.apply { m in                                    // the usual weight initialization
///         if let linear = m as? Linear { _ = Init.xavierUniform(linear.weight); _ = linear.bias.map { Init.zeros($0) } }
///     }
///     let conv = model.getSubmodule("layer1.0.conv1")       // dotted names, as in the state dict
///     let weight = model.getParameter("fc1.weight")
extension Module {
    /// Calls `fn` on every submodule, children before their parents and this module last (PyTorch's
    /// order); returns this module. A module shared by two parents is visited once (PyTorch's visits
    /// it under each). A lazy layer's created layer is visited just before the lazy layer.
    @discardableResult
    public func apply(_ fn: (Module) -> Void) -> Self {
        var seen = Set<ObjectIdentifier>()
        func visit(_ module: Module) {
            guard seen.insert(ObjectIdentifier(module)).inserted else { return }
            for (_, child) in module.registeredChildren() { visit(child) }
            if let layer = (module as? LazyModule)?.materializedLayer { visit(layer) }
            fn(module)
        }
        visit(self)
        return self
    }

    /// The submodule at a dotted path ("" for this module), or nil where there is none. Paths are the
    /// state dict's, so a child from an array is "layers.0".
    public func submodule(_ path: String) -> Module? {
        walkModules(prefix: "", ancestors: []).first { $0.0 == path }?.1
    }

    /// The submodule at a dotted path, like `get_submodule`; a path that leads nowhere stops with a
    /// message naming the part that is missing and what is there instead.
    public func getSubmodule(_ path: String) -> Module {
        guard let module = submodule(path) else { missing(path, kind: "submodule") }
        return module
    }

    /// The parameter at a dotted path ("fc1.weight"), like `get_parameter`.
    public func getParameter(_ path: String) -> Tensor {
        guard let tensor = member(path, { $0.registeredParameters() }) else { missing(path, kind: "parameter") }
        return tensor
    }

    /// The buffer at a dotted path ("bn.running_mean"), like `get_buffer`.
    public func getBuffer(_ path: String) -> Tensor {
        guard let tensor = member(path, { $0.registeredBuffers() }) else { missing(path, kind: "buffer") }
        return tensor
    }

    /// The tensor `members` of some module lists under `path` (its prefix, then the member's name).
    private func member(_ path: String, _ members: (Module) -> [(String, Tensor)]) -> Tensor? {
        for (prefix, module) in walkModules(prefix: "", ancestors: []) {
            let local: Substring
            if prefix.isEmpty { local = path[...] } else if path.hasPrefix(prefix + ".") { local = path.dropFirst(prefix.count + 1) } else { continue }
            if let found = members(module).first(where: { $0.0 == local }) { return found.1 }
        }
        return nil
    }

    /// Stops, naming the longest part of `path` that leads to a module and what that module holds.
    private func missing(_ path: String, kind: String) -> Never {
        let modules = walkModules(prefix: "", ancestors: [])
        if modules.contains(where: { $0.0 == path }) {
            preconditionFailure("Ember: \(typeName) has no \(kind) \"\(path)\": it names a submodule, \(submodule(path)!.typeName)")
        }
        let (prefix, owner) = modules.filter { $0.0.isEmpty || path.hasPrefix($0.0 + ".") }.max { $0.0.count < $1.0.count }!
        let members = kind == "parameter" ? owner.registeredParameters().map(\.0)
            : kind == "buffer" ? owner.registeredBuffers().map(\.0) : []
        let offered = (owner.registeredChildren().map(\.0) + members).map { "\"\($0)\"" }.joined(separator: ", ")
        let rest = prefix.isEmpty ? path : String(path.dropFirst(prefix.count + 1))
        let where_ = prefix.isEmpty ? typeName : "\(prefix) (\(owner.typeName))"
        preconditionFailure("Ember: \(typeName) has no \(kind) \"\(path)\": \(where_) has no \"\(rest)\" (it has "
            + "\(offered.isEmpty ? "nothing by that path" : offered))")
    }
}
