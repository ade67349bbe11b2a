import Foundation
import Testing
@testable import Ember

/// LazyLinear: its size from the first input, its weights drawn as Linear's would be, state dicts
/// that create them, and a CNN head trained without working out the flattened size.
@Suite("LazyLinear")
struct LazyLinearTests {
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
        #expect(lazy.description == "LazyLinear(in_features=3, out_features=4, bias=True)")
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

    /// PyTorch's MNIST CNN with its first fully connected layer lazy: 9216 inputs, never written down.
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

    @Test func aConvolutionalHeadTrains() {
        manualSeed(3)
        let model = Sequential {
            Conv2d(1, 4, kernelSize: 3)
            ReLU()
            MaxPool2d(2)
            Flatten()
            LazyLinear(16)
            ReLU()
            LazyLinear(3)
        }
        let x = Tensor.randn([24, 1, 10, 10]), labels = Tensor((0..<24).map { $0 % 3 }, shape: [24])
        _ = model(x[0..<1])   // one batch creates the lazy weights
        #expect((model[4] as! LazyLinear).inFeatures == 64 && model.parameters().count == 6)
        let optimizer = Adam(model.parameters(), lr: 0.01)
        var losses: [Float] = []
        for _ in 0..<60 {
            let loss = crossEntropy(model(x), labels)
            losses.append(loss.item())
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
        }
        #expect(losses.last! < 0.2 * losses.first!)
    }

    @Test func badInputsStopWithAMessage() async {
        let twice = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = LazyLinear(2)
            _ = layer(Tensor.zeros([1, 3]))
            layer.materialize(inFeatures: 4)
        }
        #expect(stderr(twice).contains("LazyLinear: already materialized with in_features 3"))
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LazyLinear(2)(Tensor(1))
        }
        #expect(stderr(scalar).contains("LazyLinear: expects inputs [..., in_features], got a scalar"))
    }
}
