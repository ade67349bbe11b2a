import Foundation
import Testing
@testable import Ember

@Suite("Module save and load")
struct ModuleSerializationTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ember-nn-\(UUID().uuidString)-\(name)")
    }

    @Test func saveAndLoadRoundTripThroughSafetensors() throws {
        let source = FixtureMLP()
        _ = source(Tensor.randn([6, 4]))  // moves the running statistics
        let url = temporaryURL("mlp.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try source.save(to: url, metadata: ["epoch": "3"])

        let (tensors, metadata) = try Safetensors.read(contentsOf: url)
        #expect(Set(tensors.keys) == Set(source.stateDictKeys))
        #expect(metadata["epoch"] == "3")
        #expect(tensors["bn.num_batches_tracked"]?.dtype == .int64)

        let target = FixtureMLP()
        let weight = target.fc1.weight
        let result = try target.load(from: url)
        #expect(result.missingKeys.isEmpty && result.unexpectedKeys.isEmpty)
        #expect(target.fc1.weight === weight)
        for key in source.stateDictKeys {
            #expect(target.stateDict()[key]!.toArray() == source.stateDict()[key]!.toArray(), "\(key)")
        }
        source.eval(); target.eval()
        let x = Tensor.randn([2, 4])
        #expect(target(x).toArray() == source(x).toArray())
    }

    @Test func loadReportsKeyAndShapeProblems() throws {
        let url = temporaryURL("linear.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Linear(4, 3).save(to: url)
        do {
            try Linear(4, 2).load(from: url)
            Issue.record("expected a StateDictError")
        } catch let error as StateDictError {
            #expect(error.shapeMismatches.map(\.key) == ["weight", "bias"])
        }
        do {
            try Linear(4, 3, bias: false).load(from: url)
            Issue.record("expected a StateDictError")
        } catch let error as StateDictError {
            #expect(error.unexpectedKeys == ["bias"])
        }
        let result = try Linear(4, 3, bias: false).load(from: url, strict: false)
        #expect(result.unexpectedKeys == ["bias"])
    }

    @Test func optimizerStateSurvivesAFile() throws {
        let p = Tensor([1, 2, 3], requiresGrad: true)
        let adam = Adam([p], lr: 0.1)
        for _ in 0..<3 { adam.zeroGrad(); (p * p).sum().backward(); adam.step() }
        let url = temporaryURL("adam.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(adam.stateDict(), metadata: [:], to: url)
        let restored = Adam([Tensor(p.toArray(), requiresGrad: true)], lr: 0.1)
        try restored.loadStateDict(try Safetensors.read(contentsOf: url).tensors)
        #expect(restored.state[0]["exp_avg"]!.toArray() == adam.state[0]["exp_avg"]!.toArray())
        #expect(restored.state[0]["step"]!.item() == 3)
    }
}
