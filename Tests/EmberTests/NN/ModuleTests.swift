import Foundation
import Testing
@testable import Ember

/// The model of the fixture's `mlp` entry, written like the PyTorch one.
final class FixtureMLP: Module {
    let fc1 = Linear(4, 8)
    let act = ReLU()
    let drop = Dropout(0.1)
    let bn = BatchNorm1d(8)
    let net = Sequential(Linear(8, 8), Tanh(), Linear(8, 3, bias: false))
    override func forward(_ x: Tensor) -> Tensor { net(bn(drop(act(fc1(x))))) }
}

/// A user-written layer, as in Module's documentation: one parameter, one buffer, no registration.
final class Scale: Module {
    var gain: Tensor
    @Buffer var calls = Tensor.zeros([1])
    let note = "not a member"
    var constant = Tensor.ones([3])  // does not require grad: neither parameter nor buffer
    init(_ n: Int) {
        gain = Tensor.full([n], 2, requiresGrad: true)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor {
        noGrad { calls.add_(1) }
        return x * gain
    }
}

final class Tower: Module {
    let blocks: [Linear] = [Linear(2, 2), Linear(2, 2)]
    var extra: [Tensor] = [Tensor.zeros([2], requiresGrad: true)]
    let head: Scale? = Scale(2)
    let missing: Linear? = nil
    let inProj = Linear(2, 2, bias: false)
    override func forward(_ x: Tensor) -> Tensor { head!(inProj(blocks.reduce(x) { $1($0) }) + extra[0]) }
}

/// Runs of equal modules and single ones in one array, as PyTorch's ModuleList prints them.
final class Stack: Module {
    let blocks: [Module] = [Linear(2, 2), Linear(2, 2), Sequential(ReLU()), Linear(2, 3)]
    let out = Linear(3, 1)
}

@Suite("Modules and state dicts")
struct ModuleTests {
    @Test func stateDictKeysAndDescriptionMatchPyTorch() throws {
        let f = object(try loadFixture("nn_layers.json")["mlp"])
        let model = FixtureMLP()
        #expect(model.stateDictKeys == (f["state_dict_keys"] as! [String]))
        #expect(model.namedParameters().map(\.0) == (f["parameter_names"] as! [String]))
        #expect(model.namedBuffers().map(\.0) == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"])
        #expect(model.description == "Fixture" + (f["description"] as! String))
        #expect(Set(model.stateDict().keys) == Set(model.stateDictKeys))
    }

    @Test func customLayerIsDiscoveredByReflection() {
        let scale = Scale(3)
        #expect(scale.namedParameters().map(\.0) == ["gain"])
        #expect(scale.namedBuffers().map(\.0) == ["calls"])
        #expect(scale.stateDictKeys == ["gain", "calls"])
        let x = Tensor([1, 2, 3], requiresGrad: true)
        let y = scale(x)
        #expect(y.toArray() == [2, 4, 6])
        y.sum().backward()
        #expect(scale.gain.grad!.toArray() == [1, 2, 3])
        #expect(scale.calls.toArray() == [1])
        #expect(scale.description == "Scale()")
    }

    @Test func arraysOptionalsAndSnakeCaseNames() {
        let tower = Tower()
        #expect(tower.stateDictKeys == ["extra.0", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                                        "head.gain", "head.calls", "in_proj.weight"])
        #expect(tower.parameters().count == 7)
        #expect(tower.modules().count == 5)
        #expect(tower.namedModules().map(\.0) == ["", "blocks.0", "blocks.1", "head", "in_proj"])
        // An array of modules prints as PyTorch's ModuleList, equal neighbours folded into one line.
        #expect(tower.description == """
            Tower(
              (blocks): ModuleList(
                (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)
              )
              (head): Scale()
              (in_proj): Linear(in_features=2, out_features=2, bias=False)
            )
            """)
        // PyTorch's print of the same model, built with nn.ModuleList.
        #expect(Stack().description == "Stack(\n  (blocks): ModuleList(\n    (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
            + "    (2): Sequential(\n      (0): ReLU()\n    )\n    (3): Linear(in_features=2, out_features=3, bias=True)\n  )\n"
            + "  (out): Linear(in_features=3, out_features=1, bias=True)\n)")
        #expect(Module.keyName("numBatchesTracked") == "num_batches_tracked")
        #expect(Module.keyName("fc1") == "fc1")
        #expect(Module.keyName("layer2Norm") == "layer2_norm")
    }

    @Test func sharedParametersAreListedOnce() {
        final class Tied: Module {
            let a = Linear(3, 3)
            var b: Linear
            override init() {
                b = Linear(3, 3)
                super.init()
                b.weight = a.weight
            }
        }
        let tied = Tied()
        #expect(tied.namedParameters().map(\.0) == ["a.weight", "a.bias", "b.bias"])
        #expect(tied.stateDictKeys == ["a.weight", "a.bias", "b.weight", "b.bias"])
    }

    @Test func sharedSubmodulesAndBackReferences() {
        final class Block: Module {
            let fc = Linear(2, 2)
            weak var owner: Module?
        }
        final class Twin: Module {
            let left = Block()
            var right: Block
            override init() {
                right = left
                super.init()
                left.owner = self
            }
        }
        let twin = Twin()
        #expect(twin.namedModules().map(\.0) == ["", "left", "left.fc"])
        #expect(twin.namedParameters().map(\.0) == ["left.fc.weight", "left.fc.bias"])
        #expect(twin.stateDictKeys == ["left.fc.weight", "left.fc.bias", "right.fc.weight", "right.fc.bias"])
        #expect(twin.description.hasPrefix("Twin(\n  (left): Block(\n    (fc): Linear("))
    }

    @Test func trainEvalRecursesAndZeroGradClears() {
        let model = FixtureMLP()
        #expect(model.modules().allSatisfy { $0.isTraining })
        model.eval()
        #expect(model.modules().allSatisfy { !$0.isTraining })
        #expect(!model.net[1].isTraining)
        model.train()
        #expect(model.bn.isTraining && model.net[2].isTraining)
        let x = Tensor.randn([5, 4])
        model(x).sum().backward()
        #expect(model.parameters().allSatisfy { $0.grad != nil })
        model.zeroGrad()
        #expect(model.parameters().allSatisfy { $0.grad == nil })
    }

    /// Fine-tuning: a frozen layer stays a parameter (listed, saved, loaded), gets no gradient and
    /// is left alone by the optimizer, while the rest trains; unfreezing brings its gradient back.
    @Test func frozenParametersStayParametersButGetNoGradient() throws {
        manualSeed(3)
        let model = FixtureMLP()
        let keys = model.stateDictKeys, count = model.parameters().count
        model.fc1.requiresGrad_(false)
        (model.net[0] as! Linear).weight.requiresGrad = false
        #expect(model.stateDictKeys == keys)
        #expect(model.parameters().count == count)
        #expect(model.fc1.weight.isFrozen && !model.fc1.weight.requiresGrad)

        let frozen = model.fc1.weight.clone(), trained = (model.net[2] as! Linear).weight.clone()
        let optimizer = Adam(model.parameters(), lr: 0.1)
        model(Tensor.randn([5, 4])).square().sum().backward()
        #expect(model.fc1.weight.grad == nil && model.fc1.bias!.grad == nil && (model.net[0] as! Linear).weight.grad == nil)
        #expect((model.net[0] as! Linear).bias!.grad != nil)
        optimizer.step()
        #expect(model.fc1.weight.toArray() == frozen.toArray())
        #expect((model.net[2] as! Linear).weight.toArray() != trained.toArray())

        // A frozen parameter is saved and loaded like any other.
        let copy = FixtureMLP()
        try copy.loadStateDict(model.stateDict())
        #expect(copy.fc1.weight.toArray() == frozen.toArray())

        // Copies a container makes of a layer (PyTorch's deepcopy) keep it frozen.
        let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16)
        layer.linear1.requiresGrad_(false)
        let encoder = TransformerEncoder(layer, numLayers: 2)
        #expect(encoder.layers.allSatisfy { $0.linear1.weight.isFrozen && !$0.linear2.weight.isFrozen })
        #expect(encoder.stateDictKeys.contains("layers.1.linear1.weight"))

        model.requiresGrad_()
        #expect(!model.fc1.weight.isFrozen)
        model.zeroGrad()
        model(Tensor.randn([5, 4])).sum().backward()
        #expect(model.parameters().allSatisfy { $0.grad != nil })
    }

    @Test func stateDictRoundTripCopiesIntoExistingTensors() throws {
        let source = FixtureMLP()
        _ = source(Tensor.randn([6, 4]))  // moves the running stats
        let target = FixtureMLP()
        let weight = target.fc1.weight
        let optimizer = SGD(target.parameters(), lr: 0.1)
        let result = try target.loadStateDict(source.stateDict())
        #expect(result == LoadStateDictResult(missingKeys: [], unexpectedKeys: []))
        #expect(target.fc1.weight === weight, "values are copied in place")
        #expect(optimizer.parameters[0] === weight)
        for key in source.stateDictKeys {
            #expect(target.stateDict()[key]!.toArray() == source.stateDict()[key]!.toArray(), "\(key)")
        }
        #expect(target.bn.numBatchesTracked.dtype == .int64)
        #expect(target.bn.numBatchesTracked.toIntArray() == [1])
        source.eval(); target.eval()
        let x = Tensor.randn([3, 4])
        #expect(target(x).toArray() == source(x).toArray())
        // The state dict shares storage with the model (a snapshot needs clone()).
        let dict = target.stateDict()
        noGrad { target.fc1.bias!.fill_(3) }
        #expect(dict["fc1.bias"]!.toArray().allSatisfy { $0 == 3 })
    }

    @Test func loadStateDictReportsMissingUnexpectedAndShapeMismatches() throws {
        let model = FixtureMLP()
        var dict = model.stateDict()
        dict["fc1.bias"] = nil
        dict["net.1.weight"] = nil  // nothing: the Tanh has no weight; ignored
        dict["fc3.weight"] = Tensor.zeros([2])
        dict["net.0.weight"] = Tensor.zeros([8, 7])
        let before = model.fc1.weight.toArray()
        dict["fc1.weight"] = Tensor.zeros([8, 4])
        do {
            try model.loadStateDict(dict)
            Issue.record("expected a StateDictError")
        } catch let error as StateDictError {
            #expect(error.missingKeys == ["fc1.bias"])
            #expect(error.unexpectedKeys == ["fc3.weight"])
            #expect(error.shapeMismatches == [.init(key: "net.0.weight", checkpointShape: [8, 7], modelShape: [8, 8])])
            #expect(error.description == """
                Error(s) in loading state_dict for FixtureMLP:
                \tMissing key(s) in state_dict: "fc1.bias".
                \tUnexpected key(s) in state_dict: "fc3.weight".
                \tsize mismatch for net.0.weight: copying a param with shape [8, 7] from checkpoint, \
                the shape in current model is [8, 8].
                """)
        }
        #expect(model.fc1.weight.toArray() == before, "a failed load changes nothing")

        // Non-strict: missing and unexpected keys are returned, but shape mismatches still throw.
        #expect(throws: StateDictError.self) { try model.loadStateDict(dict, strict: false) }
        do {
            try model.loadStateDict(dict, strict: false)
        } catch let error as StateDictError {
            #expect(error.missingKeys.isEmpty && error.unexpectedKeys.isEmpty)
            #expect(error.shapeMismatches.map(\.key) == ["net.0.weight"])
        }
        dict["net.0.weight"] = nil
        let result = try model.loadStateDict(dict, strict: false)
        #expect(result.missingKeys == ["fc1.bias", "net.0.weight"])
        #expect(result.unexpectedKeys == ["fc3.weight"])
        #expect(model.fc1.weight.toArray().allSatisfy { $0 == 0 })

        // Only missing keys.
        let partial = Linear(2, 3)
        #expect(throws: StateDictError(moduleName: "Linear", missingKeys: ["bias"], unexpectedKeys: [], shapeMismatches: [])) {
            try partial.loadStateDict(["weight": Tensor.zeros([3, 2])])
        }
        #expect(throws: StateDictError(moduleName: "Linear", missingKeys: [], unexpectedKeys: ["scale"], shapeMismatches: [])) {
            try partial.loadStateDict(["weight": Tensor.zeros([3, 2]), "bias": Tensor.zeros([3]), "scale": Tensor.zeros([1])])
        }
    }

    @Test func descriptionsOfLayers() {
        #expect(LeakyReLU(negativeSlope: 0.2).description == "LeakyReLU(negative_slope=0.2)")
        #expect(Softmax(dim: 1).description == "Softmax(dim=1)")
        #expect(Flatten().description == "Flatten(start_dim=1, end_dim=-1)")
        #expect(GELU().description == "GELU(approximate='none')")
        #expect(Identity().description == "Identity()")
        #expect(Sequential().description == "Sequential()")
        #expect(MSELoss().description == "MSELoss()")
        // PyTorch 2.15 prints the norms' bias.
        #expect(GroupNorm(2, 4).description == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)")
        #expect(GroupNorm(2, 4, affine: false).description == "GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)")
    }
}
