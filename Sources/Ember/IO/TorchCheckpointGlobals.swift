import Foundation

/// A storage that the state-dict pickle refers to by persistent id; its bytes come later
/// (a `data/<key>` zip entry, or the raw storages after the pickles in the legacy format).
final class TorchStorageRef {
    let key: String
    let type: TorchStorageType
    /// Elements, as the pickle states.
    let count: Int

    init(key: String, type: TorchStorageType, count: Int) {
        self.key = key
        self.type = type
        self.count = count
    }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage.
final class TorchTensorRef {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    init(storage: TorchStorageRef, offset: Int, shape: [Int], strides: [Int]) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = strides
    }
}

/// The allow-list that makes loading safe, like `torch.load(weights_only=True)`: the globals a
/// state dict of tensors needs and nothing else. Calling one builds a description (a
/// `TorchTensorRef`), never runs code; any other global stops the load with its name.
final class TorchStateDictHooks: PickleHooks {
    /// Whether persistent ids have the legacy (pre-1.6) form with a sixth element, view metadata.
    let legacy: Bool
    /// Storages by key: tensors that share a storage share the reference.
    private(set) var storages: [String: TorchStorageRef] = [:]
    /// Storage keys in the order the pickle first mentions them.
    private(set) var storageOrder: [String] = []

    /// Most dims a tensor may have (PyTorch allows 64).
    static let maxRank = 64
    /// Most items all `OrderedDict(items)` calls of a load may add: a pickle can call it again
    /// with the same memoized list for every few bytes, which would make loading quadratic.
    /// torch.save calls `OrderedDict()` empty and fills it with SETITEMS.
    static let maxOrderedDictItems = 1 << 22
    private var orderedDictItems = 0

    init(legacy: Bool) { self.legacy = legacy }

    static let allowedGlobals: Set<String> = {
        var names: Set<String> = [
            "collections.OrderedDict",
            "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_parameter",
            "torch._utils._rebuild_parameter_with_state",
        ]
        for type in TorchStorageType.allCases { names.insert("torch.\(type.rawValue)") }
        return names
    }()

    func global(module: String, name: String) throws -> PickleValue {
        let full = "\(module).\(name)"
        guard Self.allowedGlobals.contains(full) else {
            throw PickleError(.disallowedGlobal(String(full.prefix(200))), "disallowed global '\(full.prefix(200))'")
        }
        return .global(module: module, name: name)
    }

    func reduce(_ callable: PickleValue, _ args: [PickleValue]) throws -> PickleValue {
        guard case let .global(module, name) = callable else {
            throw PickleError.malformed("REDUCE calls a \(callable.typeName), not a global")
        }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            let dict = PickleDict(ordered: true)
            if let items = args.first {
                guard args.count == 1, let pairs = items.sequence else {
                    throw PickleError.unsupported("OrderedDict called with \(args.count) arguments")
                }
                orderedDictItems += pairs.count
                guard orderedDictItems <= Self.maxOrderedDictItems else {
                    throw PickleError.malformed("OrderedDict calls with more than \(Self.maxOrderedDictItems) items in all")
                }
                for pair in pairs {
                    guard let kv = pair.sequence, kv.count == 2 else { throw PickleError.malformed("OrderedDict item is not a pair") }
                    try dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            guard args.count >= 4 else { throw PickleError.malformed("_rebuild_tensor with \(args.count) arguments") }
            return .opaque(try rebuildTensor(args[0], args[1], args[2], args[3]))
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
            guard let data = args.first, case let .opaque(object) = data, object is TorchTensorRef else {
                throw PickleError.malformed("_rebuild_parameter without a tensor")
            }
            return data
        default:
            throw PickleError.unsupported("cannot call \(module).\(name)")
        }
    }

    func build(_ object: PickleValue, state: PickleValue) throws -> PickleValue {
        switch object {
        case .dict:
            // An OrderedDict's `__dict__` (the state dict's `_metadata`): not part of the tensors.
            return object
        case let .opaque(ref) where ref is TorchTensorRef:
            return object  // tensor attributes (`__dict__`), ignored as PyTorch's weights-only load keeps them
        default:
            throw PickleError.unsupported("BUILD on a \(object.typeName)")
        }
    }

    func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard let fields = pid.sequence, fields.count == (legacy ? 6 : 5),
              fields[0].stringValue == "storage" else {
            throw PickleError.malformed("persistent id is not a ('storage', type, key, location, count) tuple")
        }
        guard case let .global(module, name) = fields[1], module == "torch",
              let type = TorchStorageType(rawValue: name) else {
            throw PickleError.unsupported("storage type \(fields[1].typeName)")
        }
        let key: String
        switch fields[2] {
        case let .string(s): key = s
        case let .int(i): key = String(i)
        default: throw PickleError.malformed("storage key is a \(fields[2].typeName)")
        }
        // Looked up (hashed) once per persistent id, which a pickle can repeat every 3 bytes.
        guard key.utf8.count <= PickleDict.maxKeyLength else {
            throw PickleError.malformed("a storage key of \(key.utf8.count) bytes (the limit is \(PickleDict.maxKeyLength))")
        }
        guard let count = fields[4].intValue, count >= 0, count <= Int.max / 8 else {
            throw PickleError.malformed("storage '\(key.prefix(100))' has an invalid element count")
        }
        if legacy, case .none = fields[5] {} else if legacy {
            throw PickleError.unsupported("storage views (legacy view metadata) are not supported")
        }
        if let known = storages[key] {
            guard known.type == type, known.count == count else {
                throw PickleError.malformed("storage '\(key.prefix(100))' is described twice, differently")
            }
            return .opaque(known)
        }
        let ref = TorchStorageRef(key: key, type: type, count: count)
        storages[key] = ref
        storageOrder.append(key)
        return .opaque(ref)
    }

    private func ints(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard let items = value.sequence else { throw PickleError.malformed("tensor \(what) is a \(value.typeName), not a tuple") }
        guard items.count <= Self.maxRank else { throw PickleError.malformed("tensor \(what) has \(items.count) dims") }
        return try items.map {
            guard let i = $0.intValue else { throw PickleError.malformed("tensor \(what) holds a \($0.typeName)") }
            return i
        }
    }

    /// Checks a view against its storage: non-negative sizes, strides and offset, and every
    /// element inside the storage, with overflow-checked arithmetic.
    private func rebuildTensor(_ storage: PickleValue, _ offset: PickleValue, _ size: PickleValue,
                               _ stride: PickleValue) throws -> TorchTensorRef {
        guard case let .opaque(object) = storage, let ref = object as? TorchStorageRef else {
            throw PickleError.malformed("tensor storage is a \(storage.typeName)")
        }
        guard let offset = offset.intValue, offset >= 0 else { throw PickleError.malformed("tensor storage offset is invalid") }
        let shape = try ints(size, "size"), strides = try ints(stride, "stride")
        guard shape.count == strides.count else {
            throw PickleError.malformed("tensor size \(shape) and stride \(strides) differ in length")
        }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw PickleError.malformed("tensor size \(shape) or stride \(strides) is negative")
        }
        var elements = 1
        for d in shape {
            let (p, o) = elements.multipliedReportingOverflow(by: d)
            guard !o else { throw PickleError.malformed("tensor size \(shape) overflows") }
            elements = p
        }
        if elements == 0 {
            guard offset <= ref.count else { throw PickleError.malformed("tensor offset \(offset) is past its storage of \(ref.count)") }
        } else {
            var last = offset
            for (d, s) in zip(shape, strides) {
                let (step, o1) = (d - 1).multipliedReportingOverflow(by: s)
                let (sum, o2) = last.addingReportingOverflow(step)
                guard !o1, !o2 else { throw PickleError.malformed("tensor view \(shape) / \(strides) overflows") }
                last = sum
            }
            guard last < ref.count else {
                throw PickleError.malformed("tensor of size \(shape), stride \(strides), offset \(offset) reaches element \(last) of a storage of \(ref.count)")
            }
            // Zero or overlapping strides can describe far more elements than are stored.
            guard elements <= max(ref.count, 1 << 24) else {
                throw PickleError.malformed("tensor of size \(shape) expands a storage of \(ref.count) elements too far")
            }
        }
        return TorchTensorRef(storage: ref, offset: offset, shape: shape, strides: strides)
    }
}
