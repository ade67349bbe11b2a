import Foundation
import Testing
@testable import Ember

/// convTranspose2d/1d and the ConvTranspose layers: outputs and gradients against PyTorch
/// (scripts/make_conv_fixtures.py, cases 24..<32 of conv.json), finite differences, and the adjoint
/// identity with conv2d.
@Suite struct TransposedConvolutionTests {
    static var cases: [[String: Any]] { ConvolutionTests.cases }

    @Test(arguments: 24..<32)
    func convTransposeMatchesPyTorch(_ index: Int) {
        let c = Self.cases[index]
        let args = c["args"] as! [String: Any]
        let x = Tensor(floats(c["x"]), shape: c["x_shape"] as! [Int], requiresGrad: true)
        let w = Tensor(floats(c["w"]), shape: c["w_shape"] as! [Int], requiresGrad: true)
        let b: Tensor? = c["b"] is NSNull || c["b"] == nil ? nil : Tensor(floats(c["b"]), requiresGrad: true)
        let groups = args["groups"] as? Int ?? 1
        let out: Tensor
        if c["kind"] as! String == "conv_transpose1d" {
            out = convTranspose1d(x, weight: w, bias: b, stride: args["stride"] as? Int ?? 1,
                                  padding: args["padding"] as? Int ?? 0, outputPadding: args["output_padding"] as? Int ?? 0,
                                  groups: groups, dilation: args["dilation"] as? Int ?? 1)
        } else {
            out = convTranspose2d(x, weight: w, bias: b, stride: ConvolutionTests.pair(args["stride"], 1),
                                  padding: ConvolutionTests.pair(args["padding"], 0), outputPadding: ConvolutionTests.pair(args["output_padding"], 0),
                                  groups: groups, dilation: ConvolutionTests.pair(args["dilation"], 1))
        }
        ConvolutionTests.expectMatches(c, out, gradients: ["grad_x": x, "grad_w": w, "grad_b": b], atol: 1e-4)
    }

    /// Loads case `index`'s weight and bias into a layer, then checks its output and gradients.
    static func expectLayerMatches(_ index: Int, _ layer: Module, weight: Tensor, bias: Tensor,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let c = cases[index]
        #expect(layer.stateDict().keys.sorted() == ["bias", "weight"], sourceLocation: sourceLocation)
        #expect(weight.shape == c["w_shape"] as! [Int], sourceLocation: sourceLocation)
        noGrad {
            weight.copy_(Tensor(floats(c["w"]), shape: weight.shape))
            bias.copy_(Tensor(floats(c["b"])))
        }
        let x = Tensor(floats(c["x"]), shape: c["x_shape"] as! [Int], requiresGrad: true)
        ConvolutionTests.expectMatches(c, layer(x), gradients: ["grad_x": x, "grad_w": weight, "grad_b": bias],
                                       atol: 1e-4, sourceLocation: sourceLocation)
        // An unbatched input gives the first sample's output.
        let single = noGrad { layer(x.detach().select(0, 0)) }
        expectClose(single.toArray(), noGrad { layer(x.detach()) }.select(0, 0).toArray(), "unbatched",
                    sourceLocation: sourceLocation)
    }

    @Test func layersLoadPyTorchWeightsAndMatch() {
        // Case 25: ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1) on [2, 4, 4, 3].
        let layer2d = ConvTranspose2d(4, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
        Self.expectLayerMatches(25, layer2d, weight: layer2d.weight, bias: layer2d.bias!)
        // Case 30: ConvTranspose1d(4, 6, 3, stride=3, padding=2, output_padding=1, groups=2).
        let layer1d = ConvTranspose1d(4, 6, kernelSize: 3, stride: 3, padding: 2, outputPadding: 1, groups: 2)
        Self.expectLayerMatches(30, layer1d, weight: layer1d.weight, bias: layer1d.bias!)
    }

    @Test func reprsMatchPyTorch() {
        let reprs = ConvolutionTests.reprs
        #expect(ConvTranspose2d(32, 16, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1).description
                == reprs["convT2d_upsample"])
        #expect(ConvTranspose2d(4, 6, kernelSize: (2, 3), groups: 2, bias: false, dilation: (2, 1)).description
                == reprs["convT2d_groups"])
        #expect(ConvTranspose1d(8, 4, kernelSize: 3, stride: 2).description == reprs["convT1d"])
    }

    @Test func gradientsMatchFiniteDifferences() {
        manualSeed(11)
        let x = Tensor.randn([2, 2, 3, 3], requiresGrad: true)
        let w = Tensor.randn([2, 3, 2, 3], requiresGrad: true)
        let apply = { (input: Tensor, weight: Tensor) in
            convTranspose2d(input, weight: weight, stride: (2, 1), padding: (1, 0), outputPadding: (1, 0), dilation: (1, 2))
        }
        let r = Tensor.randn(apply(x.detach(), w.detach()).shape)
        let f = { (input: Tensor) in apply(input, w.detach()) * r }
        f(x).sum().backward()
        expectClose(x.grad!.toArray(), numericalGradient(of: f, at: x), atol: 2e-2, rtol: 1e-2, "finite differences x")
        let g = { (weight: Tensor) in apply(x.detach(), weight) * r }
        g(w).sum().backward()
        expectClose(w.grad!.toArray(), numericalGradient(of: g, at: w), atol: 2e-2, rtol: 1e-2, "finite differences w")
    }

    @Test func isTheAdjointOfConv2d() {
        // <conv2d(x, W), y> = <x, convTranspose2d(y, W)> for the same stride, padding, dilation and groups.
        manualSeed(12)
        let x = Tensor.randn([2, 4, 9, 8]), w = Tensor.randn([6, 2, 3, 3])
        let forward = conv2d(x, weight: w, stride: (2, 2), padding: 1, dilation: (1, 1), groups: 2)
        let y = Tensor.randn(forward.shape)
        let back = convTranspose2d(y, weight: w, stride: (2, 2), padding: (1, 1), outputPadding: (0, 1), groups: 2)
        #expect(back.shape == x.shape)
        let lhs = (forward * y).sum().item(), rhs = (x * back).sum().item()
        #expect(abs(lhs - rhs) <= 1e-3 * max(1, abs(lhs)), "\(lhs) vs \(rhs)")
    }

    @Test func defaultInitUsesTheOutputFanIn() {
        manualSeed(4)
        // fanIn = outChannels/groups · kh · kw = 8 · 9 = 72 (PyTorch computes it on the [in, out/g, kh, kw] weight).
        let layer = ConvTranspose2d(16, 8, kernelSize: 3)
        let bound = 1 / Float(72).squareRoot()
        let weights = layer.weight.toArray(), biases = layer.bias!.toArray()
        #expect(weights.allSatisfy { abs($0) <= bound } && weights.contains { abs($0) > 0.8 * bound })
        #expect(biases.allSatisfy { abs($0) <= bound })
    }

    // MARK: Bad input

    @Test func wrongInputChannelsNamesTheShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d(3, 8, kernelSize: 3)(Tensor.zeros([1, 4, 8, 8]))
        }
        ConvLayerTests.stderrContains(result, "ConvTranspose2d: expected an input [N, 3, H, W] or [3, H, W]")
        ConvLayerTests.stderrContains(result, "got shape [1, 4, 8, 8]")
    }

    @Test func outputPaddingMustBeBelowStrideOrDilation() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros([1, 1, 3, 3]), weight: Tensor.zeros([1, 1, 3, 3]), stride: (2, 2),
                                outputPadding: (2, 0))
        }
        ConvLayerTests.stderrContains(result, "outputPadding (2, 0) must be smaller than the stride (2, 2) or the dilation (1, 1)")
    }

    @Test func oneDimensionalChannelMismatchSpeaksOneDimensional() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose1d(Tensor.zeros([1, 3, 5]), weight: Tensor.zeros([4, 2, 3]))
        }
        ConvLayerTests.stderrContains(result, "convTranspose1d: weight [4, 2, 3] expects 4 input channels (its dim 0), but the input [1, 3, 5] has 3")
    }

    @Test func inputWithoutPixelsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros([1, 3, 0, 4]), weight: Tensor.zeros([3, 2, 3, 3]), stride: (2, 1),
                                outputPadding: (1, 0))
        }
        ConvLayerTests.stderrContains(result, "the input [1, 3, 0, 4] has no pixels")
    }

    @Test func paddingThatCropsEverythingStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose2d(Tensor.zeros([1, 1, 2, 2]), weight: Tensor.zeros([1, 1, 1, 1]), padding: (1, 1))
        }
        ConvLayerTests.stderrContains(result, "padding (1, 1) crops the whole output")
    }
}

/// Choosing the output size, as PyTorch's `forward(input, output_size)` does.
@Suite struct TransposedConvolutionOutputSizeTests {
    @Test func outputSizePicksTheOutputPadding() {
        manualSeed(2)
        // Conv2d(stride 2, padding 1, kernel 3) maps both 13 and 14 to 7; the transposed layer reaches either.
        let layer = ConvTranspose2d(4, 2, kernelSize: 3, stride: 2, padding: 1)
        let x = Tensor.randn([1, 4, 7, 7])
        #expect(layer(x, outputSize: (13, 14)).shape == [1, 2, 13, 14])
        let padded = convTranspose2d(x, weight: layer.weight, bias: layer.bias, stride: (2, 2), padding: (1, 1),
                                     outputPadding: (0, 1))
        expectClose(layer(x, outputSize: (13, 14)).toArray(), padded.toArray(), "outputSize = outputPadding (0, 1)")
        #expect(layer(x.select(0, 0), outputSize: (14, 13)).shape == [2, 14, 13])
    }

    @Test func anUnreachableOutputSizeNamesTheRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d(4, 2, kernelSize: 3, stride: 2, padding: 1)(Tensor.zeros([1, 4, 7, 7]), outputSize: (15, 13))
        }
        ConvLayerTests.stderrContains(result, "requested an output size of [15, 13], but valid sizes in dim 0 range from 13 to 14")
    }
}
