import Foundation
import Testing
@testable import Ember

/// Checkpoints made by PyTorch (scripts/make_torch_fixtures.py) and the shared MNIST MLP.
let torchFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("torch")

/// ../shared/fixtures/torch beside the repository (absent in some checkouts).
let sharedTorchFixtures = repositoryRoot.deletingLastPathComponent()
    .appendingPathComponent("shared").appendingPathComponent("fixtures").appendingPathComponent("torch")

/// Compares a loaded state dict with the `NAME.json` that the fixture script wrote.
func expectMatchesFixture(_ state: [(key: String, tensor: Tensor)], _ name: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let json = try loadFixture("torch/\(name).json")
    let keys = json["keys"] as? [String] ?? []
    let tensors = json["tensors"] as? [String: [String: Any]] ?? [:]
    #expect(state.map(\.key) == keys, "\(name): key order", sourceLocation: sourceLocation)
    for (key, tensor) in state {
        guard let want = tensors[key] else {
            Issue.record("\(name).\(key): not in the fixture's JSON", sourceLocation: sourceLocation)
            continue
        }
        let dtype = want["dtype"] as? String ?? ""
        #expect(tensor.shape == (want["shape"] as? [Int] ?? [-1]), "\(name).\(key): shape", sourceLocation: sourceLocation)
        if ["float32", "float64", "float16", "bfloat16"].contains(dtype) {
            #expect(tensor.dtype == .float32, "\(name).\(key): dtype", sourceLocation: sourceLocation)
            // Exact: PyTorch's `.to(float32)` and Ember's conversion must agree bit for bit.
            expectClose(tensor.toArray(), floats(want["values"]), atol: 0, rtol: 0, "\(name).\(key)",
                        sourceLocation: sourceLocation)
        } else {
            #expect(tensor.dtype == .int64, "\(name).\(key): dtype", sourceLocation: sourceLocation)
            let values = (want["values"] as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? ($0 as? Bool).map { $0 ? 1 : 0 } ?? -999 }
            #expect(tensor.toIntArray() == values, "\(name).\(key): values", sourceLocation: sourceLocation)
        }
    }
}

/// A minimal safetensors reader for the test (F32 only), independent of Ember's own.
func readSafetensorsF32(_ url: URL) throws -> [String: (shape: [Int], values: [Float])] {
    let data = try Data(contentsOf: url)
    let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any] ?? [:]
    var out: [String: (shape: [Int], values: [Float])] = [:]
    for (key, value) in header where key != "__metadata__" {
        guard let info = value as? [String: Any], info["dtype"] as? String == "F32",
              let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int] else { continue }
        let bytes = data.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
        let values = bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        out[key] = (shape, values)
    }
    return out
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-torch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The deterministic tensors of the Ember → PyTorch round trip (`ember_written.pth`).
func emberSampleState() -> [(key: String, tensor: Tensor)] {
    let base = Tensor((0..<12).map { Float($0) * 0.25 - 1 }, shape: [3, 4])
    return [
        ("layer.weight", Tensor([0.5, -1.25, 3, 1e-3, -7e5, 0], shape: [2, 3])),
        ("layer.bias", Tensor([Float.pi, -2], shape: [2])),
        ("base", base),
        ("base.t", base.transpose(0, 1)),
        ("base.row", base[1]),
        ("steps", Tensor([42], shape: [])),
        ("labels", Tensor([3, -1, 1 << 40], shape: [3])),
        ("empty", Tensor([Float](), shape: [0, 2])),
    ]
}

@Suite("PyTorch checkpoints")
struct TorchCheckpointTests {
    @Test("the real MNIST MLP checkpoint matches its safetensors twin exactly",
          .enabled(if: FileManager.default.fileExists(atPath: sharedTorchFixtures.appendingPathComponent("mlp_mnist.pth").path),
                   "needs ../shared/fixtures/torch"))
    func mnistMLP() throws {
        let pth = sharedTorchFixtures.appendingPathComponent("mlp_mnist.pth")
        let twin = sharedTorchFixtures.appendingPathComponent("mlp_mnist.safetensors")
        let state = try TorchCheckpoint.read(contentsOf: pth)
        #expect(state.map(\.key) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(state.map(\.tensor.shape) == [[256, 784], [256], [10, 256], [10]])
        let reference = try readSafetensorsF32(twin)
        for (key, tensor) in state {
            let want = try #require(reference[key], "\(key) missing from the safetensors file")
            #expect(tensor.shape == want.shape)
            let got = tensor.toArray()
            #expect(got.map(\.bitPattern) == want.values.map(\.bitPattern), "\(key): values differ")
        }
    }

    @Test("dtypes: float64, float16, bfloat16 load as float32; int64, int32, uint8, bool as int64",
          arguments: ["dtypes", "batchnorm", "cnn", "views", "legacy"])
    func fixtures(name: String) throws {
        let state = try TorchCheckpoint.read(contentsOf: torchFixtures.appendingPathComponent("\(name).pth"))
        try expectMatchesFixture(state, name)
    }

    @Test("BatchNorm's num_batches_tracked is a 0-dim int64 tensor")
    func batchNorm() throws {
        let state = Dictionary(uniqueKeysWithValues: try TorchCheckpoint.read(
            contentsOf: torchFixtures.appendingPathComponent("batchnorm.pth")).map { ($0.key, $0.tensor) })
        let tracked = try #require(state["num_batches_tracked"])
        #expect(tracked.dtype == .int64 && tracked.shape == [] && tracked.toIntArray() == [3])
    }

    @Test("views keep sharing one storage, with PyTorch's offsets and strides")
    func views() throws {
        let state = Dictionary(uniqueKeysWithValues: try TorchCheckpoint.read(
            contentsOf: torchFixtures.appendingPathComponent("views.pth")).map { ($0.key, $0.tensor) })
        let base = try #require(state["base"]), row = try #require(state["row"])
        let col = try #require(state["col"]), t = try #require(state["transposed"]), block = try #require(state["block"])
        for view in [row, col, t, block] { #expect(view.storage === base.storage) }
        #expect(row.offset == 4 && row.strides == [1])
        #expect(col.offset == 2 && col.strides == [4])
        #expect(t.strides == [1, 4] && !t.isContiguous)
        #expect(block.offset == 5 && block.strides == [4, 1])
        #expect(state["expanded"]?.strides == [0])
        #expect(state["other"]?.storage !== base.storage)
    }

    @Test("the legacy (pre-1.6) format shares storages too")
    func legacyViews() throws {
        let state = Dictionary(uniqueKeysWithValues: try TorchCheckpoint.read(
            contentsOf: torchFixtures.appendingPathComponent("legacy.pth")).map { ($0.key, $0.tensor) })
        #expect(state["view.t"]?.storage === state["view.base"]?.storage)
        #expect(state["view.row"]?.offset == 3)
    }

    @Test("hostile pickles stop at the disallowed global, naming it", arguments: [
        ("hostile_os_system", "os.system"),
        ("hostile_stack_global", "builtins.eval"),
    ])
    func hostile(name: String, global: String) throws {
        let url = torchFixtures.appendingPathComponent("\(name).pth")
        let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint.read(contentsOf: url) }
        #expect(error.kind == .disallowedGlobal(global))
        #expect(error.description.hasPrefix("disallowed global '\(global)' in \(name).pth"))
        #expect(error.description.hasSuffix("only state dicts of tensors can be loaded"))
    }

    @Test("Ember → .pth → Ember keeps keys, order, values, dtypes and shared storages")
    func roundTrip() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.pth")
        let original = emberSampleState()
        try TorchCheckpoint.write(original, to: url)
        let back = try TorchCheckpoint.read(contentsOf: url)
        #expect(back.map(\.key) == original.map(\.key))
        for (a, b) in zip(original, back) {
            #expect(a.tensor.shape == b.tensor.shape, "\(a.key)")
            #expect(a.tensor.dtype == b.tensor.dtype, "\(a.key)")
            if a.tensor.dtype == .int64 {
                #expect(a.tensor.toIntArray() == b.tensor.toIntArray(), "\(a.key)")
            } else {
                #expect(a.tensor.toArray().map(\.bitPattern) == b.tensor.toArray().map(\.bitPattern), "\(a.key)")
            }
        }
        let byKey = Dictionary(uniqueKeysWithValues: back.map { ($0.key, $0.tensor) })
        #expect(byKey["base.t"]?.storage === byKey["base"]?.storage)
        #expect(byKey["base.row"]?.storage === byKey["base"]?.storage)
        #expect(byKey["base.t"]?.strides == [1, 4])
        // Only the temporary file's rename remains: no leftovers beside the checkpoint.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.pth"])
    }

    @Test("a checkpoint that PyTorch re-saved from Ember's output reads back")
    func resavedByPyTorch() throws {
        let state = try TorchCheckpoint.read(contentsOf: torchFixtures.appendingPathComponent("ember_resaved_by_torch.pth"))
        try expectMatchesFixture(state, "ember_written")
    }

    @Test("Ember's writer still produces the bytes that PyTorch was shown")
    func writerIsStable() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ember_written.pth")
        try TorchCheckpoint.write(emberSampleState(), to: url)
        if ProcessInfo.processInfo.environment["EMBER_WRITE_TORCH_FIXTURE"] == "1" {
            // Refreshes the fixture, then run: /opt/torchenv/bin/python scripts/make_torch_fixtures.py --roundtrip
            try? FileManager.default.removeItem(at: torchFixtures.appendingPathComponent("ember_written.pth"))
            try FileManager.default.copyItem(at: url, to: torchFixtures.appendingPathComponent("ember_written.pth"))
            var tensors: [String: Any] = [:]
            for (key, t) in emberSampleState() {
                tensors[key] = ["shape": t.shape, "dtype": t.dtype == .int64 ? "int64" : "float32",
                                "values": t.dtype == .int64 ? t.toIntArray() as [Any] : t.toArray().map { Double($0) } as [Any]]
            }
            let json = try JSONSerialization.data(withJSONObject: ["keys": emberSampleState().map(\.key), "tensors": tensors],
                                                  options: [.prettyPrinted, .sortedKeys])
            try json.write(to: torchFixtures.appendingPathComponent("ember_written.json"))
        }
        let committed = try Data(contentsOf: torchFixtures.appendingPathComponent("ember_written.pth"))
        #expect(try Data(contentsOf: url) == committed)
    }

    @Test("live: PyTorch loads Ember's file with weights_only=True and re-saves it; Ember reads that back",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/opt/torchenv/bin/python"), "needs /opt/torchenv"))
    func liveRoundTripThroughPyTorch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ours = dir.appendingPathComponent("ours.pth"), theirs = dir.appendingPathComponent("theirs.pth")
        let original = emberSampleState()
        try TorchCheckpoint.write(original, to: ours)
        let script = """
        import sys, torch, collections
        s = torch.load(sys.argv[1], weights_only=True)
        assert isinstance(s, collections.OrderedDict), type(s)
        assert s['base.t'].untyped_storage().data_ptr() == s['base'].untyped_storage().data_ptr()
        s['doubled'] = s['layer.weight'] * 2
        torch.save(s, sys.argv[2])
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/opt/torchenv/bin/python")
        process.arguments = ["-c", script, ours.path, theirs.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "PyTorch could not load Ember's checkpoint")
        let back = try TorchCheckpoint.read(contentsOf: theirs)
        #expect(back.map(\.key) == original.map(\.key) + ["doubled"])
        for (a, b) in zip(original, back) {
            #expect(a.tensor.shape == b.tensor.shape && a.tensor.dtype == b.tensor.dtype, "\(a.key)")
            #expect(a.tensor.toArray() == b.tensor.toArray(), "\(a.key)")
        }
        #expect(back.last?.tensor.toArray() == original[0].tensor.toArray().map { $0 * 2 })
    }

    @Test("a failed write leaves the existing file alone")
    func atomicWrite() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("keep.pth")
        try Data("old".utf8).write(to: url)
        let t = Tensor([1, 2], shape: [2])
        #expect(throws: TorchCheckpointError.self) { try TorchCheckpoint.write([("a", t), ("a", t)], to: url) }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["keep.pth"])
        // A file where the folder should be.
        let blocked = url.appendingPathComponent("x.pth")
        let error = try #require(throws: TorchCheckpointError.self) { try TorchCheckpoint.write([("a", t)], to: blocked) }
        #expect(error.kind == .io)
    }

    @Test("non-tensor values and non-checkpoints are refused with the key named")
    func refusals() throws {
        // {'epoch': 3} as torch.save would pickle it (legacy-free raw pickle inside a zip is overkill:
        // the unpickler path is the same), checked through the state-dict extraction.
        let hooks = TorchStateDictHooks(legacy: false)
        let pickle = Data([0x80, 0x02, 0x7D, 0x58, 5, 0, 0, 0] + Array("epoch".utf8) + [0x4B, 3, 0x73, 0x2E])
        let error = try #require(throws: TorchCheckpointError.self) {
            try TorchCheckpoint.reporting(file: "x.pth") {
                try Unpickler(pickle, hooks: hooks).load { try TorchCheckpoint.stateDict($0, file: "x.pth") }
            }
        }
        #expect(error.key == "epoch")
        #expect(error.description.contains("x.pth at key 'epoch'"))
        let notACheckpoint = try #require(throws: TorchCheckpointError.self) {
            try TorchCheckpoint.read(Data("hello, world".utf8), name: "hello.txt")
        }
        #expect(notACheckpoint.kind == .malformed)
    }
}
