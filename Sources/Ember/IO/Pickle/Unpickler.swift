import Foundation

/// A safe pickle virtual machine for the opcodes of protocols 0–5 that checkpoints use.
///
/// It builds plain values (numbers, strings, tuples, lists, dicts) and delegates everything
/// callable to `PickleHooks`, which decides what a global is and what calling it means; code from
/// the file never runs. Every length is checked against the bytes that remain, and the memo, the
/// stack, the marks and the nesting of values are bounded by `PickleLimits`.
final class Unpickler {
    private var reader: PickleReader
    private unowned let hooks: PickleHooks
    private let limits: PickleLimits

    private struct Item {
        var value: PickleValue
        /// Nesting depth of immutable containers (tuples); lists and dicts count as 1 because
        /// `arena` owns them and tears them down without recursion.
        var depth: Int
    }

    private var stack: [Item] = []
    private var marks: [Int] = []
    private var memo: [Int: Item] = [:]
    /// Every mutable container made during a load. Pickles can nest lists in lists arbitrarily
    /// deep (or in cycles); releasing such a chain recursively would overflow the call stack, so
    /// `load` empties them all one by one when it is done.
    private var arena: [AnyObject] = []

    init(_ data: Data, at position: Int = 0, hooks: PickleHooks, limits: PickleLimits = .standard) {
        self.reader = PickleReader(data, position: position)
        self.hooks = hooks
        self.limits = limits
    }

    /// Where the next pickle starts, after `load` (legacy checkpoints hold several in a row).
    var position: Int { reader.position }

    /// Reads one pickle up to STOP and hands its value to `body`. The value is valid only inside
    /// `body`; containers are emptied afterwards.
    func load<T>(_ body: (PickleValue) throws -> T) throws -> T {
        defer { teardown() }
        let value = try run()
        return try body(value)
    }

    private func teardown() {
        stack.removeAll()
        memo.removeAll()
        for object in arena {
            if let list = object as? PickleList { list.items.removeAll() }
            if let dict = object as? PickleDict { dict.removeAll() }
        }
        arena.removeAll()
    }

    // MARK: - The machine

    private func run() throws -> PickleValue {
        stack.removeAll()
        marks.removeAll()
        memo.removeAll()
        while true {
            let start = reader.position
            do {
                let code = try reader.byte()
                guard let op = PickleOpcode(rawValue: code) else {
                    throw PickleError.unsupported("unknown pickle opcode 0x\(String(code, radix: 16))")
                }
                if op == .stop {
                    guard stack.count == 1, marks.isEmpty else {
                        throw PickleError.malformed("STOP with \(stack.count) values on the stack (expected 1)")
                    }
                    return stack[0].value
                }
                try execute(op)
            } catch var error as PickleError {
                if error.offset == nil { error.offset = start }
                throw error
            }
        }
    }

    private func push(_ value: PickleValue, depth: Int = 1) throws {
        guard stack.count < limits.maxStack else { throw PickleError.malformed("more than \(limits.maxStack) values on the pickle stack") }
        guard depth <= limits.maxDepth else { throw PickleError.malformed("values nested more than \(limits.maxDepth) deep") }
        stack.append(Item(value: value, depth: depth))
    }

    /// Pushes a value that a hook returned, taking ownership of any new container in it.
    private func pushFromHook(_ value: PickleValue) throws {
        adopt(value)
        try push(value, depth: 1)
    }

    private func adopt(_ value: PickleValue) {
        switch value {
        case let .list(list), let .set(list): arena.append(list)
        case let .dict(dict): arena.append(dict)
        default: break
        }
    }

    private func pop() throws -> Item {
        guard let item = stack.popLast() else { throw PickleError.malformed("pop from an empty pickle stack") }
        if let mark = marks.last, stack.count < mark { throw PickleError.malformed("pop below a MARK") }
        return item
    }

    private func top() throws -> Item {
        guard let item = stack.last else { throw PickleError.malformed("the pickle stack is empty") }
        if let mark = marks.last, stack.count <= mark { throw PickleError.malformed("read below a MARK") }
        return item
    }

    /// The items pushed since the last MARK, which is removed.
    private func popMark() throws -> [Item] {
        guard let mark = marks.popLast() else { throw PickleError.malformed("no MARK on the pickle stack") }
        guard mark <= stack.count else { throw PickleError.malformed("a MARK above the top of the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func pushTuple(_ items: [Item]) throws {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        try push(.tuple(items.map(\.value)), depth: depth)
    }

    private func memoize(_ index: Int) throws {
        guard index >= 0 else { throw PickleError.malformed("negative memo index \(index)") }
        if memo[index] == nil, memo.count >= limits.maxMemo {
            throw PickleError.malformed("more than \(limits.maxMemo) memo entries")
        }
        memo[index] = try top()
    }

    private func recall(_ index: Int) throws {
        guard let item = memo[index] else { throw PickleError.malformed("memo entry \(index) is not defined") }
        try push(item.value, depth: item.depth)
    }

    private func newList(_ items: [PickleValue] = []) -> PickleList {
        let list = PickleList(items)
        arena.append(list)
        return list
    }

    private func newDict() -> PickleDict {
        let dict = PickleDict()
        arena.append(dict)
        return dict
    }

    private func setItems(_ pairs: [Item], into target: Item) throws {
        guard pairs.count % 2 == 0 else { throw PickleError.malformed("SETITEMS with an odd number of values") }
        guard case let .dict(dict) = target.value else {
            throw PickleError.unsupported("SETITEM on a \(target.value.typeName), not a dict")
        }
        var i = 0
        while i < pairs.count {
            try dict.set(pairs[i].value, pairs[i + 1].value)
            i += 2
        }
    }

    private func appendItems(_ items: [Item], into target: Item) throws {
        switch target.value {
        case let .list(list), let .set(list): list.items.append(contentsOf: items.map(\.value))
        default: throw PickleError.unsupported("APPEND on a \(target.value.typeName), not a list")
        }
    }

    private func textInt(_ line: [UInt8]) throws -> Int {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("L") { text.removeLast() }
        guard let value = Int(text) else { throw PickleError.unsupported("integer '\(text.prefix(40))' out of range") }
        return value
    }

    private func execute(_ op: PickleOpcode) throws {
        switch op {
        case .proto:
            let version = try reader.byte()
            guard version <= 5 else { throw PickleError.unsupported("pickle protocol \(version)") }
        case .frame:
            _ = try reader.length(8)  // framing is only a buffering hint; the length must fit
        case .stop:
            break  // handled by run()

        // Marks and stack manipulation
        case .mark:
            guard marks.count < limits.maxMarks else { throw PickleError.malformed("more than \(limits.maxMarks) open MARKs") }
            marks.append(stack.count)
        case .pop:
            if let mark = marks.last, mark == stack.count { marks.removeLast() } else { _ = try pop() }
        case .popMark:
            _ = try popMark()
        case .dup:
            let item = try top()
            try push(item.value, depth: item.depth)

        // Constants and numbers
        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt:
            try push(.int(Int(Int32(bitPattern: UInt32(try reader.uintLE(4))))))
        case .binInt1:
            try push(.int(Int(try reader.byte())))
        case .binInt2:
            try push(.int(Int(try reader.uintLE(2))))
        case .long1:
            let n = Int(try reader.byte())
            try push(Self.decodeLong(try reader.bytes(n)))
        case .long4:
            let n = Int(Int32(bitPattern: UInt32(try reader.uintLE(4))))
            guard n >= 0 else { throw PickleError.malformed("LONG4 with negative length \(n)") }
            try push(Self.decodeLong(try reader.bytes(n)))
        case .int:
            let line = try reader.line()
            if line == Array("00".utf8) { try push(.bool(false)) }
            else if line == Array("01".utf8) { try push(.bool(true)) }
            else { try push(.int(try textInt(line))) }
        case .long:
            try push(.int(try textInt(try reader.line())))
        case .binFloat:
            let bits = try reader.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }  // big-endian
            try push(.float(Double(bitPattern: bits)))
        case .float:
            let text = String(decoding: try reader.line(), as: UTF8.self)
            guard let value = Double(text) else { throw PickleError.malformed("bad FLOAT '\(text.prefix(40))'") }
            try push(.float(value))

        // Strings and bytes
        case .binUnicode:
            try push(.string(try reader.utf8(try reader.length(4))))
        case .shortBinUnicode:
            try push(.string(try reader.utf8(try reader.length(1))))
        case .binUnicode8:
            try push(.string(try reader.utf8(try reader.length(8))))
        case .binString, .shortBinString:
            // Python 2 `str`: bytes, which Python 3 reads as latin-1 text by default.
            let raw = try reader.bytes(try reader.length(op == .binString ? 4 : 1))
            try push(.string(String(raw.map { Character(Unicode.Scalar($0)) })))
        case .binBytes:
            try push(.bytes(try reader.bytes(try reader.length(4))))
        case .shortBinBytes:
            try push(.bytes(try reader.bytes(try reader.length(1))))
        case .binBytes8, .byteArray8:
            try push(.bytes(try reader.bytes(try reader.length(8))))
        case .string, .unicode:
            throw PickleError.unsupported("text string opcode '\(Character(Unicode.Scalar(op.rawValue)))' (protocol 0)")

        // Containers
        case .emptyTuple: try push(.tuple([]))
        case .tuple1: try pushTuple([try pop()])
        case .tuple2:
            let b = try pop(), a = try pop()
            try pushTuple([a, b])
        case .tuple3:
            let c = try pop(), b = try pop(), a = try pop()
            try pushTuple([a, b, c])
        case .tuple: try pushTuple(try popMark())
        case .emptyList: try push(.list(newList()))
        case .list: try push(.list(newList(try popMark().map(\.value))))
        case .append:
            let item = try pop()
            try appendItems([item], into: try top())
        case .appends:
            let items = try popMark()
            try appendItems(items, into: try top())
        case .emptyDict: try push(.dict(newDict()))
        case .dict:
            let items = try popMark()
            let dict = newDict()
            try push(.dict(dict))
            try setItems(items, into: try top())
        case .setItem:
            let value = try pop(), key = try pop()
            try setItems([key, value], into: try top())
        case .setItems:
            let items = try popMark()
            try setItems(items, into: try top())
        case .emptySet:
            try push(.set(newList()))
        case .addItems:
            let items = try popMark()
            guard case .set = try top().value else { throw PickleError.unsupported("ADDITEMS on a \(try top().value.typeName)") }
            try appendItems(items, into: try top())
        case .frozenSet:
            try push(.set(newList(try popMark().map(\.value))))

        // Memo
        case .binPut: try memoize(Int(try reader.byte()))
        case .longBinPut: try memoize(Int(try reader.uintLE(4)))
        case .put: try memoize(try textInt(try reader.line()))
        case .memoize: try memoize(memo.count)
        case .binGet: try recall(Int(try reader.byte()))
        case .longBinGet: try recall(Int(try reader.uintLE(4)))
        case .get: try recall(try textInt(try reader.line()))

        // Globals, calls and persistent ids: all through the hooks
        case .global:
            let module = String(decoding: try reader.line(), as: UTF8.self)
            let name = String(decoding: try reader.line(), as: UTF8.self)
            try pushFromHook(try hooks.global(module: module, name: name))
        case .stackGlobal:
            let name = try pop().value, module = try pop().value
            guard let n = name.stringValue, let m = module.stringValue else {
                throw PickleError.malformed("STACK_GLOBAL needs two strings, got \(module.typeName) and \(name.typeName)")
            }
            try pushFromHook(try hooks.global(module: m, name: n))
        case .reduce, .newObj:
            let args = try pop().value, callable = try pop().value
            guard let list = args.sequence, case .tuple = args else {
                throw PickleError.malformed("\(op == .reduce ? "REDUCE" : "NEWOBJ") arguments are a \(args.typeName), not a tuple")
            }
            try pushFromHook(try hooks.reduce(callable, list))
        case .build:
            let state = try pop().value
            let object = try pop().value
            try pushFromHook(try hooks.build(object, state: state))
        case .binPersid:
            let pid = try pop().value
            try pushFromHook(try hooks.persistentLoad(pid))
        case .persid:
            let pid = String(decoding: try reader.line(), as: UTF8.self)
            try pushFromHook(try hooks.persistentLoad(.string(pid)))
        case .inst, .obj, .newObjEx, .ext1, .ext2, .ext4, .nextBuffer, .readonlyBuffer:
            throw PickleError.unsupported("pickle opcode 0x\(String(op.rawValue, radix: 16)) (\(op))")
        }
    }

    /// LONG1 / LONG4 payload: little-endian two's complement.
    static func decodeLong(_ bytes: [UInt8]) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        if bytes.count <= 8 {
            var value: UInt64 = 0
            for (i, b) in bytes.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
            let shift = UInt64(64 - 8 * bytes.count)
            // Sign-extend from the top byte.
            return .int(Int(Int64(bitPattern: value << shift) >> Int64(shift)))
        }
        return .bigInt(bytes)
    }
}
