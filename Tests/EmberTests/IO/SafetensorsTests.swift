import Foundation
import Testing
@testable import Ember

@Suite("Safetensors")
struct SafetensorsTests {
    @Test func readsTheTorchMLPCheckpoint() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/EmberTests/Fixtures/torch/mlp_mnist.safetensors")
        try #require(FileManager.default.fileExists(atPath: url.path), "fixture missing: \(url.path)")
        let (tensors, _) = try Safetensors.read(contentsOf: url)
        #expect(Set(tensors.keys) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(tensors["fc1.weight"]?.shape == [256, 784])
        #expect(tensors["fc1.bias"]?.shape == [256])
        #expect(tensors["fc2.weight"]?.shape == [10, 256])
        #expect(tensors["fc2.bias"]?.shape == [10])
        #expect(tensors.values.allSatisfy { $0.dtype == .float32 })
        // Writing the same tensors back gives the library's bytes exactly.
        let original = try Data(contentsOf: url)
        #expect(try Safetensors.encode(tensors) == original)
    }

    @Test func roundTripIsByteIdenticalToTheLibrary() throws {
        let url = ioFixtureURL("io_roundtrip.safetensors")
        let reference = try Data(contentsOf: url)
        let (tensors, metadata) = try Safetensors.read(contentsOf: url)
        #expect(metadata == ["format": "pt"])
        #expect(tensors["weight"]?.shape == [3, 4])
        expectClose(tensors["weight"]!.toArray(), (0..<12).map { Float($0) / 8 - 0.5 })
        #expect(tensors["bias"]?.toArray() == [1.5, -2.25, 3.0])
        #expect(tensors["steps"]?.dtype == .int64)
        #expect(tensors["steps"]?.toIntArray() == [7, -3, 1 << 40])
        #expect(tensors["scalar"]?.shape == [])
        #expect(tensors["scalar"]?.item() == 2.5)
        #expect(tensors["empty"]?.shape == [0, 3])
        #expect(tensors["a.long_name.with_dots"]?.toIntArray() == [1, 2, 3, 4])

        let folder = makeIOTestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("copy.safetensors")
        try Safetensors.write(tensors, metadata: metadata, to: out)
        #expect(try Data(contentsOf: out) == reference)

        let noMeta = ioFixtureURL("io_nometa.safetensors")
        let (plain, plainMeta) = try Safetensors.read(contentsOf: noMeta)
        #expect(plainMeta.isEmpty)
        #expect(try Safetensors.encode(plain) == Data(contentsOf: noMeta))
    }

    @Test func writesNewTensorsTheLibraryLayoutWay() throws {
        let a = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        let transposed = a.transpose(0, 1)  // non-contiguous input is written in row-major order
        let data = try Safetensors.encode(["t": transposed, "labels": Tensor([3, 1], shape: [2])], metadata: ["b": "2", "a": "1"])
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"a":"1","b":"2"},"labels":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"t":{"dtype":"F32","shape":[3,2],"data_offsets":[16,40]}}"#))
        let (back, meta) = try Safetensors.decode(data)
        #expect(meta == ["a": "1", "b": "2"])
        #expect(back["t"]?.toArray() == [1, 4, 2, 5, 3, 6])
        #expect(back["labels"]?.toIntArray() == [3, 1])
    }

    @Test func convertsOtherDTypesOnRead() throws {
        let expected = try loadFixture("io_dtypes.json")
        var (tensors, _) = try Safetensors.read(contentsOf: ioFixtureURL("io_dtypes.safetensors"))
        tensors.merge(try Safetensors.read(contentsOf: ioFixtureURL("io_bf16.safetensors")).tensors) { a, _ in a }
        for (key, dtype) in [("f64", DType.float32), ("f16", .float32), ("bf16", .float32), ("i32", .int64),
                             ("i16", .int64), ("i8", .int64), ("u8", .int64), ("bool", .int64)] {
            let t = try #require(tensors[key], "missing \(key)")
            #expect(t.dtype == dtype, "\(key)")
            let want = floats(expected[key])
            if dtype == .int64 {
                #expect(t.toIntArray() == exactIntegers(expected[key]), "\(key)")
            } else {
                expectClose(t.toArray(), want, atol: 0, rtol: 1e-7, key)
            }
        }
        #expect(tensors["i8"]?.shape == [2, 2])
        #expect(Float(float16Bits: 0x7C00) == .infinity)
        #expect(Float(float16Bits: 0xFC00) == -.infinity)
        #expect(Float(float16Bits: 0x7E00).isNaN)
        #expect(Float(float16Bits: 0x8000) == 0 && Float(float16Bits: 0x8000).sign == .minus)
    }

    /// Integers from a JSON fixture value, without a trip through Float.
    func exactIntegers(_ value: Any?) -> [Int] {
        switch value {
        case let n as NSNumber: return [Int(n.doubleValue)]
        case let a as [Any]: return a.flatMap { exactIntegers($0) }
        default: return []
        }
    }

    // MARK: malformed files

    /// A file with the given header text and data bytes; `declared` overrides the length field.
    func file(_ header: String, data: [UInt8] = [], declared: UInt64? = nil) -> Data {
        var bytes = Data()
        var length = (declared ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    func decodeError(_ data: Data) -> EmberIOError? {
        captureIOError { _ = try Safetensors.decode(data, file: "model.safetensors") }
    }

    @Test(arguments: [
        // (header, data byte count, expected kind, expected key, words in the message)
        ("[1, 2]", 0, EmberIOError.Kind.invalidHeader, nil as String?, "{"),
        ("{\"a\": ", 0, .invalidHeader, nil, "JSON"),
        ("{\"a\": 1, \"a\": 2}", 0, .invalidHeader, nil, "duplicate"),
        ("{\"w\": 3}", 0, .invalidHeader, "w", "object"),
        ("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, .invalidHeader, "w", "dtype"),
        ("{\"w\": {\"dtype\": \"F33\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, .invalidDType, "w", "F33"),
        ("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4, .unsupportedTensor, "w", "F8_E4M3"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4, .invalidShape, "w", "non-negative"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, .invalidShape, "w", "integers"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8, .invalidShape, "w", "needs 12 bytes"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4, .invalidOffsets, "w", "[begin, end]"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [4, 0]}}", 4, .invalidOffsets, "w", "end before"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4, .invalidOffsets, "w", "past the end"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, .invalidOffsets, "b", "overlap"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, .invalidOffsets, "a", "gap"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 12, .invalidOffsets, nil, "cover 4 bytes"),
        ("{\"__metadata__\": {\"k\": 1}}", 0, .invalidHeader, "__metadata__", "string"),
        ("{\"__metadata__\": [\"k\"]}", 0, .invalidHeader, "__metadata__", "object"),
    ])
    func malformedHeaders(header: String, dataCount: Int, kind: EmberIOError.Kind, key: String?, words: String) throws {
        let error = try #require(decodeError(file(header, data: [UInt8](repeating: 0, count: dataCount))))
        #expect(error.kind == kind, "\(error)")
        #expect(error.key == key, "\(error)")
        #expect(error.description.contains("model.safetensors"))
        #expect(error.description.contains(words), "\(error)")
        if let key { #expect(error.description.contains("'\(key)'")) }
    }

    @Test func rejectsBadLengthFields() throws {
        // Shorter than the length field itself.
        #expect(decodeError(Data([1, 2, 3]))?.kind == .truncated)
        // A huge length is refused before any allocation.
        let huge = try #require(decodeError(file("{}", declared: UInt64.max)))
        #expect(huge.kind == .invalidHeader && huge.description.contains("limit"))
        #expect(decodeError(file("{}", declared: 1 << 40))?.kind == .invalidHeader)
        // Longer than the file.
        let long = try #require(decodeError(file("{}", declared: 64)))
        #expect(long.kind == .truncated && long.description.contains("only 2 bytes"))
        #expect(decodeError(file("  ", declared: 2))?.kind == .invalidHeader)
        // An empty header object is a valid file with no tensors.
        let (tensors, metadata) = try Safetensors.decode(file("{}"))
        #expect(tensors.isEmpty && metadata.isEmpty)
    }

    @Test func truncatedAndMissingFiles() throws {
        let folder = makeIOTestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("nothing.safetensors")
        let error = try #require(captureIOError { _ = try Safetensors.read(contentsOf: missing) })
        #expect(error.kind == .missingFile && error.description.contains("nothing.safetensors"))

        // A real file cut short loses data the header points at.
        let reference = try Data(contentsOf: ioFixtureURL("io_roundtrip.safetensors"))
        let cut = folder.appendingPathComponent("cut.safetensors")
        try reference.prefix(reference.count - 10).write(to: cut)
        let truncated = try #require(captureIOError { _ = try Safetensors.read(contentsOf: cut) })
        #expect(truncated.kind == .invalidOffsets && truncated.description.contains("cut.safetensors") && truncated.key == "weight")
        try reference.prefix(100).write(to: cut)
        #expect(captureIOError { _ = try Safetensors.read(contentsOf: cut) }?.kind == .truncated)
    }

    @Test func reservedNameIsRefused() {
        let error = captureIOError { _ = try Safetensors.encode(["__metadata__": Tensor([1], shape: [1])]) }
        #expect(error?.kind == .invalidHeader)
    }

    @Test func jsonEscapesMatchSerde() throws {
        let name = "quote\" back\\ tab\t nl\n bell\u{07} é/✓"
        let data = try Safetensors.encode([name: Tensor([1], shape: [1])])
        let text = String(decoding: data.dropFirst(8), as: UTF8.self)
        #expect(text.contains(#""quote\" back\\ tab\t nl\n bell\u0007 é/✓""#))
        #expect(try Safetensors.decode(data).tensors[name] != nil)
    }
}
