import Foundation
import Testing
@testable import Ember

/// Parametrizations against torch.nn.utils.parametrizations (parametrize.json, from
/// scripts/make_parametrize_fixtures.py): PyTorch's state-dict keys, outputs, the originals'
/// gradients, spectral norm's power iteration in training and not in evaluation; removal and a
/// custom parametrization.
@Suite("Parametrizations")
struct ParametrizeTests {
    let cases: [[String: Any]]
    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/parametrize.json")
        cases = (try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [Any] ?? []).map { object($0) }
    }

    func module(_ kind: String) -> Module {
        switch kind {
        case "weight_norm_linear": return weightNorm(Linear(5, 4), \.weight)
        case "weight_norm_conv_all": return weightNorm(Conv2d(2, 3, kernelSize: 2), \.weight, dim: nil)
        case "spectral_norm_linear": return spectralNorm(Linear(6, 4), \.weight)
        default: return spectralNorm(Conv2d(2, 3, kernelSize: 3), \.weight)
        }
    }

    @Test func matchesPyTorch() throws {
        #expect(cases.count == 4)
        for c in cases {
            let kind = c["kind"] as! String
            let layer = module(kind)
            #expect(layer.stateDictKeys == c["keys"] as! [String], "\(kind) keys")
            let own = layer.stateDict(), state = object(c["state"])
            var loaded: [String: Tensor] = [:]
            for (key, value) in state { loaded[key] = tensor(value, own[key]!.shape) }
            _ = try layer.loadStateDict(loaded)
            let x = tensor(c["x"], ints(c["x_shape"]))
            let out = layer(x)
            expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, "\(kind) output")
            (out * tensor(c["w"], out.shape)).sum().backward()
            let grads = object(c["grads"])
            for (name, parameter) in layer.namedParameters() {
                expectClose(parameter.grad?.toArray() ?? [], floats(grads[name]), atol: 1e-5, "\(kind) \(name) gradient")
            }
            let after = object(c["after"]), buffers = Dictionary(uniqueKeysWithValues: layer.namedBuffers())
            #expect(after.count == (kind.hasPrefix("spectral") ? 2 : 0))
            for (name, value) in after {
                expectClose(buffers[name]!.toArray(), floats(value), atol: 1e-5, "\(kind) \(name) after a training call")
            }
            layer.eval()
            expectClose(noGrad { layer(tensor(c["eval_x"], ints(c["x_shape"]))) }.toArray(), floats(c["eval_out"]),
                        atol: 1e-5, "\(kind) evaluation output")
            for (name, value) in after {
                expectClose(buffers[name]!.toArray(), floats(value), atol: 1e-5, "\(kind) \(name) unchanged by evaluation")
            }
        }
    }

    @Test func trainsTheOriginalsAndRemovesCleanly() {
        manualSeed(2)
        let layer = weightNorm(Linear(3, 2), \.weight)
        #expect(Parametrize.isParametrized(layer, "weight") && !layer.weight.isLeaf)
        #expect(layer.namedParameters().map(\.0) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"])
        let optimizer = SGD(layer.parameters(), lr: 0.1)
        let x = Tensor.randn([8, 3]), target = Tensor.randn([8, 2])
        let before = mseLoss(layer(x), target).item()
        for _ in 0..<20 {
            optimizer.zeroGrad()
            mseLoss(layer(x), target).backward()
            optimizer.step()
        }
        let trained = noGrad { layer(x) }
        #expect(mseLoss(trained, target).item() < before * 0.8)
        Parametrize.remove(layer, \.weight, name: "weight")
        #expect(!Parametrize.isParametrized(layer) && layer.weight.isLeaf && layer.weight.requiresGrad)
        #expect(layer.stateDictKeys == ["weight", "bias"])
        expectClose(noGrad { layer(x) }.toArray(), trained.toArray(), atol: 1e-6, "the same function after removal")
    }

    final class Gain: Module {
        var scale = Tensor([2, -3, 0.5] as [Float], requiresGrad: true)
        override func forward(_ x: Tensor) -> Tensor { x * scale }
    }

    /// Registration keeps the tensor's value (the right inverse) for every dim, negative and nil
    /// included, and makes PyTorch's magnitude shapes.
    @Test func registrationKeepsTheValueAndPyTorchsShapes() {
        manualSeed(8)
        for (dim, shape) in [(0, [3, 1, 1, 1]), (1, [1, 2, 1, 1]), (-1, []), (-2, [1, 1, 2, 1]), (nil, [])] as [(Int?, [Int])] {
            let conv = Conv2d(2, 3, kernelSize: 2)
            let before = conv.weight.toArray()
            weightNorm(conv, \.weight, dim: dim)
            expectClose(conv.weight.toArray(), before, atol: 1e-6, "weight after registering weightNorm(dim: \(String(describing: dim)))")
            #expect(conv.namedParameters().first { $0.0.hasSuffix("original0") }!.1.shape == shape, "g's shape for dim \(String(describing: dim))")
        }
        let gain = weightNorm(Gain(), \.scale, name: "scale")   // 1-D: one magnitude per element
        expectClose(gain.scale.toArray(), [2, -3, 0.5], atol: 1e-6, "1-D weight norm")
        #expect(gain.namedParameters().map(\.1.shape) == [[3], [3]])
        // Spectral norm on a transposed convolution normalizes over its output channels, as PyTorch's does.
        let transposed = spectralNorm(ConvTranspose2d(2, 5, kernelSize: 3), \.weight)
        #expect(transposed.namedBuffers().map(\.1.shape) == [[5], [18]])
    }

    /// The tensor follows its originals after loadStateDict, and calls with several arguments
    /// recompute it too; a frozen layer keeps its originals as (frozen) parameters.
    @Test func staysCurrentAndKeepsFrozenParameters() throws {
        manualSeed(9)
        let layer = weightNorm(Linear(2, 2), \.weight)
        var state = layer.stateDict()
        state["parametrizations.weight.original0"] = Tensor([[2], [3]] as [[Float]])
        _ = try layer.loadStateDict(state)
        let rows = layer.weight.square().sum(dim: 1).sqrt().toArray()
        expectClose(rows, [2, 3], atol: 1e-5, "row norms after loading g")

        let bilinear = weightNorm(Bilinear(2, 2, 1), \.weight)
        let optimizer = SGD(bilinear.parameters(), lr: 0.1)
        let (x1, x2) = (Tensor.randn([4, 2]), Tensor.randn([4, 2]))
        var weights: [[Float]] = []
        for _ in 0..<2 {
            optimizer.zeroGrad()
            bilinear(x1, x2).square().sum().backward()
            optimizer.step()
            weights.append(bilinear.weight.toArray())
        }
        _ = bilinear(x1, x2)
        #expect(weights[0] != weights[1] && bilinear.weight.toArray() != weights[1], "recomputed at each call")

        let frozen = Linear(3, 2)
        frozen.requiresGrad_(false)
        weightNorm(frozen, \.weight)
        #expect(frozen.stateDictKeys == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"])
        #expect(frozen.parameters().allSatisfy { !$0.requiresGrad })
        frozen.requiresGrad_(true)
        #expect(frozen.parameters().allSatisfy { $0.requiresGrad })
    }

    /// Registered in evaluation mode, spectral norm runs no power iteration; removing it without
    /// leaving the value gives back the original tensor object.
    @Test func evaluationModeAndRemovalOfTheOriginal() {
        manualSeed(10)
        let layer = Linear(4, 3).eval()
        spectralNorm(layer, \.weight)
        let u = layer.namedBuffers()[0].1.toArray()
        _ = layer(Tensor.randn([2, 4]))
        #expect(layer.namedBuffers()[0].1.toArray() == u)
        let original = layer.namedParameters().first { $0.0.hasSuffix("original") }!.1
        Parametrize.remove(layer, \.weight, name: "weight", leaveParametrized: false)
        #expect(layer.weight === original && layer.stateDictKeys == ["weight", "bias"])
    }

    /// Checkpoints of the older torch.nn.utils.weight_norm (`0.weight_g`, `0.weight_v`) load into a
    /// weightNorm parametrization, as PyTorch's compatibility hook loads them.
    @Test func legacyWeightNormKeysLoad() throws {
        manualSeed(11)
        let model = Sequential { weightNorm(Linear(3, 2), \.weight); ReLU() }
        let g = Tensor([[2], [0.5]] as [[Float]]), v = Tensor([[1, 2, 2], [0, 3, 4]] as [[Float]])
        _ = try model.loadStateDict(["0.weight_g": g, "0.weight_v": v, "0.bias": Tensor([0, 0] as [Float])])
        let state = model.stateDict()
        #expect(state["0.parametrizations.weight.original0"]!.toArray() == [2, 0.5])
        expectClose((model.children()[0] as! Linear).weight.toArray(), [2.0 / 3, 4.0 / 3, 4.0 / 3, 0, 0.3, 0.4], atol: 1e-6,
                    "g·v/‖v‖ from the legacy keys")
    }

    /// `cell(x)` and `cell(x, nil)` advance spectral norm's power iteration once each (the one-tensor
    /// call goes through `forward`, which must not refresh a second time).
    @Test func oneRefreshPerCall() throws {
        let x = Tensor.randn([2, 3], generator: RandomGenerator(seed: 4))
        let (first, second) = (spectralNorm(GRUCell(3, 4), \.weightHh), spectralNorm(GRUCell(3, 4), \.weightHh))
        _ = try second.loadStateDict(first.stateDict())   // the same state (loading does not iterate)
        _ = first(x)
        _ = second(x, nil)
        #expect(first.namedBuffers()[0].1.toArray() == second.namedBuffers()[0].1.toArray())
    }

    final class Symmetric: ParametrizationModule {
        override func compute(_ originals: [Tensor]) -> Tensor { originals[0].triu() + originals[0].triu(diagonal: 1).mT }
    }

    @Test func customParametrizationStaysSymmetric() {
        manualSeed(5)
        let layer = Parametrize.register(Linear(3, 3, bias: false), \.weight, name: "weight", Symmetric())
        #expect(layer.stateDictKeys == ["parametrizations.weight.original"])
        let optimizer = Adam(layer.parameters(), lr: 0.05)
        let x = Tensor.randn([4, 3])
        for _ in 0..<5 {
            optimizer.zeroGrad()
            layer(x).square().sum().backward()
            optimizer.step()
        }
        _ = layer(x)
        expectClose(layer.weight.toArray(), layer.weight.mT.contiguous().toArray(), atol: 0, "symmetric weight")
        #expect("\(layer)".contains("(parametrizations): ModuleDict"))
    }
}
