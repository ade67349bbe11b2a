import Foundation
import Testing
@testable import Ember

/// Unpickles `bytes` as a state-dict pickle and returns the keys, or throws.
private func unpickleStateDict(_ bytes: [UInt8], legacy: Bool = false) throws -> [String] {
    let hooks = TorchStateDictHooks(legacy: legacy)
    return try TorchCheckpoint.reporting(file: "test.pkl") {
        try Unpickler(Data(bytes), hooks: hooks).load { try TorchCheckpoint.stateDict($0, file: "test.pkl").map(\.key) }
    }
}

/// Unpickles `bytes` and hands the value to `body` (valid only inside it).
private func unpickle<T>(_ bytes: [UInt8], _ body: (PickleValue) throws -> T) throws -> T {
    try Unpickler(Data(bytes), hooks: TorchStateDictHooks(legacy: false)).load(body)
}

/// A state dict with one tensor over a storage of `count` elements, viewed with `shape` / `strides`.
private func tensorPickle(count: Int, offset: Int = 0, shape: [Int], strides: [Int], storage: String = "FloatStorage") -> [UInt8] {
    var w = PickleWriter()
    w.proto(2)
    w.global("collections", "OrderedDict")
    w.op(.emptyTuple)
    w.op(.reduce)
    w.string("w")
    w.global("torch._utils", "_rebuild_tensor_v2")
    w.op(.mark)
    w.op(.mark)
    w.string("storage")
    w.global("torch", storage)
    w.string("0")
    w.string("cpu")
    w.int(count)
    w.op(.tuple)
    w.op(.binPersid)
    w.int(offset)
    w.intTuple(shape)
    w.intTuple(strides)
    w.bool(false)
    w.global("collections", "OrderedDict")
    w.op(.emptyTuple)
    w.op(.reduce)
    w.op(.tuple)
    w.op(.reduce)
    w.op(.setItem)
    w.op(.stop)
    return w.bytes
}

@Suite("Safe unpickler")
struct TorchCheckpointPickleTests {
    @Test("LONG1 decodes little-endian two's complement; wider values stay as bytes")
    func longs() {
        func int(_ bytes: [UInt8]) -> Int? { if case let .int(i) = Unpickler.decodeLong(bytes) { return i } else { return nil } }
        #expect(int([]) == 0)
        #expect(int([0xFF]) == -1)
        #expect(int([0x00, 0x01]) == 256)
        #expect(int([0x00, 0x80]) == -32768)
        #expect(int([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) == Int.max)
        if case .bigInt = Unpickler.decodeLong(TorchLegacyCheckpointReader.magic) {} else { Issue.record("magic is not a bigInt") }
    }

    @Test("the writer's integers, strings and tuples read back")
    func writerRoundTrip() throws {
        let ints = [0, 1, 255, 256, 65535, 65536, -1, Int(Int32.min), Int(Int32.max), 1 << 40, -(1 << 40), Int.max]
        var w = PickleWriter()
        w.proto(2)
        w.op(.mark)
        ints.forEach { w.int($0) }
        w.string("héllo ✓")
        w.intTuple([])
        w.intTuple([1, 2, 3, 4, 5])
        w.op(.tuple)
        w.op(.stop)
        let values = try unpickle(w.bytes) { $0.sequence ?? [] }
        #expect(values.prefix(ints.count).map(\.intValue) == ints.map { Optional($0) })
        #expect(values[ints.count].stringValue == "héllo ✓")
        #expect(values[ints.count + 1].sequence?.count == 0)
        #expect(values[ints.count + 2].sequence?.compactMap(\.intValue) == [1, 2, 3, 4, 5])
    }

    @Test("a tensor view must lie inside its storage", arguments: [
        (4, 0, [5], [1]),         // too many elements
        (4, 2, [3], [1]),         // offset pushes past the end
        (12, 0, [3, 4], [5, 1]),  // strides reach element 14
        (4, 0, [2], [-1]),        // negative stride
        (4, -1, [2], [1]),        // negative offset
        (4, 0, [Int.max, 2], [Int.max, 1]),  // overflow
        (1, 0, [1 << 20, 1 << 20], [0, 0]),  // a huge broadcast of one element
    ])
    func viewBounds(count: Int, offset: Int, shape: [Int], strides: [Int]) throws {
        let error = try #require(throws: TorchCheckpointError.self) {
            try unpickleStateDict(tensorPickle(count: count, offset: offset, shape: shape, strides: strides))
        }
        #expect(error.kind == .malformed)
    }

    @Test("views that fit are accepted, including broadcasts and empty tensors")
    func viewsThatFit() throws {
        #expect(try unpickleStateDict(tensorPickle(count: 12, shape: [4, 3], strides: [1, 4])) == ["w"])
        #expect(try unpickleStateDict(tensorPickle(count: 1, shape: [3, 5], strides: [0, 0])) == ["w"])
        #expect(try unpickleStateDict(tensorPickle(count: 0, shape: [0, 7], strides: [7, 1])) == ["w"])
    }

    @Test("unknown storage types and globals are refused by name")
    func refusedGlobals() throws {
        let storage = try #require(throws: TorchCheckpointError.self) {
            try unpickleStateDict(tensorPickle(count: 1, shape: [1], strides: [1], storage: "ComplexFloatStorage"))
        }
        #expect(storage.kind == .disallowedGlobal("torch.ComplexFloatStorage"))
        // cposix\nsystem\n inside a list: refused at GLOBAL, before anything could call it.
        let pickle: [UInt8] = [0x80, 0x02, 0x5D, 0x28] + Array("cposix\nsystem\n".utf8) + [0x65, 0x2E]
        let error = try #require(throws: TorchCheckpointError.self) { try unpickleStateDict(pickle) }
        #expect(error.kind == .disallowedGlobal("posix.system"))
        #expect(error.description == "disallowed global 'posix.system' in test.pkl; only state dicts of tensors can be loaded")
    }

    @Test("hostile shapes of pickle throw instead of crashing or allocating", arguments: [
        ("deep tuples", [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 5000) + [0x2E]),
        ("too many MARKs", [0x80, 0x02] + [UInt8](repeating: 0x28, count: 20_000) + [0x2E]),
        ("a 2 GiB string", [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41, 0x2E]),
        ("an 8-byte length", [0x80, 0x04, 0x8D] + [UInt8](repeating: 0xFF, count: 8) + [0x2E]),
        ("a LONG4 past the end", [0x80, 0x02, 0x8B, 0xFF, 0xFF, 0xFF, 0x0F, 0x2E]),
        ("an undefined memo entry", [0x80, 0x02, 0x68, 0x07, 0x2E]),
        ("a long memo index", [0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E]),
        ("an unknown opcode", [0x80, 0x02, 0xFE, 0x2E]),
        ("protocol 6", [0x80, 0x06, 0x7D, 0x2E]),
        ("pop from empty", [0x80, 0x02, 0x30, 0x2E]),
        ("STOP with two values", [0x80, 0x02, 0x4E, 0x4E, 0x2E]),
        ("no STOP", [0x80, 0x02, 0x7D]),
        ("SETITEM on a list", [0x80, 0x02, 0x5D, 0x4E, 0x4E, 0x73, 0x2E]),
        ("REDUCE of a non-global", [0x80, 0x02, 0x4E, 0x29, 0x52, 0x2E]),
        ("invalid UTF-8", [0x80, 0x02, 0x8C, 0x02, 0xC3, 0x28, 0x2E]),
        ("a tensor without storage", [0x80, 0x02] + Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28, 0x4E, 0x4B, 0x00, 0x29, 0x29, 0x89, 0x4E, 0x74, 0x52, 0x2E]),
        ("a persistent id that is not a storage", [0x80, 0x02, 0x4E, 0x51, 0x2E]),
        ("INST", [0x80, 0x02, 0x28] + Array("ios\nsystem\n".utf8) + [0x2E]),
    ] as [(String, [UInt8])])
    func hostileShapes(name: String, bytes: [UInt8]) {
        #expect(throws: TorchCheckpointError.self, "\(name)") { try unpickleStateDict(bytes) }
    }

    @Test("a list that contains itself, and a long chain of lists, are torn down without recursion")
    func cyclesAndChains() throws {
        // l = []; l.append(l)
        let cycle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        let count = try unpickle(cycle) { $0.sequence?.count }
        #expect(count == 1)
        // 200 000 lists, each appended into the previous one while still empty: the nesting depth
        // that a tuple-depth check cannot see. Releasing it recursively would overflow the stack.
        var chain: [UInt8] = [0x80, 0x02, 0x5D]
        for _ in 0..<200_000 { chain += [0x5D, 0x32, 0x71, 0x00, 0x30, 0x61, 0x68, 0x00] }
        chain.append(0x2E)
        #expect(throws: TorchCheckpointError.self) { try unpickleStateDict(chain) }
    }

    @Test("every prefix of a real checkpoint throws cleanly", arguments: ["legacy", "dtypes"])
    func truncated(name: String) throws {
        let data = try Data(contentsOf: torchFixtures.appendingPathComponent("\(name).pth"))
        var thrown = 0
        for length in stride(from: 0, to: data.count, by: name == "legacy" ? 1 : 97) {
            do {
                _ = try TorchCheckpoint.read(data.prefix(length), name: name)
                Issue.record("\(name) cut to \(length) bytes loaded")
            } catch is TorchCheckpointError {
                thrown += 1
            }
        }
        #expect(thrown > 0)
    }

    @Test("half and bfloat16 conversion handles subnormals, infinities and NaN")
    func halfConversion() {
        #expect(Float(float16Bits: 0x3C00) == 1)
        #expect(Float(float16Bits: 0xC000) == -2)
        #expect(Float(float16Bits: 0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(Float(float16Bits: 0x8000).sign == .minus)
        #expect(Float(float16Bits: 0x7C00) == .infinity)
        #expect(Float(float16Bits: 0x7E00).isNaN)
        #expect(Float(float16Bits: 0x7BFF) == 65504)
    }

    // Found by reading the unpickler during the 1M-input fuzz run: each of these pickles repeats
    // an O(size) operation for every few bytes, so loading was quadratic (a 70 KB pickle took 47 s).

    /// BINUNICODE of `count` bytes.
    private static func string(_ count: Int, _ byte: UInt8 = 0x61) -> [UInt8] {
        [0x58] + withUnsafeBytes(of: UInt32(count).littleEndian, Array.init) + [UInt8](repeating: byte, count: count)
    }

    @Test("dict keys are bounded, so setting a memoized long key many times cannot hash the file over and over")
    func longDictKey() throws {
        var bytes: [UInt8] = [0x80, 0x02] + Self.string(PickleDict.maxKeyLength + 1) + [0x71, 1, 0x30, 0x7D, 0x28]  // PUT 1, POP, {}, MARK
        for _ in 0..<20_000 { bytes += [0x68, 1, 0x68, 1] }  // GET 1, GET 1
        bytes += [0x75, 0x2E]  // SETITEMS, STOP
        let error = try #require(throws: TorchCheckpointError.self) { try unpickleStateDict(bytes) }
        #expect(error.kind == .malformed)
        // A key at the limit is fine.
        let ok: [UInt8] = [0x80, 0x02, 0x7D] + Self.string(PickleDict.maxKeyLength) + [0x4E, 0x73, 0x2E]  // {}, key, None, SETITEM
        #expect(try unpickle(ok) { value -> Int in guard case let .dict(d) = value else { return -1 }; return d.count } == 1)
    }

    @Test("storage keys are bounded: a persistent id with a long key can be repeated every 3 bytes")
    func longStorageKey() throws {
        var bytes: [UInt8] = [0x80, 0x02, 0x28] + Self.string(7, 0) + Array("ctorch\nFloatStorage\n".utf8)
        bytes.replaceSubrange(8..<15, with: Array("storage".utf8))
        bytes += Self.string(PickleDict.maxKeyLength + 1) + Self.string(3, 0x63) + [0x4B, 1, 0x74, 0x71, 1]  // key, 'ccc', 1, TUPLE, PUT 1
        for _ in 0..<20_000 { bytes += [0x68, 1, 0x51, 0x30] }  // GET 1, BINPERSID, POP
        bytes += [0x7D, 0x2E]
        let error = try #require(throws: TorchCheckpointError.self) { try unpickleStateDict(bytes) }
        #expect(error.kind == .malformed)
        #expect(error.description.contains("storage key of \(PickleDict.maxKeyLength + 1) bytes"))
    }

    @Test("OrderedDict(items) calls share one item budget, so calling it again and again on one list stops")
    func orderedDictBudget() throws {
        let items = TorchStateDictHooks.maxOrderedDictItems / 4 + 1
        var bytes: [UInt8] = [0x80, 0x02, 0x4B, 1, 0x4B, 2, 0x86, 0x71, 1, 0x28]  // (1, 2), PUT 1, MARK
        bytes += [UInt8](repeating: 0, count: 2 * items)
        for i in 0..<items { bytes[10 + 2 * i] = 0x68; bytes[11 + 2 * i] = 1 }  // GET 1
        bytes += [0x6C, 0x85, 0x71, 2, 0x30] + Array("ccollections\nOrderedDict\n".utf8) + [0x71, 3, 0x30]  // LIST, TUPLE1
        for _ in 0..<5 { bytes += [0x68, 3, 0x68, 2, 0x52, 0x30] }  // OrderedDict(list), POP
        bytes += [0x7D, 0x2E]
        let error = try #require(throws: TorchCheckpointError.self) { try unpickleStateDict(bytes) }
        #expect(error.kind == .malformed)
        #expect(error.description.contains("more than \(TorchStateDictHooks.maxOrderedDictItems) items"))
    }
}
