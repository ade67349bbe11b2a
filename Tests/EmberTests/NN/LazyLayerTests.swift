import Foundation
import Testing
@testable import Ember
@testable import EmberONNX

/// Lazy layers: sizes from the first input, weights drawn as the ordinary layer's would be, state
/// dicts (PyTorch's among them) that create them, and a CNN trained without working out any size.
@Suite("Lazy layers")
struct LazyLayerTests {
    @Test func itsSizeComesFromTheFirstInput() {
        let lazy = LazyLinear(4)
        #expect(!lazy.isMaterialized && lazy.parameters().isEmpty && lazy.stateDictKeys.isEmpty)
        #expect(lazy.description == "LazyLinear(in_features=0, out_features=4, bias=True)")
        let x = Tensor.randn([2, 3])
        let y = lazy(x)
        #expect(y.shape == [2, 4] && lazy.inFeatures == 3 && lazy.stateDictKeys == ["weight", "bias"])
        #expect(lazy.weight!.shape == [4, 3] && lazy.parameters().allSatisfy { $0.requiresGrad && $0.isLeaf })
        // Linear's initialization: both within ±1/√in (kaiming uniform with a = √5 gives that bound too).
        let bound = 1 / Float(3).squareRoot()
        #expect((lazy.weight!.toArray() + lazy.bias!.toArray()).allSatisfy { Swift.abs($0) <= bound })
        #expect(y.toArray() == linear(x, weight: lazy.weight!, bias: lazy.bias).toArray())
        // Like PyTorch's, which turns into a Linear.
        #expect(lazy.description == "Linear(in_features=3, out_features=4, bias=True)")
        #expect(LazyLinear(2, bias: false)(x).shape == [2, 2])
    }

    @Test func aStateDictCreatesTheWeights() throws {
        let source = Sequential { Linear(5, 3); ReLU(); Linear(3, 2) }
        let target = Sequential { LazyLinear(3); ReLU(); LazyLinear(2) }
        try target.loadStateDict(source.stateDict())
        let x = Tensor.randn([4, 5])
        #expect(target(x).toArray() == source(x).toArray())
        #expect((target[0] as! LazyLinear).inFeatures == 5)
    }

    /// A failed load leaves lazy layers as they were; a strict load without their keys misses them
    /// (PyTorch lists them too); a non-strict one reports them.
    @Test func failedAndPartialLoadsLeaveThemLazy() throws {
        let model = Sequential { LazyLinear(4); ReLU(); LazyLinear(2) }
        let wrong = ["0.weight": Tensor.zeros([3, 5]), "0.bias": Tensor.zeros([3]), "2.weight": Tensor.zeros([2, 3]), "2.bias": Tensor.zeros([2])]
        #expect(throws: StateDictError.self) { try model.loadStateDict(wrong) }
        #expect(!(model[0] as! LazyLinear).isMaterialized && !(model[2] as! LazyLinear).isMaterialized)
        do { try model.loadStateDict(["0.weight": Tensor.zeros([4, 5]), "0.bias": Tensor.zeros([4])]) } catch let error as StateDictError {
            #expect(error.missingKeys == ["2.weight", "2.bias"])
        }
        let result = try model.loadStateDict(["0.weight": Tensor.zeros([4, 5]), "0.bias": Tensor.zeros([4])], strict: false)
        #expect(result.missingKeys == ["2.weight", "2.bias"] && (model[0] as! LazyLinear).inFeatures == 5)
        #expect(!(model[2] as! LazyLinear).isMaterialized)
    }

    @Test func badInputsStopWithAMessage() async {
        let twice = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = LazyLinear(2)
            _ = layer(Tensor.zeros([1, 3]))
            layer.materialize(inputSize: 4)
        }
        #expect(stderr(twice).contains("LazyLinear: already materialized as Linear(in_features=3, out_features=2, bias=True)"))
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LazyLinear(2)(Tensor(1))
        }
        #expect(stderr(scalar).contains("LazyLinear: expects inputs [..., in_features], got a scalar"))
    }

    // MARK: Convolutions and norms

    /// The fixture's models, built in Ember as the script builds them in PyTorch.
    static func model(_ name: String) -> Sequential {
        switch name {
        case "planar":
            return Sequential {
                LazyConv2d(4, kernelSize: 3, padding: 1); LazyBatchNorm2d(); ReLU()
                LazyConvTranspose2d(3, kernelSize: 2, stride: 2); LazyInstanceNorm2d(); Flatten(); LazyLinear(5)
            }
        case "sequence":
            return Sequential {
                LazyConv1d(4, kernelSize: 3, groups: 2, bias: false); LazyBatchNorm1d(momentum: nil); Tanh()
                LazyConvTranspose1d(2, kernelSize: 3, stride: 2, outputPadding: 1); LazyInstanceNorm1d(affine: false)
            }
        default:
            return Sequential {
                LazyConv3d(2, kernelSize: 2, dilation: 2); LazyBatchNorm3d(affine: false); ReLU()
                LazyConvTranspose3d(2, kernelSize: (2, 1, 2), stride: (2, 1, 1)); LazyInstanceNorm3d(trackRunningStats: false)
            }
        }
    }

    /// PyTorch's trained state dict loads into the lazy model (creating every layer from its shapes),
    /// which then computes PyTorch's output and prints as PyTorch's model does, before and after.
    @Test(arguments: ["planar", "sequence", "volume"])
    func pyTorchStateDictsLoadIntoLazyModels(name: String) throws {
        let fixture = object(try loadFixture("lazy.json")[name])
        let model = Self.model(name)
        #expect(model.description == fixture["description_before"] as! String)
        #expect(model.stateDictKeys.isEmpty && model.parameters().isEmpty)
        var state: [String: Tensor] = [:]
        for (key, entry) in object(fixture["state"]) {
            let entry = object(entry)
            let values = tensor(entry["values"], ints(entry["shape"]))
            state[key] = key.hasSuffix("num_batches_tracked") ? values.to(.int64) : values
        }
        try model.loadStateDict(state)
        #expect(model.stateDictKeys == fixture["keys"] as! [String])
        #expect(model.description == fixture["description_after"] as! String)
        model.eval()
        let x = tensor(fixture["x"], ints(fixture["input_shape"]))
        let y = model(x)
        #expect(y.shape == ints(fixture["out_shape"]))
        expectClose(y.toArray(), floats(fixture["out"]), atol: 1e-5, rtol: 1e-4, name)
    }

    /// Materialized by a batch, the lazy model has the same keys and shapes as PyTorch's.
    @Test(arguments: ["planar", "sequence", "volume"])
    func aFirstBatchCreatesPyTorchsShapes(name: String) throws {
        let fixture = object(try loadFixture("lazy.json")[name])
        let model = Self.model(name)
        _ = model(Tensor.randn(ints(fixture["input_shape"])))
        #expect(model.stateDictKeys == fixture["keys"] as! [String])
        let state = model.stateDict()
        for (key, entry) in object(fixture["state"]) {
            #expect(state[key]?.shape == ints(object(entry)["shape"]), "\(name) \(key)")
        }
        #expect(model.description == fixture["description_after"] as! String)
    }

    /// Modes, devices and `apply` reach the created layer; its draws are the ordinary layer's.
    @Test func theCreatedLayerFollowsTheModel() {
        let model = Sequential { LazyConv2d(3, kernelSize: 3); LazyBatchNorm2d() }
        model.eval()
        _ = model(Tensor.randn([2, 2, 5, 5]))
        let norm = (model[1] as! LazyBatchNorm2d).layer!
        #expect(!norm.isTraining && norm.numBatchesTracked.item() == 0)
        model.train()
        _ = model(Tensor.randn([2, 2, 5, 5]))
        #expect(norm.isTraining && norm.numBatchesTracked.item() == 1)
        var visited: [String] = []
        model.apply { visited.append($0.typeName) }
        #expect(visited == ["Conv2d", "Conv2d", "BatchNorm2d", "BatchNorm2d", "Sequential"])
        var convolutions = 0
        model.apply { if let conv = $0 as? Conv2d { convolutions += 1; noGrad { conv.weight.fill_(0.5) } } }
        #expect(convolutions == 1 && model.parameters()[0].toArray().allSatisfy { $0 == 0.5 })

        // Conv2d's initialization (fan-in 3·3·3 with groups 2): both within ±1/√27. (Exact draws are not
        // compared: parallel tests share the global generator.)
        let lazy = LazyConv2d(4, kernelSize: 3, groups: 2)
        _ = lazy(Tensor.zeros([1, 6, 4, 4]))
        let bound = 1 / Float(27).squareRoot()
        #expect(lazy.layer!.weight.shape == [4, 3, 3, 3])
        #expect((lazy.layer!.weight.toArray() + lazy.layer!.bias!.toArray()).allSatisfy { Swift.abs($0) <= bound })
    }

    @Test func aLazyCNNTrainsOnUnworkedOutSizes() {
        manualSeed(5)
        let model = Sequential {
            LazyConv2d(6, kernelSize: 3); LazyBatchNorm2d(); ReLU(); MaxPool2d(2)
            LazyConv2d(8, kernelSize: 3, padding: 1); ReLU(); Flatten(); LazyLinear(3)
        }
        let x = Tensor.randn([24, 2, 10, 10]), labels = Tensor((0..<24).map { $0 % 3 }, shape: [24])
        _ = model(x[0..<2])
        #expect(model.parameters().map(\.shape) == [[6, 2, 3, 3], [6], [6], [6], [8, 6, 3, 3], [8], [3, 128], [3]])
        #expect((model[7] as! LazyLinear).inFeatures == 128)
        let optimizer = Adam(model.parameters(), lr: 0.01)
        var losses: [Float] = []
        for _ in 0..<40 {
            let loss = crossEntropy(model(x), labels)
            losses.append(loss.item())
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
        }
        #expect(losses.last! < 0.2 * losses.first!)
    }

    @Test func badConvolutionInputsStopWithAMessage() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LazyConv2d(2, kernelSize: 3)(Tensor.zeros([4, 4]))
        }
        #expect(stderr(rank).contains("LazyConv2d: expected an input [N, C, H, W] or unbatched [C, H, W] to read the channels from, got shape [4, 4]"))
        let features = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LazyBatchNorm1d()(Tensor.zeros([4]))
        }
        #expect(stderr(features).contains("LazyBatchNorm1d: expected an input [N, C, ...] to read the features from, got shape [4]"))
        let groups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LazyConv1d(4, kernelSize: 1, groups: 2)(Tensor.zeros([1, 3, 5]))
        }
        #expect(stderr(groups).contains("in_channels (3) and out_channels (4) must both be divisible by groups (2)"))
    }

    /// What walks a model's modules (updateBN, isPruned, requiresGrad_, legacy weight-norm keys, ONNX
    /// export) reaches the layer a lazy layer created, as PyTorch's, where the lazy layer becomes it.
    @Test func toolsThatWalkModulesReachTheCreatedLayer() throws {
        let model = Sequential { LazyConv2d(3, kernelSize: 3); LazyBatchNorm2d(); Flatten(); LazyLinear(2) }
        model.requiresGrad_(false)   // before any weight exists: applies when they are created
        let x = Tensor.randn([4, 2, 5, 5]) * 3 + 1
        _ = model(x)
        #expect(model.parameters().allSatisfy { !$0.requiresGrad } && model.parameters().count == 6)
        model.requiresGrad_(true)

        // updateBN recomputes the lazy batch norm's statistics: the mean of the conv's outputs.
        let norm = (model[1] as! LazyBatchNorm2d).layer!
        updateBN([x], model)
        let features = noGrad { model[0](x) }
        expectClose(norm.runningMean.toArray(), features.mean(dims: [0, 2, 3]).toArray(), atol: 1e-5, "running mean")
        #expect(norm.numBatchesTracked.item() == 1)

        Prune.l1Unstructured((model[3] as! LazyLinear).layer!, \Linear.weight, amount: 0.5)
        #expect(Prune.isPruned(model) && model.stateDictKeys.contains("3.weight_mask"))

        // The older weight-norm keys load into a weight-normed created layer.
        let lazy = LazyLinear(2)
        _ = lazy(Tensor.zeros([1, 3]))
        weightNorm(lazy.layer!, \Linear.weight)
        #expect(Parametrize.isParametrized(lazy))
        let legacy = ["weight_g": Tensor.full([2, 1], 2), "weight_v": Tensor.ones([2, 3]), "bias": Tensor.zeros([2])]
        try lazy.loadStateDict(legacy)
        expectClose(lazy.layer!.weight.toArray(), [Float](repeating: 2 / Float(3).squareRoot(), count: 6), atol: 1e-6, "weight")

        // ONNX export runs the created layers under the lazy layers' names.
        model.eval()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ember-lazy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("lazy.onnx")
        try ONNXModel.export(model, sampleShape: [2, 5, 5], to: file)
        expectClose(try ONNXModel(contentsOf: file).run(x).toArray(), noGrad { model(x) }.toArray(), atol: 1e-5, "onnx")
        #expect(throws: ONNXError.self) { try ONNXModel.export(Sequential { LazyLinear(2) }, sampleShape: [3], to: file) }
    }

    /// Saved weights that imply no valid size create nothing: the load throws, naming the key, and the
    /// layers stay lazy.
    @Test func savedShapesThatFitNoLayerAreReported() {
        let cases: [(Module, [String: Tensor])] = [
            (LazyConvTranspose2d(4, kernelSize: 2, groups: 2), ["weight": Tensor.zeros([3, 2, 2, 2]), "bias": Tensor.zeros([4])]),
            (LazyConv2d(8, kernelSize: 3), ["weight": Tensor.zeros([8, 0, 3, 3]), "bias": Tensor.zeros([8])]),
            (LazyBatchNorm1d(), ["weight": Tensor.zeros([0]), "bias": Tensor.zeros([0])]),
        ]
        for (layer, state) in cases {
            #expect(throws: StateDictError.self) { try layer.loadStateDict(state) }
            #expect(!(layer as! LazyModule).isMaterializedForTests, "\(layer.typeName)")
        }
    }
}

extension LazyModule {
    var isMaterializedForTests: Bool { materializedLayer != nil }
}
