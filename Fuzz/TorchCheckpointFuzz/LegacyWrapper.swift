/// Wraps a state-dict pickle as a legacy (PyTorch < 1.6) checkpoint, which `TorchCheckpoint.read`
/// parses from memory: no temporary file, so the `pickle` target runs at the unpickler's speed.
///
/// A legacy checkpoint is five pickles in a row (magic number, protocol version 1001, system
/// info, the state dict, the list of storage keys) and then each storage as an 8-byte element
/// count and its raw bytes. The zip format's `data.pkl` differs only in its persistent ids,
/// `('storage', type, key, location, count)`, which the legacy format extends with a sixth
/// element (view metadata, `None`); `LegacyWrapper(zipRecords:)` inserts that `None` and keeps the
/// storages, so a pickle that survives mutation still loads real tensors.
struct LegacyWrapper {
    /// The state-dict pickle, with legacy persistent ids.
    let pickle: [UInt8]
    /// The storage-key pickle and the raw storages: everything after the state dict.
    let suffix: [UInt8]

    /// The three pickles before the state dict.
    static let prefix: [UInt8] =
        [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]  // LONG1 magic
        + [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]  // BININT2 1001
        + [0x80, 0x02, 0x7D, 0x2E]  // {} (system info)

    /// A checkpoint around `pickle` (mutated or not).
    func checkpoint(around pickle: [UInt8]) -> [UInt8] { Self.prefix + pickle + suffix }

    /// A bare pickle with no storages (the built-in edge cases).
    init(pickle: [UInt8]) {
        self.pickle = pickle
        suffix = Self.keyList([])
    }

    /// Converts a zip checkpoint's records; nil when its persistent ids are not the usual
    /// `(MARK 'storage' type key location count TUPLE [PUT] BINPERSID)` sequence.
    init?(zipRecords records: [(name: String, bytes: [UInt8])]) {
        guard let pkl = records.first(where: { $0.name.hasSuffix("/data.pkl") }) else { return nil }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        var storages: [String: [UInt8]] = [:]
        for record in records where record.name.hasPrefix(prefix + "data/") {
            storages[String(record.name.dropFirst(prefix.count + 5))] = record.bytes
        }
        guard let (converted, ids) = Self.legacyPersistentIDs(pkl.bytes) else { return nil }
        var suffix = Self.keyList(ids.map(\.key))
        for (key, count) in ids {
            guard let bytes = storages[key] else { return nil }
            for i in 0..<8 { suffix.append(UInt8(truncatingIfNeeded: UInt64(count) >> (8 * UInt64(i)))) }
            suffix += bytes
        }
        self.pickle = converted
        self.suffix = suffix
    }

    /// `[key, ...]` as a protocol-2 pickle.
    static func keyList(_ keys: [String]) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02, 0x5D, 0x28]  // PROTO 2, EMPTY_LIST, MARK
        for key in keys {
            let utf8 = Array(key.utf8)
            out += [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init) + utf8  // BINUNICODE
        }
        return out + [0x65, 0x2E]  // APPENDS, STOP
    }

    /// The pickle with `None` added to each persistent id, and each storage's key and element
    /// count in order of first mention. A small scanner for what `torch.save` writes, not a
    /// general disassembler: anything unexpected gives nil.
    static func legacyPersistentIDs(_ pickle: [UInt8]) -> ([UInt8], [(key: String, count: Int)])? {
        var out: [UInt8] = [], ids: [(key: String, count: Int)] = []
        var i = 0
        while let mark = pickle[i...].firstIndex(of: 0x28) {  // MARK
            var p = mark + 1
            var items: [Item] = []
            while items.count < 5, let (item, next) = Self.item(pickle, at: p) {
                items.append(item)
                p = next
            }
            guard items.count == 5, p < pickle.count, pickle[p] == 0x74, items[0].couldBeStorage else {
                out += pickle[i...mark]
                i = mark + 1
                continue
            }
            // MARK 'storage' type key location count | None | TUPLE
            out += pickle[i..<p] + [0x4E]
            if case let .string(key) = items[2], case let .int(count) = items[4], !ids.contains(where: { $0.key == key }) {
                ids.append((key, count))
            }
            i = p
        }
        out += pickle[i...]
        return ids.isEmpty ? nil : (out, ids)
    }

    private enum Item {
        case string(String), int(Int), other
        /// A memo BINGET: torch.save memoizes 'storage' and recalls it in every later id.
        case memo

        var couldBeStorage: Bool {
            switch self {
            case .string("storage"), .memo: return true
            default: return false
            }
        }
    }

    /// One value of a persistent id and any memo PUT after it.
    private static func item(_ b: [UInt8], at p: Int) -> (Item, Int)? {
        func le(_ at: Int, _ width: Int) -> Int? {
            guard at + width <= b.count else { return nil }
            return (0..<width).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) }
        }
        guard p < b.count else { return nil }
        var item = Item.other, next: Int
        switch b[p] {
        case 0x58:  // BINUNICODE
            guard let n = le(p + 1, 4), p + 5 + n <= b.count else { return nil }
            item = .string(String(decoding: b[(p + 5)..<(p + 5 + n)], as: UTF8.self))
            next = p + 5 + n
        case 0x8C:  // SHORT_BINUNICODE
            guard let n = le(p + 1, 1), p + 2 + n <= b.count else { return nil }
            item = .string(String(decoding: b[(p + 2)..<(p + 2 + n)], as: UTF8.self))
            next = p + 2 + n
        case 0x4B: guard let v = le(p + 1, 1) else { return nil }; item = .int(v); next = p + 2  // BININT1
        case 0x4D: guard let v = le(p + 1, 2) else { return nil }; item = .int(v); next = p + 3  // BININT2
        case 0x4A: guard let v = le(p + 1, 4) else { return nil }; item = .int(v); next = p + 5  // BININT
        case 0x68: item = .memo; next = p + 2  // BINGET: a memoized 'storage', type, key or location
        case 0x6A: item = .memo; next = p + 5  // LONG_BINGET
        case 0x63:  // GLOBAL module\nname\n
            guard let a = b[(p + 1)...].firstIndex(of: 0x0A), let z = b[(a + 1)...].firstIndex(of: 0x0A) else { return nil }
            next = z + 1
        default: return nil
        }
        if next < b.count, b[next] == 0x71 { next += 2 }  // BINPUT
        else if next < b.count, b[next] == 0x72 { next += 5 }  // LONG_BINPUT
        else if next < b.count, b[next] == 0x94 { next += 1 }  // MEMOIZE
        return next <= b.count ? (item, next) : nil
    }
}
