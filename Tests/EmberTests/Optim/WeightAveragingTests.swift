import Foundation
import Testing
@testable import Ember

/// AveragedModel, SWALR and updateBN against torch.optim.swa_utils (scripts/make_swa_fixtures.py →
/// Fixtures/swa.json).
@Suite struct WeightAveragingTests {
    static let fixture: [String: Any] = (try? loadFixture("swa.json")) ?? [:]

    static func makeModel() -> Sequential { Sequential { Linear(3, 2); BatchNorm1d(2) } }

    /// A state dict from the fixture's {key: values}, shaped like `model`'s.
    static func state(_ values: Any?, like model: Module) -> [String: Tensor] {
        let entries = values as? [String: Any] ?? [:]
        return Dictionary(uniqueKeysWithValues: model.stateDict().map { key, t in
            let numbers = floats(entries[key])
            return (key, t.dtype == .int64 ? Tensor(numbers.map { Int($0) }, shape: t.shape) : Tensor(numbers, shape: t.shape))
        })
    }

    @Test func averagesMatchTorch() throws {
        let cases = Self.fixture["averaged"] as? [[String: Any]] ?? []
        #expect(cases.count == 3)
        for c in cases {
            let name = c["name"] as! String
            let model = Self.makeModel()
            let averaging: WeightAveraging = name == "equal" ? .equal : .exponential(decay: 0.75)
            let swa = try AveragedModel(model, copy: Self.makeModel(), averaging: averaging, useBuffers: name == "ema_buffers")
            for (step, s) in (c["steps"] as! [[String: Any]]).enumerated() {
                _ = try model.loadStateDict(Self.state(s["model"], like: model))
                swa.updateParameters(from: model)
                #expect(swa.averagedCount == s["n_averaged"] as! Int)
                let expected = s["averaged"] as! [String: Any]
                for (key, t) in swa.module.stateDict() {
                    expectClose(t.to(.float32).toArray(), floats(expected[key]), atol: 1e-6, "\(name) step \(step) \(key)")
                }
            }
            // PyTorch's AveragedModel keys: the copy under "module.", and the count.
            #expect(swa.stateDict().keys.sorted() == (["n_averaged"] + model.stateDict().keys.map { "module." + $0 }).sorted())
        }
    }

    @Test func swalrMatchesTorch() {
        let cases = Self.fixture["swalr"] as? [[String: Any]] ?? []
        #expect(cases.count == 7)
        for c in cases {
            let name = c["name"] as! String
            let expected = floats(c["rates"])
            let optimizer = SGD([Tensor.zeros([1], requiresGrad: true)], lr: Float(c["lr"] as! Double))
            var rates = [Float]()
            switch name {
            case "made_early":
                // Made before training; the cosine schedule runs 4 epochs, then SWALR takes over.
                let cosine = CosineAnnealingLR(optimizer, tMax: 10), swa = SWALR(optimizer, swaLR: 0.1, annealEpochs: 2)
                rates.append(optimizer.lr)
                for epoch in 0..<7 { (epoch < 4 ? cosine : swa).step(); rates.append(optimizer.lr) }
            case "halved_by_hand":
                let swa = SWALR(optimizer, swaLR: 0.05, annealEpochs: 4)
                rates.append(optimizer.lr)
                for epoch in 0..<5 {
                    swa.step()
                    if epoch == 1 { optimizer.lr *= 0.5 }
                    rates.append(optimizer.lr)
                }
            case "sequential":
                let schedule = SequentialLR(optimizer, schedulers: [CosineAnnealingLR(optimizer, tMax: 10),
                                                                    SWALR(optimizer, swaLR: 0.1, annealEpochs: 2)], milestones: [4])
                rates.append(optimizer.lr)
                for _ in 0..<7 { schedule.step(); rates.append(optimizer.lr) }
            default:
                let cosine = CosineAnnealingLR(optimizer, tMax: 10)
                for _ in 0..<(c["cosine_steps_before"] as! Int) { cosine.step() }
                let swa: SWALR = switch name {
                case "cos": SWALR(optimizer, swaLR: 0.05, annealEpochs: 3)
                case "linear": SWALR(optimizer, swaLR: 0.2, annealEpochs: 4, annealStrategy: .linear)
                case "none": SWALR(optimizer, swaLR: 0.05, annealEpochs: 0)
                default: SWALR(optimizer, swaLR: 0.1, annealEpochs: 2)
                }
                rates.append(optimizer.lr)
                for _ in 1..<expected.count { swa.step(); rates.append(optimizer.lr) }
            }
            expectClose(rates, expected, atol: 1e-6, "SWALR \(name)")
        }
    }

    @Test func updateBNMatchesTorch() throws {
        let c = try #require(Self.fixture["update_bn"] as? [String: Any])
        let model = Self.makeModel()
        let expected = c["state"] as! [String: Any]
        // The same weights as PyTorch's model; running statistics start elsewhere and must be replaced.
        var start = Self.state(expected, like: model)
        start["1.running_mean"] = Tensor.full([2], 3)
        _ = try model.loadStateDict(start)
        model.eval()
        let inputs = (c["inputs"] as! [Any]).map { Tensor(floats($0), shape: [5, 3]) }
        updateBN(inputs, model)
        for (key, t) in model.stateDict() {
            expectClose(t.to(.float32).toArray(), floats(expected[key]), atol: 1e-6, "update_bn \(key)")
        }
        #expect(!model.isTraining)
        #expect((model[1] as! BatchNorm1d).momentum == 0.1)
    }

    @Test func averagedModelTrainsAndLoadsLikeAModule() throws {
        let model = Self.makeModel()
        let swa = try AveragedModel(model, copy: Self.makeModel())
        let x = Tensor.randn([4, 3], generator: RandomGenerator(seed: 1))
        // It runs its copy, which starts as the model.
        #expect(swa(x).toArray() == model(x).toArray())
        #expect(swa.stateDict()["n_averaged"]!.item() == 0)
        // Its state dict (the averaged weights and the count) loads into another average.
        let other = try AveragedModel(model, copy: Self.makeModel())
        swa.updateParameters(from: model)
        _ = try other.loadStateDict(swa.stateDict())
        #expect(other.averagedCount == 1)
        #expect(other(x).toArray() == swa(x).toArray())
    }

    @Test func theCountIsExactPast2To24AndTheModeIsCopied() throws {
        let model = Self.makeModel()
        model.eval()
        let swa = try AveragedModel(model, copy: Self.makeModel())
        #expect(!swa.module.isTraining)
        // The copy keeps the model's type: its layers are reachable without a cast.
        #expect((swa.module[1] as? BatchNorm1d) != nil)
        swa.nAveraged = Tensor([16_777_216], shape: [])
        swa.updateParameters(from: model)
        swa.updateParameters(from: model)
        #expect(swa.averagedCount == 16_777_218)
    }

    @Test func updateBNTakesALoaderOfBatches() {
        let model = Self.makeModel()
        let data = TensorDataset(inputs: Tensor.randn([12, 3], generator: RandomGenerator(seed: 3)), labels: Tensor.zeros([12], dtype: .int64))
        updateBN(DataLoader(data, batchSize: 4), model)
        #expect((model[1] as! BatchNorm1d).numBatchesTracked.toIntArray() == [3])
    }

    @Test func aCopySharingALayerStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let shared = Linear(3, 2)
            _ = try? AveragedModel(Sequential { shared }, copy: Sequential { shared })
        }
        #expect(stderr(r).contains("AveragedModel needs a second instance of the model that shares no layer or tensor with it"))
    }

    @Test func aDifferentArchitectureIsRefused() {
        #expect(throws: (any Error).self) {
            _ = try AveragedModel(Self.makeModel(), copy: Sequential { Linear(3, 4) })
        }
    }
}
