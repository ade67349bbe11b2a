import Foundation
import Testing
@testable import Ember

/// Activations, RMSNorm, GLU, Unflatten and ModuleDict against PyTorch (nn_more_layers.json, from
/// scripts/make_more_layer_fixtures.py): outputs, input gradients and reprs.
@Suite("More layers")
struct MoreLayerTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("nn_more_layers.json") }

    @Test(arguments: ["logsigmoid", "softmin", "celu", "threshold", "hardshrink", "softshrink", "tanhshrink", "glu"])
    func activationMatchesTorch(_ name: String) {
        let modules: [String: Module] = [
            "logsigmoid": LogSigmoid(), "softmin": Softmin(dim: 1), "celu": CELU(alpha: 0.7),
            "threshold": Threshold(0.3, -2.0), "hardshrink": Hardshrink(lambd: 0.6), "softshrink": Softshrink(lambd: 0.4),
            "tanhshrink": Tanhshrink(), "glu": GLU(dim: 1),
        ]
        let f = object(fixture[name])
        let module = modules[name]!
        #expect(module.description == f["repr"] as! String)
        let x = tensor(fixture["activation_input"], [2, 6], requiresGrad: true)
        let y = module(x)
        #expect(y.shape == ints(f["out_shape"]))
        expectClose(y.toArray(), floats(f["out"]), name)
        y.backward(tensor(f["upstream"], y.shape))
        expectClose(x.grad!.toArray(), floats(f["grad"]), "\(name) grad")
    }

    /// CELU is x for x > 0 whatever alpha's sign and size, and alpha · (exp(x/alpha) − 1) below 0
    /// (the formula written out), with no overflow or NaN gradient far on the positive side.
    @Test func celuForAnyAlpha() {
        for alpha: Float in [-1, 0.5, 1e-30] {
            let x = Tensor([1e10, 2, 0.5, -0.5, -3], requiresGrad: true)
            let y = x.celu(alpha: alpha)
            let expected = x.toArray().map { $0 > 0 ? $0 : Swift.min(0, alpha * (Foundation.exp($0 / alpha) - 1)) }
            expectClose(y.toArray(), expected, "alpha \(alpha)")
            y.sum().backward()
            let slopes = x.toArray().map { $0 > 0 ? 1 : (alpha * (Foundation.exp($0 / alpha) - 1) < 0 ? Foundation.exp($0 / alpha) : 0) }
            expectClose(x.grad!.toArray(), slopes, "alpha \(alpha) grad")
        }
    }

    @Test func rmsNormMatchesTorch() {
        let cases = fixture["rmsnorm"] as! [[String: Any]]
        #expect(cases.count == 2)
        for c in cases {
            let shape = ints(c["shape"]), normalized = ints(c["normalized_shape"])
            let norm = RMSNorm(normalized, eps: (c["eps"] as? Double).map { Float($0) }, elementwiseAffine: c["affine"] as! Bool)
            #expect(norm.description == c["repr"] as! String)
            if let weight = norm.weight { noGrad { weight.copy_(tensor(c["weight"], normalized)) } }
            let x = tensor(c["x"], shape, requiresGrad: true)
            let y = norm(x)
            expectClose(y.toArray(), floats(c["out"]), "\(normalized) out")
            y.backward(tensor(c["upstream"], shape))
            expectClose(x.grad!.toArray(), floats(c["grad_x"]), "\(normalized) grad x")
            if let weight = norm.weight { expectClose(weight.grad!.toArray(), floats(c["grad_weight"]), "\(normalized) grad weight") }
            #expect(norm.stateDictKeys == (norm.weight == nil ? [] : ["weight"]))
        }
    }

    @Test func unflattenSplitsOneDimAndInfersMinusOne() {
        let layer = Unflatten(dim: 1, sizes: [2, 3])
        #expect(layer.description == fixture["unflatten_repr"] as! String)
        let x = Tensor((0..<24).map(Float.init), shape: [4, 6])
        let y = layer(x)
        #expect(y.shape == [4, 2, 3])
        #expect(y.toArray() == x.toArray())
        #expect(x.unflatten(dim: -1, sizes: [3, -1]).shape == [4, 3, 2])
        #expect(Flatten()(y).shape == [4, 6])
    }

    @Test func badSizesStopNamingTheShapes() async {
        let unflatten = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4, 6]).unflatten(dim: 1, sizes: [4, -1])
        }
        #expect(stderr(unflatten).contains("sizes [4, -1] do not multiply to dim 1 of shape [4, 6] (size 6)"))
        let odd = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = glu(Tensor.zeros([2, 5]))
        }
        #expect(stderr(odd).contains("glu: dim -1 of input [2, 5] has odd size 5"))
    }

    /// Keys in insertion order, PyTorch's state-dict names and repr; replacing keeps the place,
    /// removing drops the parameters, and the dict's mode reaches modules added later.
    @Test func adaptiveMaxPoolMatchesTorchWindowsTiesAndNaN() {
        let fixture = object(self.fixture["adaptive_max_pool"])
        for case let c as [String: Any] in fixture["cases"] as! [Any] {
            let (shape, size) = (ints(c["shape"]), ints(c["size"]))
            let x = tensor(c["x"], shape, requiresGrad: true)
            let layer: Module = shape.count == 4 ? AdaptiveMaxPool2d(outputSize: (size[0], size[1])) : AdaptiveMaxPool1d(size[0])
            #expect(layer.description == c["repr"] as? String)
            let out = layer(x)
            expectClose(out.toArray(), floats(c["out"]), "\(shape) → \(size)")
            if shape.count == 4 {
                #expect(adaptiveMaxPool2dWithIndices(x, outputSize: (size[0], size[1])).indices.toIntArray() == ints(c["indices"]))
            }
            (out * tensor(c["upstream"], out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_x"]), "\(shape) → \(size) grad")
        }
        let withNaN = Tensor([1, .nan, 3, .nan, 0.5, 2] as [Float], shape: [1, 1, 2, 3])
        #expect(adaptiveMaxPool2dWithIndices(withNaN, outputSize: (1, 2)).indices.toIntArray() == ints(fixture["nan_indices"]))
    }

    @Test func adaptiveMaxPoolRefusesEmptyPlanes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool2d(Tensor.zeros([1, 2, 0, 4]), outputSize: (2, 2))
        }
        #expect(stderr(result).contains("adaptiveMaxPool2d: expects a 4-D input with non-empty planes and a positive output size, got shape [1, 2, 0, 4] and output size (2, 2)"))
    }

    @Test func moduleDictKeepsInsertionOrderAndPyTorchNames() {
        let f = object(fixture["module_dict"])
        let heads = ModuleDict(["digits": Linear(4, 10), "parity": Linear(4, 2)])
        heads["aux"] = Tanh()
        #expect(heads.keys == ["digits", "parity", "aux"])
        #expect(heads.stateDictKeys == f["keys"] as! [String])
        #expect(heads.description == f["repr"] as! String)
        #expect(heads.parameters().count == 4)

        heads["digits"] = Linear(4, 3)
        #expect(heads.keys == ["digits", "parity", "aux"])
        #expect(heads["digits"]!(Tensor.zeros([1, 4])).shape == [1, 3])
        heads["parity"] = nil
        #expect(heads.keys == ["digits", "aux"])
        #expect(heads.stateDictKeys == ["digits.weight", "digits.bias"])

        heads.eval()
        heads["late"] = Dropout(0.5)
        #expect(!heads["late"]!.isTraining)
        #expect(heads.count == 3 && heads.values.map(\.typeName) == ["Linear", "Tanh", "Dropout"])

        // Built from an array of pairs (keys known only at run time), in that order.
        let tasks = ModuleDict(["b", "a"].map { ($0, Linear(2, 2) as Module) })
        #expect(tasks.keys == ["b", "a"] && tasks.stateDictKeys.first == "b.weight")
    }
}
