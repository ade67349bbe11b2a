/// Why `loadStateDict` refused a state dict. Its description reads like PyTorch's
/// "Error(s) in loading state_dict for MLP: ..." message.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    /// A key whose tensor has a different shape in the checkpoint than in the model.
    public struct ShapeMismatch: Equatable, Sendable {
        public let key: String
        /// The shape in the state dict being loaded.
        public let checkpointShape: [Int]
        /// The shape in the current model.
        public let modelShape: [Int]
    }

    /// The module's type name.
    public let moduleName: String
    /// Keys the module has that the state dict lacks (reported only when strict).
    public let missingKeys: [String]
    /// Keys in the state dict that the module does not have (reported only when strict).
    public let unexpectedKeys: [String]
    /// Keys present in both whose shapes differ (reported strict or not).
    public let shapeMismatches: [ShapeMismatch]

    public var description: String {
        var lines = ["Error(s) in loading state_dict for \(moduleName):"]
        func quoted(_ keys: [String]) -> String { keys.map { "\"\($0)\"" }.joined(separator: ", ") }
        if !missingKeys.isEmpty { lines.append("\tMissing key(s) in state_dict: \(quoted(missingKeys)).") }
        if !unexpectedKeys.isEmpty { lines.append("\tUnexpected key(s) in state_dict: \(quoted(unexpectedKeys)).") }
        for m in shapeMismatches {
            lines.append("\tsize mismatch for \(m.key): copying a param with shape \(m.checkpointShape) from checkpoint, "
                + "the shape in current model is \(m.modelShape).")
        }
        if let hint = pruningHint { lines.append("\t" + hint) }
        return lines.joined(separator: "\n")
    }

    /// Where one side is pruned and the other not (`w_orig` and `w_mask` against `w`), what to do.
    private var pruningHint: String? {
        func pruned(_ keys: [String], _ others: [String]) -> String? {
            keys.first { $0.hasSuffix("_orig") && others.contains(String($0.dropLast(5))) }.map { String($0.dropLast(5)) }
        }
        if let key = pruned(unexpectedKeys, missingKeys) {
            return "The checkpoint's \(key) is pruned (\(key)_orig and \(key)_mask): prune the model's tensor the same way "
                + "first (Prune.identity will do), or save the checkpoint after Prune.remove."
        }
        if let key = pruned(missingKeys, unexpectedKeys) {
            return "The model's \(key) is pruned (\(key)_orig and \(key)_mask) and the checkpoint's is not: load it "
                + "before pruning, or after Prune.remove."
        }
        return nil
    }
}

/// What a non-strict `loadStateDict` skipped, like PyTorch's `_IncompatibleKeys`.
public struct LoadStateDictResult: Equatable, Sendable {
    public let missingKeys: [String]
    public let unexpectedKeys: [String]
}

extension Module {
    /// Parameters then buffers of each module, module by module (PyTorch's `state_dict()` order).
    /// Shared tensors appear under every name, as in PyTorch.
    public func namedStateEntries() -> [(String, Tensor)] {
        walkModules(prefix: "", ancestors: []).flatMap { prefix, module in
            (module.registeredParameters() + module.registeredBuffers()).map {
                (prefix.isEmpty ? $0.0 : "\(prefix).\($0.0)", $0.1)
            }
        }
    }

    /// The state-dict keys in order (`fc1.weight`, `fc1.bias`, `bn.running_mean`, ...).
    public var stateDictKeys: [String] { namedStateEntries().map(\.0) }

    /// Every parameter and buffer by dotted name, as detached tensors that share the module's storage
    /// (copy them with `clone()` to keep a snapshot that later training does not change).
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (key, t) in namedStateEntries() { out[key] = t.detach() }
        return out
    }

    /// Copies the values of `stateDict` into this module's existing tensors (in place, so optimizers
    /// holding them see the new values), converting dtypes where they differ.
    ///
    /// Strict (the default): every key must match and every shape agree, else it throws a
    /// `StateDictError` listing missing keys, unexpected keys and shape mismatches. Non-strict: keys
    /// on one side only are skipped and returned; shape mismatches still throw. Loading is all or
    /// nothing: when it throws, no tensor has been changed. The `weight_g`/`weight_v` keys of the older
    /// `torch.nn.utils.weight_norm` load into a `weightNorm` parametrization, as in PyTorch.
    @discardableResult
    public func loadStateDict(_ stateDict: [String: Tensor], strict: Bool = true) throws -> LoadStateDictResult {
        let stateDict = renamingLegacyWeightNormKeys(stateDict)
        // Lazy layers take their sizes from the state dict (and give them back if the load fails); one
        // left without its keys misses them.
        var materialized: [LazyModule] = [], pending: [String] = []
        for (prefix, module) in namedModules() {
            guard let lazy = module as? LazyModule else { continue }
            let path = prefix.isEmpty ? "" : prefix + "."
            if lazy.materialize(from: stateDict, prefix: path) { materialized.append(lazy) }
            pending += lazy.pendingKeys.map { path + $0 }
        }
        do {
            return try loadMaterialized(stateDict, strict: strict, pendingKeys: pending)
        } catch {
            for lazy in materialized { lazy.dematerialize() }
            throw error
        }
    }

    private func loadMaterialized(_ stateDict: [String: Tensor], strict: Bool, pendingKeys: [String]) throws -> LoadStateDictResult {
        let entries = namedStateEntries()
        let ownKeys = Set(entries.map(\.0))
        let missing = entries.map(\.0).filter { stateDict[$0] == nil } + pendingKeys
        let unexpected = stateDict.keys.filter { !ownKeys.contains($0) }.sorted()
        var mismatches: [StateDictError.ShapeMismatch] = []
        for (key, t) in entries {
            if let source = stateDict[key], source.shape != t.shape {
                mismatches.append(.init(key: key, checkpointShape: source.shape, modelShape: t.shape))
            }
        }
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(moduleName: typeName, missingKeys: strict ? missing : [],
                                 unexpectedKeys: strict ? unexpected : [], shapeMismatches: mismatches)
        }
        noGrad {
            for (key, t) in entries {
                if let source = stateDict[key] { t.copy_(source) }
            }
        }
        refreshAllParametrizations()   // computed tensors follow their new originals
        return LoadStateDictResult(missingKeys: missing, unexpectedKeys: unexpected)
    }
}
