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
    /// order), each once; returns this module.
    @discardableResult
    public func apply(_ fn: (Module) -> Void) -> Self {
        var seen = Set<ObjectIdentifier>()
        func visit(_ module: Module) {
            guard seen.insert(ObjectIdentifier(module)).inserted else { return }
            for (_, child) in module.registeredChildren() { visit(child) }
            fn(module)
        }
        visit(self)
        return self
    }

    /// The submodule at a dotted path ("" for this module), or nil where there is none.
    public func submodule(_ path: String) -> Module? {
        guard !path.isEmpty else { return self }
        var module: Module = self
        for name in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let child = module.registeredChildren().first(where: { $0.0 == name })?.1 else { return nil }
            module = child
        }
        return module
    }

    /// The submodule at a dotted path, like `get_submodule`; a path that leads nowhere stops with a
    /// message naming the part that is missing and what is there instead.
    public func getSubmodule(_ path: String) -> Module {
        guard let module = submodule(path) else { missing(path, kind: "submodule") }
        return module
    }

    /// The parameter at a dotted path ("fc1.weight"), like `get_parameter`.
    public func getParameter(_ path: String) -> Tensor {
        let (owner, name) = split(path, kind: "parameter")
        guard let tensor = owner.registeredParameters().first(where: { $0.0 == name })?.1 else { missing(path, kind: "parameter") }
        return tensor
    }

    /// The buffer at a dotted path ("bn.running_mean"), like `get_buffer`.
    public func getBuffer(_ path: String) -> Tensor {
        let (owner, name) = split(path, kind: "buffer")
        guard let tensor = owner.registeredBuffers().first(where: { $0.0 == name })?.1 else { missing(path, kind: "buffer") }
        return tensor
    }

    /// The module holding the last component of `path`, and that component.
    private func split(_ path: String, kind: String) -> (Module, String) {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let prefix = parts.dropLast().joined(separator: ".")
        guard let owner = submodule(prefix) else { missing(path, kind: kind) }
        return (owner, parts.last!)
    }

    private func missing(_ path: String, kind: String) -> Never {
        var module: Module = self, walked: [String] = []
        for name in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            guard let child = module.registeredChildren().first(where: { $0.0 == name })?.1 else {
                let owner = walked.isEmpty ? typeName : "\(walked.joined(separator: ".")) (\(module.typeName))"
                let members = kind == "parameter" ? module.registeredParameters().map(\.0)
                    : kind == "buffer" ? module.registeredBuffers().map(\.0) : []
                let offered = (module.registeredChildren().map(\.0) + members).map { "\"\($0)\"" }.joined(separator: ", ")
                preconditionFailure("Ember: \(typeName) has no \(kind) \"\(path)\": \(owner) has no \"\(name)\" (it has "
                    + "\(offered.isEmpty ? "nothing by that path" : offered))")
            }
            module = child
            walked.append(name)
        }
        preconditionFailure("Ember: \(typeName) has no \(kind) \"\(path)\": it names a submodule, \(module.typeName)")
    }
}
