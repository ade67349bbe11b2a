import Testing
@testable import Ember

/// conv2d, max/avg/adaptive pooling: outputs and gradients against PyTorch (scripts/make_conv_fixtures.py),
/// plus finite differences on a small case.
@Suite struct ConvolutionTests {
    /// conv.json, read once for this suite and the transposed convolution, interpolation and
    /// instance norm suites, which test its later cases.
    static let fixture: [String: Any] = (try? loadFixture("conv.json")) ?? [:]
    static let cases: [[String: Any]] = fixture["cases"] as? [[String: Any]] ?? []
    /// The printed forms of layers, by name.
    static let reprs: [String: String] = fixture["reprs"] as? [String: String] ?? [:]

    /// A fixture's size argument as a pair: an integer for both dims, a list, or `fallback` when absent.
    static func pair(_ value: Any?, _ fallback: Int = 1) -> (Int, Int) {
        if let n = value as? Int { return (n, n) }
        if let a = value as? [Int] { return (a[0], a[1]) }
        return (fallback, fallback)
    }

    /// The output, and the gradients of sum(output · r) of the given leaves, against the case's PyTorch values.
    static func expectMatches(_ c: [String: Any], _ out: Tensor, gradients: [String: Tensor?], atol: Float,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let name = c["name"] as! String
        #expect(out.shape == c["out_shape"] as! [Int], "\(name)", sourceLocation: sourceLocation)
        expectClose(out.toArray(), floats(c["out"]), atol: atol, name, sourceLocation: sourceLocation)
        (out * Tensor(floats(c["r"]), shape: out.shape)).sum().backward()
        for (key, leaf) in gradients.sorted(by: { $0.key < $1.key }) {
            guard let leaf else { continue }
            expectClose(leaf.grad!.toArray(), floats(c[key]), atol: atol, "\(name) \(key)", sourceLocation: sourceLocation)
        }
    }

    @Test func fixturesLoaded() {
        #expect(Self.cases.count == 46)
    }

    @Test(arguments: 17..<20)
    func conv1dMatchesPyTorch(_ index: Int) throws {
        let c = Self.cases[index]
        let x = Tensor(floats(c["x"]), shape: (c["x_shape"] as! [Int]), requiresGrad: true)
        let w = Tensor(floats(c["w"]), shape: (c["w_shape"] as! [Int]), requiresGrad: true)
        let b: Tensor? = c["b"] is NSNull || c["b"] == nil ? nil : Tensor(floats(c["b"]), requiresGrad: true)
        let padding: Padding = (c["padding"] as? String) == "same" ? .same : .explicit(c["padding"] as! Int, c["padding"] as! Int)
        let out = conv1d(x, weight: w, bias: b, stride: c["stride"] as! Int, padding: padding,
                         dilation: c["dilation"] as! Int, groups: c["groups"] as! Int)
        Self.expectMatches(c, out, gradients: ["grad_x": x, "grad_w": w, "grad_b": b], atol: 1e-4)
    }

    @Test(arguments: 0..<8)
    func conv2dMatchesPyTorch(_ index: Int) throws {
        let c = Self.cases[index]
        let x = Tensor(floats(c["x"]), shape: (c["x_shape"] as! [Int]), requiresGrad: true)
        let w = Tensor(floats(c["w"]), shape: (c["w_shape"] as! [Int]), requiresGrad: true)
        let b: Tensor? = c["b"] is NSNull || c["b"] == nil ? nil : Tensor(floats(c["b"]), requiresGrad: true)
        let padding: Padding = (c["padding"] as? String) == "same" ? .same
            : .explicit(Self.pair(c["padding"]).0, Self.pair(c["padding"]).1)
        let out = conv2d(x, weight: w, bias: b, stride: Self.pair(c["stride"]), padding: padding,
                         dilation: Self.pair(c["dilation"]), groups: c["groups"] as! Int)
        Self.expectMatches(c, out, gradients: ["grad_x": x, "grad_w": w, "grad_b": b], atol: 1e-4)
    }

    @Test(arguments: 8..<17)
    func poolingMatchesPyTorch(_ index: Int) throws {
        let c = Self.cases[index]
        let name = c["name"] as! String, kind = c["kind"] as! String
        let args = c["args"] as! [String: Any]
        let x = Tensor(floats(c["x"]), shape: (c["x_shape"] as! [Int]), requiresGrad: true)
        let out: Tensor
        switch kind {
        case "max":
            out = maxPool2d(x, kernel: Self.pair(args["kernel_size"]), stride: args["stride"].map { Self.pair($0) },
                            padding: args["padding"].map { Self.pair($0) } ?? (0, 0),
                            dilation: args["dilation"].map { Self.pair($0) } ?? (1, 1))
        case "avg":
            out = avgPool2d(x, kernel: Self.pair(args["kernel_size"]), stride: args["stride"].map { Self.pair($0) },
                            padding: args["padding"].map { Self.pair($0) } ?? (0, 0),
                            countIncludePad: args["count_include_pad"] as? Bool ?? true)
        default:
            out = adaptiveAvgPool2d(x, outputSize: Self.pair(args["output_size"]))
        }
        Self.expectMatches(c, out, gradients: ["grad_x": x], atol: 1e-5)
    }

    @Test(arguments: 20..<24)
    func pooling1dMatchesPyTorch(_ index: Int) throws {
        let c = Self.cases[index]
        let name = c["name"] as! String, kind = c["kind"] as! String
        let args = c["args"] as! [String: Any]
        let x = Tensor(floats(c["x"]), shape: (c["x_shape"] as! [Int]), requiresGrad: true)
        let out: Tensor
        switch kind {
        case "max1d":
            out = MaxPool1d(args["kernel_size"] as! Int, stride: args["stride"] as? Int, padding: args["padding"] as? Int ?? 0,
                            dilation: args["dilation"] as? Int ?? 1)(x)
        case "avg1d":
            out = AvgPool1d(args["kernel_size"] as! Int, stride: args["stride"] as? Int, padding: args["padding"] as? Int ?? 0,
                            countIncludePad: args["count_include_pad"] as? Bool ?? true)(x)
        default:
            out = AdaptiveAvgPool1d(args["output_size"] as! Int)(x)
        }
        Self.expectMatches(c, out, gradients: ["grad_x": x], atol: 1e-5)
        // Unbatched [C, L] gives the first sample's result.
        let first = x.detach().select(0, 0)
        let single = kind == "adaptive1d" ? adaptiveAvgPool1d(first, outputSize: args["output_size"] as! Int)
            : kind == "max1d" ? maxPool1d(first, kernel: args["kernel_size"] as! Int, stride: args["stride"] as? Int,
                                          padding: args["padding"] as? Int ?? 0, dilation: args["dilation"] as? Int ?? 1)
            : avgPool1d(first, kernel: args["kernel_size"] as! Int, stride: args["stride"] as? Int,
                        padding: args["padding"] as? Int ?? 0, countIncludePad: args["count_include_pad"] as? Bool ?? true)
        expectClose(single.toArray(), out.detach().select(0, 0).toArray(), "\(name) unbatched")
    }

    @Test func conv2dGradientsMatchFiniteDifferences() {
        manualSeed(3)
        let x = Tensor.randn([1, 2, 5, 4], requiresGrad: true)
        let w = Tensor.randn([3, 2, 3, 2], requiresGrad: true)
        let r = Tensor.randn([1, 3, 3, 3])
        let f = { (input: Tensor) in conv2d(input, weight: w.detach(), stride: (2, 2), padding: 1) * r }
        f(x).sum().backward()
        expectClose(x.grad!.toArray(), numericalGradient(of: f, at: x), atol: 2e-2, rtol: 1e-2, "finite differences")
        let g = { (weight: Tensor) in conv2d(x.detach(), weight: weight, stride: (2, 2), padding: 1) * r }
        g(w).sum().backward()
        expectClose(w.grad!.toArray(), numericalGradient(of: g, at: w), atol: 2e-2, rtol: 1e-2, "finite differences w")
    }

    @Test func evaluationInBlocksMatchesOneBatch() {
        // 16 channels, 5×5 kernel, 64×64 output: 6.5 MB of columns per image, so without a graph the
        // 48 images run in blocks of 9; the result must equal the recorded single pass.
        manualSeed(21)
        let x = Tensor.randn([48, 16, 64, 64])
        let w = Tensor.randn([8, 16, 5, 5], requiresGrad: true), b = Tensor.randn([8])
        let blocked = noGrad { conv2d(x, weight: w, bias: b, padding: 2) }
        let whole = conv2d(x, weight: w, bias: b, padding: 2)
        #expect(whole.gradFn != nil)
        expectClose(blocked.toArray(), whole.toArray(), atol: 1e-4, "blocked evaluation")
    }

    @Test func pad2dPadsAndRoutesGradient() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2], requiresGrad: true)
        let y = x.pad2d(left: 1, right: 0, top: 0, bottom: 1)
        #expect(y.shape == [1, 1, 3, 3])
        #expect(y.toArray() == [0, 1, 2, 0, 3, 4, 0, 0, 0])
        (y * Tensor(Array(1...9).map(Float.init), shape: [1, 1, 3, 3])).sum().backward()
        // Each input element receives the weight at its padded position.
        #expect(x.grad!.toArray() == [2, 3, 5, 6])
    }

    @Test func integerBiasNamesTheTypeAndTheFix() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 1, 3, 3]), weight: Tensor.zeros([2, 1, 3, 3]), bias: Tensor([1, 2]))
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("conv2d: expects a float32 bias, got int64 [2]; convert with .to(.float32)"))
        }
    }

    @Test func kernelLargerThanPaddedInputNamesTheSizes() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 1, 2, 2]), weight: Tensor.zeros([1, 1, 3, 3]))
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("kernel size 3x3 (dilation (1, 1)) is larger than the padded input 2x2"))
        }
    }

    @Test func channelsNotDivisibleByGroupsNamesTheSizes() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor.zeros([1, 3, 4, 4]), weight: Tensor.zeros([4, 1, 3, 3]), groups: 2)
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("input channels (3) and output channels (4) must both be divisible by groups (2)"))
        }
    }
}

import Foundation
