import Foundation
import Testing
@testable import Ember

/// Pruning against torch.nn.utils.prune (pruning.json, from scripts/make_pruning_fixtures.py): the
/// masks of repeated L1 and Ln pruning, global pruning, importance scores, state-dict keys, outputs,
/// the originals' gradients, `remove` and the rounding of amounts; then what PyTorch's randomness
/// keeps from a fixture (counts and whole channels), training and checkpoints.
@Suite("Pruning")
struct PruningTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("pruning.json") }

    @Test func repeatedPruningOfALinearLayerMatchesPyTorch() throws {
        let c = object(fixture["linear"])
        let fc = Linear(6, 5)
        noGrad { fc.weight.copy_(tensor(c["weight"], [5, 6])); fc.bias!.copy_(tensor(c["bias"], [5])) }
        let weight = fc.weight
        for (i, step) in (c["steps"] as! [Any]).map(object).enumerated() {
            let isWeight = step["name"] as! String == "weight"
            let amount: PruningAmount = step["integer"] as! Bool
                ? .count((step["amount"] as! NSNumber).intValue) : .fraction((step["amount"] as! NSNumber).doubleValue)
            if step["method"] as! String == "l1" {
                if isWeight { Prune.l1Unstructured(fc, \.weight, amount: amount) } else { Prune.l1Unstructured(fc, \.bias, amount: amount) }
            } else {
                Prune.lnStructured(fc, \.weight, amount: amount, n: (step["n"] as! NSNumber).floatValue, dim: (step["dim"] as! NSNumber).intValue)
            }
            let mask = fc.stateDict()[isWeight ? "weight_mask" : "bias_mask"]!
            #expect(mask.toArray() == floats(step["mask"]), "step \(i)")
        }
        #expect(fc.stateDictKeys == c["keys"] as! [String])
        #expect(fc.namedParameters().map(\.0) == ["weight_orig", "bias_orig"] && fc.parameters()[0] === weight)
        let x = tensor(c["x"], [3, 6])
        let out = fc(x)
        expectClose(out.toArray(), floats(c["out"]), "output")
        (out * tensor(c["w"], [3, 5])).sum().backward()
        expectClose(weight.grad!.toArray(), floats(c["weight_orig_grad"]), "weight_orig's gradient")
        expectClose(fc.parameters()[1].grad!.toArray(), floats(c["bias_orig_grad"]), "bias_orig's gradient")

        // PyTorch's state dict of the pruned layer loads into a layer pruned the same way (identity will do).
        let twin = Linear(6, 5)
        Prune.identity(twin, \.weight)
        Prune.identity(twin, \.bias)
        try twin.loadStateDict(object(c["state"]).mapValues { tensor($0, [floats($0).count]) }.reduce(into: [:]) { out, entry in
            out[entry.key] = entry.value.reshape(twin.stateDict()[entry.key]!.shape)
        })
        expectClose(twin(x).toArray(), floats(c["out"]), "output after loading PyTorch's pruned state dict")

        Prune.remove(fc, \.weight)
        #expect(fc.weight === weight && weight.isLeaf && weight.requiresGrad)
        #expect(Set(fc.stateDictKeys) == Set(c["removed_keys"] as! [String]))
        #expect(fc.weight.toArray() == floats(c["removed_weight"]))
        #expect(Prune.isPruned(fc))
        Prune.remove(fc, \.bias)
        #expect(!Prune.isPruned(fc) && fc.stateDictKeys == ["weight", "bias"])
    }

    @Test func structuredPruningOfFiltersMatchesPyTorch() {
        let c = object(fixture["conv"])
        let conv = Conv2d(3, 4, kernelSize: 2)
        noGrad { conv.weight.copy_(tensor(c["weight"], [4, 3, 2, 2])) }
        let steps = (c["steps"] as! [Any]).map(object)
        Prune.lnStructured(conv, \.weight, amount: 0.5, n: .infinity, dim: 0)
        #expect(conv.stateDict()["weight_mask"]!.toArray() == floats(steps[0]["mask"]))
        Prune.lnStructured(conv, \.weight, amount: 1, n: -.infinity, dim: 1)
        #expect(conv.stateDict()["weight_mask"]!.toArray() == floats(steps[1]["mask"]))
        Prune.l1Unstructured(conv, \.weight, amount: 0.25)
        #expect(conv.stateDict()["weight_mask"]!.toArray() == floats(steps[2]["mask"]))
        // The layer computes with the pruned filters.
        let x = Tensor.randn([1, 3, 5, 5])
        let expected = conv2d(x, weight: conv.parameters()[1] * conv.stateDict()["weight_mask"]!, bias: conv.bias)
        expectClose(conv(x).toArray(), expected.toArray(), "pruned convolution")
    }

    @Test func globalPruningRanksSeveralTensorsTogether() {
        let c = object(fixture["global_"])
        let (a, b) = (Linear(4, 3), Linear(3, 2))
        noGrad {
            a.weight.copy_(tensor(c["a_weight"], [3, 4]))
            b.weight.copy_(tensor(c["b_weight"], [2, 3]))
            b.bias!.copy_(tensor(c["b_bias"], [2]))
        }
        Prune.l1Unstructured(a, \.weight, amount: 0.25)
        #expect(a.stateDict()["weight_mask"]!.toArray() == floats(c["a_first_mask"]))
        Prune.globalUnstructured([PruningTarget(a, \.weight), PruningTarget(b, \.weight), PruningTarget(b, \.bias)],
                                 L1Unstructured(amount: 0.3))
        #expect(a.stateDict()["weight_mask"]!.toArray() == floats(c["a_mask"]))
        #expect(b.stateDict()["weight_mask"]!.toArray() == floats(c["b_mask"]))
        #expect(b.stateDict()["bias_mask"]!.toArray() == floats(c["b_bias_mask"]))
    }

    @Test func importanceScoresChooseWhatIsPruned() {
        let c = object(fixture["importance"])
        let fc = Linear(4, 3)
        noGrad { fc.weight.copy_(tensor(c["weight"], [3, 4])) }
        let scores = tensor(c["scores"], [3, 4])
        Prune.l1Unstructured(fc, \.weight, amount: 5, importanceScores: scores)
        #expect(fc.stateDict()["weight_mask"]!.toArray() == floats(c["l1_mask"]))
        Prune.lnStructured(fc, \.weight, amount: 1, n: 2, dim: 0, importanceScores: scores)
        #expect(fc.stateDict()["weight_mask"]!.toArray() == floats(c["ln_mask"]))
    }

    /// Fractions round half to even, as Python's `round`: 0.5 of 5 entries is 2, 0.7 of 5 is 4.
    @Test func fractionsRoundAsPython() {
        for row in fixture["rounding"] as! [[NSNumber]] {
            let (size, fraction, pruned) = (row[0].intValue, row[1].doubleValue, row[2].intValue)
            #expect(PruningAmount.fraction(fraction).units(of: size, "test") == pruned, "\(fraction) of \(size)")
        }
    }

    /// Random pruning cannot replay PyTorch's generator: it prunes the right number of entries (or
    /// whole channels), never one pruned before, and the same ones for the same seed.
    @Test func randomPruningPrunesTheRightAmount() {
        let fc = Linear(10, 8)
        Prune.randomUnstructured(fc, \.weight, amount: 0.25, generator: RandomGenerator(seed: 3))
        let first = fc.stateDict()["weight_mask"]!.toArray()
        #expect(first.count { $0 == 0 } == 20 && first.allSatisfy { $0 == 0 || $0 == 1 })
        Prune.randomUnstructured(fc, \.weight, amount: 30, generator: RandomGenerator(seed: 4))
        let second = fc.stateDict()["weight_mask"]!.toArray()
        #expect(second.count { $0 == 0 } == 50 && zip(first, second).allSatisfy { $0 == 1 || $1 == 0 })
        #expect(zip(fc.weight.toArray(), second).allSatisfy { $1 == 1 || $0 == 0 })

        let again = Linear(10, 8)
        Prune.randomUnstructured(again, \.weight, amount: 0.25, generator: RandomGenerator(seed: 3))
        #expect(again.stateDict()["weight_mask"]!.toArray() == first)

        let conv = Conv2d(2, 6, kernelSize: 3)
        Prune.randomStructured(conv, \.weight, amount: 0.5, dim: 0, generator: RandomGenerator(seed: 5))
        let filters = conv.stateDict()["weight_mask"]!.reshape([6, -1]).toArray()
        let perFilter = (0..<6).map { Array(filters[$0 * 18..<($0 + 1) * 18]) }
        #expect(perFilter.allSatisfy { Set($0).count == 1 } && perFilter.count { $0[0] == 0 } == 3)
    }

    /// A pruned layer trains: its zeros stay zeros through optimizer steps, the original keeps its
    /// values where pruned (PyTorch's gradient there is 0), and the loss falls.
    @Test func prunedLayersTrainAndStayPruned() {
        manualSeed(11)
        let model = Sequential { Linear(4, 16); ReLU(); Linear(16, 1) }
        let x = Tensor.randn([64, 4])
        let y = x.matmul(Tensor([1, -2, 0.5, 3] as [Float], shape: [4, 1]))
        let optimizer = Adam(model.parameters(), lr: 0.01)
        let first = model[0] as! Linear
        let original = first.weight.clone()
        Prune.l1Unstructured(first, \.weight, amount: 0.5)
        var losses: [Float] = []
        for _ in 0..<50 {
            let loss = mseLoss(model(x), y)
            losses.append(loss.item())
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
        }
        #expect(losses.last! < losses.first! * 0.2)
        let mask = model.stateDict()["0.weight_mask"]!.toArray()
        #expect(mask.count { $0 == 0 } == 32 && zip(first.weight.toArray(), mask).allSatisfy { $1 == 1 || $0 == 0 })
        let kept = model.stateDict()["0.weight_orig"]!.toArray()
        #expect(zip(zip(kept, original.toArray()), mask).allSatisfy { pair, m in m == 1 || pair.0 == pair.1 })
        #expect(Set(model.stateDictKeys) == ["0.weight_orig", "0.bias", "0.weight_mask", "2.weight", "2.bias"])
    }

    /// A pruned model's checkpoint loads into a model pruned the same way (`identity` will do), and
    /// the layer then computes with the loaded mask; an unpruned model says what to do.
    @Test func prunedCheckpointsLoad() throws {
        let source = Linear(5, 3)
        Prune.l1Unstructured(source, \.weight, amount: 0.4)
        let state = source.stateDict().mapValues { $0.clone() }
        let plain = Linear(5, 3)
        #expect(throws: StateDictError.self) { try plain.loadStateDict(state) }
        do { try plain.loadStateDict(state) } catch {
            #expect("\(error)".contains("The checkpoint's weight is pruned (weight_orig and weight_mask): prune the model's tensor"))
        }
        let target = Linear(5, 3)
        Prune.identity(target, \.weight)
        #expect(target.stateDict()["weight_mask"]!.toArray() == Array(repeating: 1, count: 15))
        try target.loadStateDict(state)
        let x = Tensor.randn([2, 5])
        #expect(target(x).toArray() == source(x).toArray())
        #expect(target.weight.toArray() == source.weight.toArray())
        #expect(throws: StateDictError.self) { try target.loadStateDict(["weight": Tensor.zeros([3, 5]), "bias": Tensor.zeros([3])]) }
        do { try target.loadStateDict(["weight": Tensor.zeros([3, 5]), "bias": Tensor.zeros([3])]) } catch {
            #expect("\(error)".contains("The model's weight is pruned (weight_orig and weight_mask) and the checkpoint's is not"))
        }
    }

    @Test func globalPruningWithScoresAndACount() {
        let c = object(fixture["global_scores"])
        let (a, b) = (Linear(3, 2), Linear(2, 2))
        noGrad { a.weight.copy_(tensor(c["a_weight"], [2, 3])); b.weight.copy_(tensor(c["b_weight"], [2, 2])) }
        Prune.globalUnstructured([PruningTarget(a, \.weight), PruningTarget(b, \.weight)], L1Unstructured(amount: 4),
                                 importanceScores: [tensor(c["a_scores"], [2, 3]), tensor(c["b_scores"], [2, 2])])
        #expect(a.stateDict()["weight_mask"]!.toArray() == floats(c["a_mask"]))
        #expect(b.stateDict()["weight_mask"]!.toArray() == floats(c["b_mask"]))
    }

    /// Layers whose classes list their own parameters or buffers still list `_orig` and `_mask`;
    /// frozen tensors stay frozen; a subclass's key path finds the pruning made through its base class.
    @Test func prunedTensorsOfEveryKindOfLayer() {
        let norm = InstanceNorm1d(3, affine: true)
        Prune.l1Unstructured(norm, \.weight!, amount: 1)
        #expect(norm.stateDictKeys == ["bias", "weight_orig", "weight_mask"])   // PyTorch's keys and order

        let frozen = Linear(3, 2)
        frozen.weight.requiresGrad = false
        let original = frozen.weight
        Prune.l1Unstructured(frozen, \.weight, amount: 2)
        #expect(frozen.stateDictKeys == ["bias", "weight_orig", "weight_mask"] && original.isFrozen)
        #expect(frozen.parameters().count == 2 && !frozen.weight.requiresGrad)
        Prune.remove(frozen, \.weight)
        #expect(frozen.weight === original && original.isFrozen && frozen.stateDictKeys == ["weight", "bias"])

        final class Scaled: Linear {}
        let scaled = Scaled(4, 3)
        Prune.l1Unstructured(scaled, \Scaled.weight, amount: 3)
        let base: Linear = scaled
        Prune.l1Unstructured(base, \Linear.weight, amount: 3)   // the same tensor, pruned again
        #expect(scaled.weight.eq(0).sum().item() == 6 && scaled.stateDictKeys.count { $0.hasSuffix("_mask") } == 1)
        Prune.remove(base, \Linear.weight)
        #expect(!Prune.isPruned(scaled))
    }

    /// Structured pruning along a negative dim, with a method of one's own; pruning after an
    /// optimizer step scores the weights as they are now, not as the layer last computed them.
    @Test func customMethodsNegativeDimsAndFreshScores() {
        struct LastChannels: PruningMethod {
            var kind: PruningKind { .structured(dim: -1) }
            func computeMask(_ t: Tensor, defaultMask: Tensor) -> Tensor {
                let n = t.shape[1]
                return defaultMask * Tensor((0..<n).map { $0 < n - 1 ? 1 : 0 } as [Float], shape: [1, n])
            }
        }
        let fc = Linear(4, 2)
        Prune.apply(LastChannels(), to: PruningTarget(fc, \.weight))
        Prune.apply(LastChannels(), to: PruningTarget(fc, \.weight))   // the last of the three left
        #expect(fc.stateDict()["weight_mask"]!.toArray() == [1, 1, 0, 0, 1, 1, 0, 0])
        Prune.lnStructured(fc, \.weight, amount: 1, n: 1, dim: -2)
        #expect(fc.weight.eq(0).sum().item() == 6)   // one row: its two entries left

        let layer = Linear(2, 1, bias: false)
        noGrad { layer.weight.copy_(Tensor([1, 2] as [Float], shape: [1, 2])) }
        Prune.identity(layer, \.weight)
        noGrad { layer.parameters()[0].copy_(Tensor([3, 0.5] as [Float], shape: [1, 2])) }   // an optimizer's step, no call since
        Prune.l1Unstructured(layer, \.weight, amount: 1)
        #expect(layer.weight.toArray() == [3, 0])
    }

    @Test func customMasksAndPruningEverything() {
        let fc = Linear(3, 2)
        Prune.customFromMask(fc, \.weight, mask: Tensor([1, 0, 1, 0, 1, 1] as [Float], shape: [2, 3]))
        #expect(fc.weight.toArray().enumerated().allSatisfy { [1, 3].contains($0.offset) == ($0.element == 0) })
        Prune.l1Unstructured(fc, \.weight, amount: 1.0)   // all that is left
        #expect(fc.stateDict()["weight_mask"]!.toArray() == [0, 0, 0, 0, 0, 0])
        Prune.l1Unstructured(fc, \.weight, amount: 0.5)   // nothing is left to prune
        #expect(fc.weight.toArray() == [0, 0, 0, 0, 0, 0])
    }

    @Test func badPruningStopsWithAMessage() async {
        let amount15 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.l1Unstructured(Linear(2, 2), \.weight, amount: 1.5)
        }
        #expect(stderr(amount15).contains("amount 1.5 is not a fraction in [0, 1] (or a count: an Int)"))
        let tooMany = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.l1Unstructured(Linear(2, 2), \.weight, amount: 5)
        }
        #expect(stderr(tooMany).contains("amount 5 is more than the 4 units there are to prune"))
        let flat = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.apply(LnStructured(amount: 1, n: 2, dim: 0), to: PruningTarget(Linear(2, 2), \.bias))
        }
        #expect(stderr(flat).contains("structured pruning needs a tensor of 2 or more dims"))
        let notPruned = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.remove(Linear(2, 2), \.weight)
        }
        #expect(stderr(notPruned).contains("is not pruned"))
        let noBias = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.l1Unstructured(Linear(2, 2, bias: false), \.bias, amount: 1)
        }
        #expect(stderr(noBias).contains("is nil: there is no tensor to prune"))
        let structuredGlobal = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.globalUnstructured([PruningTarget(Linear(2, 2), \.weight)], LnStructured(amount: 1, n: 2, dim: 0))
        }
        #expect(stderr(structuredGlobal).contains("globalUnstructured: the method must be unstructured"))
        let badScores = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.l1Unstructured(Linear(2, 2), \.weight, amount: 1, importanceScores: Tensor.zeros([3]))
        }
        #expect(stderr(badScores).contains("importance scores of shape [3] for Linear"))
        let copied = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = TransformerEncoderLayer(dModel: 4, nhead: 2, dimFeedforward: 8)
            Prune.l1Unstructured(layer.linear1, \.weight, amount: 0.5)
            _ = TransformerEncoder(layer, numLayers: 2)
        }
        #expect(stderr(copied).contains("has pruned tensors and cannot be copied"))
        let parametrized = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = Linear(2, 2)
            Prune.identity(layer, \.weight)
            weightNorm(layer, \.weight)
        }
        #expect(stderr(parametrized).contains("weight of Linear is pruned; Prune.remove it first"))
        let globalScores = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.globalUnstructured([PruningTarget(Linear(2, 2), \.weight)], L1Unstructured(amount: 1), importanceScores: [Tensor.zeros([5])])
        }
        #expect(stderr(globalScores).contains("globalUnstructured: importance scores of shape [5]"))
        let maskShape = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.customFromMask(Linear(2, 2), \.weight, mask: Tensor.ones([4]))
        }
        #expect(stderr(maskShape).contains("customFromMask: the mask's shape [4] is not the tensor's [2, 2]"))
        let dim = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Prune.lnStructured(Linear(2, 2), \.weight, amount: 1, n: 2, dim: 2)
        }
        #expect(stderr(dim).contains("dim 2 is out of range for shape [2, 2]"))
    }
}
