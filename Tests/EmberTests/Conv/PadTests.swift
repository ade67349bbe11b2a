import Foundation
import Testing
@testable import Ember

/// `pad` in its four modes, the padding layers, pixel (un)shuffle, unfold/fold and convolutions with
/// a padding mode, against PyTorch (scripts/make_pad_fixtures.py → Fixtures/pad.json).
@Suite struct PadTests {
    static let fixture: [String: Any] = (try? loadFixture("pad.json")) ?? [:]
    static let cases: [String: [String: Any]] = {
        let list = fixture["cases"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }()

    @Test func fixturesLoaded() { #expect(Self.cases.count == 14) }

    static func apply(_ c: [String: Any], _ x: Tensor) -> Tensor {
        let args = c["args"] as! [String: Any]
        func pair(_ key: String) -> (Int, Int) { let v = args[key] as! [Int]; return (v[0], v[1]) }
        switch c["name"] as! String {
        case "pixel_shuffle": return PixelShuffle(args["factor"] as! Int)(x)
        case "pixel_unshuffle": return pixelUnshuffle(x, downscaleFactor: args["factor"] as! Int)
        case "unfold":
            return Unfold(kernelSize: pair("kernel"), dilation: pair("dilation"), padding: pair("padding"),
                          stride: pair("stride"))(x)
        case "fold":
            return fold(x, outputSize: pair("output"), kernelSize: pair("kernel"), dilation: pair("dilation"),
                        padding: pair("padding"), stride: pair("stride"))
        default:
            let mode = PadMode(rawValue: args["mode"] as! String)!
            return pad(x, args["pad"] as! [Int], mode: mode, value: (args["value"] as? NSNumber)?.floatValue ?? 0)
        }
    }

    @Test(arguments: cases.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let x = Tensor(floats(c["x"]), shape: c["shape"] as! [Int], requiresGrad: true)
        let out = Self.apply(c, x)
        #expect(out.shape == c["out_shape"] as! [Int], "\(name) shape")
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, rtol: 1e-5, name)
        (out * Tensor(floats(c["r"]), shape: out.shape)).sum().backward()
        expectClose(try #require(x.grad).toArray(), floats(c["grad"]), atol: 1e-5, rtol: 1e-4, "\(name) grad")
    }

    @Test(arguments: ["reflect", "replicate", "circular"])
    func convolutionWithAPaddingModeMatchesPyTorch(_ mode: String) throws {
        let c = try #require((Self.fixture["convs"] as? [String: [String: Any]])?[mode])
        let conv = Conv2d(2, 3, kernelSize: (3, 2), padding: .explicit(1, 2), paddingMode: PaddingMode(rawValue: mode)!)
        noGrad {
            conv.weight.copy_(Tensor(floats(c["weight"]), shape: [3, 2, 3, 2]))
            conv.bias!.copy_(Tensor(floats(c["bias"])))
        }
        #expect(conv.description == c["repr"] as! String)
        let x = Tensor(floats(c["x"]), shape: [2, 2, 4, 5], requiresGrad: true)
        let out = conv(x)
        #expect(out.shape == c["out_shape"] as! [Int])
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, rtol: 1e-4, "\(mode) conv")
        (out * Tensor(floats(c["r"]), shape: out.shape)).sum().backward()
        expectClose(try #require(x.grad).toArray(), floats(c["grad"]), atol: 1e-4, rtol: 1e-4, "\(mode) conv grad")
        expectClose(conv.weight.grad!.toArray(), floats(c["grad_weight"]), atol: 1e-4, rtol: 1e-4, "\(mode) weight grad")
    }

    @Test func layersPrintLikePyTorch() throws {
        let reprs = try #require(Self.fixture["reprs"] as? [String: String])
        let layers: [String: Module] = [
            "ZeroPad1d": ZeroPad1d((1, 2)), "ZeroPad2d": ZeroPad2d(2),
            "ConstantPad1d": ConstantPad1d(3, value: 1.5), "ConstantPad2d": ConstantPad2d((1, 0, 2, 3), value: -2),
            "ReflectionPad1d": ReflectionPad1d(2), "ReflectionPad2d": ReflectionPad2d((1, 2, 2, 1)),
            "ReplicationPad1d": ReplicationPad1d((0, 3)), "ReplicationPad2d": ReplicationPad2d(1),
            "CircularPad1d": CircularPad1d(1), "CircularPad2d": CircularPad2d((1, 3, 2, 0)),
            "PixelShuffle": PixelShuffle(2), "PixelUnshuffle": PixelUnshuffle(3),
            "Unfold": Unfold(kernelSize: (2, 3), dilation: (1, 2), padding: (1, 1), stride: (2, 1)),
            "Fold": Fold(outputSize: (5, 6), kernelSize: (2, 3), dilation: (1, 2), padding: (1, 1), stride: (2, 1)),
        ]
        #expect(layers.count == reprs.count)
        for (name, layer) in layers { #expect(layer.description == reprs[name], "\(name)") }
    }

    @Test func paddingLayersPadTheirDims() {
        let x = Tensor([1, 2, 3] as [Float], shape: [1, 1, 3])
        #expect(ReflectionPad1d(2)(x).toArray() == [3, 2, 1, 2, 3, 2, 1])
        #expect(ReplicationPad1d((2, 1))(x).toArray() == [1, 1, 1, 2, 3, 3])
        #expect(CircularPad1d((2, 1))(x).toArray() == [2, 3, 1, 2, 3, 1])
        #expect(ConstantPad1d((1, 0), value: 9)(x).toArray() == [9, 1, 2, 3])
        // Integers stay integers.
        let ints = Tensor([1, 2, 3], shape: [1, 1, 3])
        #expect(pad(ints, [1, 1]).dtype == .int64 && pad(ints, [1, 1]).toIntArray() == [0, 1, 2, 3, 0])
        #expect(pad(ints, [1, 1, 1, 1]).dtype == .int64)
        let image = Tensor((1...4).map(Float.init), shape: [1, 1, 2, 2])
        #expect(ZeroPad2d((1, 0, 0, 1))(image).toArray() == [0, 1, 2, 0, 3, 4, 0, 0, 0])
        // pixelUnshuffle undoes pixelShuffle; fold of unfold counts each pixel's windows.
        let planes = Tensor.randn([2, 8, 3, 3])
        #expect(pixelUnshuffle(pixelShuffle(planes, upscaleFactor: 2), downscaleFactor: 2).toArray() == planes.toArray())
        let ones = Tensor.ones([1, 1, 3, 3])
        let counts = fold(unfold(ones, kernelSize: (2, 2)), outputSize: (3, 3), kernelSize: (2, 2))
        #expect(counts.toArray() == [1, 2, 1, 2, 4, 2, 1, 2, 1])
    }

    @Test func reflectionWiderThanTheInputStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = pad(Tensor.zeros([1, 1, 3]), [3, 0], mode: .reflect)
        }
        #expect(stderr(r).contains("pad: reflect padding of (3, 0) on dim 2 of input [1, 1, 3]: "
            + "reflection needs padding smaller than the dim's size 3"))
    }
}
