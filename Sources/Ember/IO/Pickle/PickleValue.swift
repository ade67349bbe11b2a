/// A value on the unpickler's stack. Lists, dicts and sets are reference types because pickles
/// mutate them after memoizing them (EMPTY_DICT, BINPUT, SETITEMS), and the memo shares them.
/// Nothing here can run code: globals are names that an allow-list approved, and calling one
/// (REDUCE) goes through `PickleHooks`.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for `Int`: its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case set(PickleList)
    /// An allowed global, by name.
    case global(module: String, name: String)
    /// Something a hook built (a tensor, a storage reference).
    case opaque(AnyObject)

    /// A short name for error messages.
    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .set: return "set"
        case let .global(module, name): return "\(module).\(name)"
        case let .opaque(object): return String(describing: type(of: object))
        }
    }

    var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    var intValue: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The elements of a tuple or list.
    var sequence: [PickleValue]? {
        switch self {
        case let .tuple(items): return items
        case let .list(list): return list.items
        default: return nil
        }
    }
}

/// A mutable pickle list (or set).
final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable pickle dict that keeps insertion order, as Python's dict and OrderedDict do.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Positions of hashable keys, so that a repeated key replaces its value in O(1).
    private var index: [Key: Int] = [:]
    /// Whether the dict came from `collections.OrderedDict()`.
    let ordered: Bool

    init(ordered: Bool = false) { self.ordered = ordered }

    /// Longest string key, in UTF-8 bytes. Hashing a key costs its length, and a pickle can set a
    /// memoized key again for every 4 bytes, so unbounded keys make loading quadratic in the
    /// file's size. State-dict keys are module paths, far shorter.
    static let maxKeyLength = 1024

    private enum Key: Hashable {
        case string(String), int(Int), bool(Bool), none
    }

    private static func key(_ value: PickleValue) -> Key? {
        switch value {
        case let .string(s): return .string(s)
        case let .int(i): return .int(i)
        case let .bool(b): return .int(b ? 1 : 0)
        case .none: return Key.none
        default: return nil
        }
    }

    func set(_ key: PickleValue, _ value: PickleValue) throws(PickleError) {
        if case let .string(s) = key, s.utf8.count > Self.maxKeyLength {
            throw .malformed("a dict key of \(s.utf8.count) bytes (the limit is \(Self.maxKeyLength))")
        }
        if let k = Self.key(key) {
            if let at = index[k] {
                entries[at].value = value
                return
            }
            index[k] = entries.count
        }
        entries.append((key, value))
    }

    subscript(_ key: String) -> PickleValue? {
        index[.string(key)].map { entries[$0].value }
    }

    var count: Int { entries.count }

    func removeAll() {
        entries.removeAll()
        index.removeAll()
    }
}
