import Foundation
import Testing
@testable import Ember

/// Conv2d, the pooling layers, BatchNorm2d, Dropout2d and the MNIST CNN against PyTorch
/// (scripts/make_cnn_fixtures.py → Fixtures/cnn.json).
@Suite("CNN layers")
struct ConvLayerTests {
    static let fixture: [String: Any] = (try? loadFixture("cnn.json")) ?? [:]
    static var convCases: [[String: Any]] { fixture["conv"] as? [[String: Any]] ?? [] }
    static var poolCases: [[String: Any]] { fixture["pool"] as? [[String: Any]] ?? [] }
    static var normCases: [[String: Any]] { fixture["batchnorm"] as? [[String: Any]] ?? [] }

    static func pair(_ value: Any?, default fallback: Int) -> (Int, Int) {
        if let n = value as? Int { return (n, n) }
        if let a = value as? [Int] { return (a[0], a[1]) }
        return (fallback, fallback)
    }

    @Test func fixturesLoaded() {
        #expect(Self.convCases.count == 10 && Self.poolCases.count == 10 && Self.normCases.count == 3)
    }

    static func makeConv(_ c: [String: Any]) -> Conv2d {
        let args = object(c["args"])
        let padding: Padding = (args["padding"] as? String) == "same" ? .same
            : { let p = pair(args["padding"], default: 0); return .explicit(p.0, p.1) }()
        let kernel = c["kernel"] as! [Int]
        return Conv2d(c["in"] as! Int, c["out"] as! Int, kernelSize: (kernel[0], kernel[1]),
                      stride: pair(args["stride"], default: 1), padding: padding,
                      dilation: pair(args["dilation"], default: 1), groups: args["groups"] as? Int ?? 1,
                      bias: args["bias"] as? Bool ?? true)
    }

    @Test(arguments: 0..<10)
    func conv2dLayerMatchesPyTorch(_ index: Int) {
        let c = Self.convCases[index]
        let name = c["name"] as! String
        let conv = Self.makeConv(c)
        #expect(conv.description == c["repr"] as! String, "\(name) repr")
        noGrad {
            conv.weight.copy_(Tensor(floats(c["w"]), shape: conv.weight.shape))
            if let b = conv.bias { b.copy_(Tensor(floats(c["b"]), shape: b.shape)) }
        }
        #expect((conv.bias == nil) == (c["b"] is NSNull))
        let x = tensor(c["x"], c["x_shape"] as! [Int], requiresGrad: true)
        let y = conv(x)
        #expect(y.shape == c["out_shape"] as! [Int], "\(name)")
        expectClose(y.toArray(), floats(c["y"]), atol: 1e-4, name)
        (y * tensor(c["r"], y.shape)).sum().backward()
        expectClose(x.grad!.toArray(), floats(c["grad_x"]), atol: 1e-4, "\(name) grad x")
        expectClose(conv.weight.grad!.toArray(), floats(c["grad_w"]), atol: 1e-4, "\(name) grad w")
        if let b = conv.bias { expectClose(b.grad!.toArray(), floats(c["grad_b"]), atol: 1e-4, "\(name) grad b") }
    }

    @Test func conv2dUnbatchedInputMatchesBatched() {
        manualSeed(5)
        let conv = Conv2d(2, 3, kernelSize: 3, padding: 1)
        let x = Tensor.randn([2, 5, 4])
        let single = conv(x)
        #expect(single.shape == [3, 5, 4])
        expectClose(single.toArray(), conv(x.unsqueeze(0)).toArray(), "unbatched")
    }

    @Test func conv2dDefaultInitIsUniformInPyTorchBounds() {
        manualSeed(1)
        let conv = Conv2d(16, 32, kernelSize: 3)
        let bound = 1 / Float(16 * 9).squareRoot()
        let w = conv.weight.toArray(), b = conv.bias!.toArray()
        #expect(conv.weight.shape == [32, 16, 3, 3] && conv.bias!.shape == [32])
        #expect(w.allSatisfy { abs($0) <= bound } && b.allSatisfy { abs($0) <= bound })
        let variance = w.map { $0 * $0 }.reduce(0, +) / Float(w.count)
        #expect(abs(variance - bound * bound / 3) < 0.1 * bound * bound / 3)
        // Grouped: fan-in is in/groups·kh·kw.
        let grouped = Conv2d(8, 8, kernelSize: 3, groups: 4, bias: false)
        #expect(grouped.weight.shape == [8, 2, 3, 3] && grouped.bias == nil)
        #expect(grouped.weight.toArray().allSatisfy { abs($0) <= 1 / Float(18).squareRoot() })
        #expect(grouped.stateDictKeys == ["weight"])
        #expect(conv.stateDictKeys == ["weight", "bias"])
    }

    @Test func conv1dLayerInitShapesAndDescription() {
        manualSeed(1)
        let conv = Conv1d(4, 6, kernelSize: 5, padding: 2, groups: 2)
        #expect(conv.weight.shape == [6, 2, 5] && conv.bias!.shape == [6])
        #expect(conv.stateDictKeys == ["weight", "bias"])
        let bound = 1 / Float(2 * 5).squareRoot()   // fan-in: in/groups · k
        #expect(conv.weight.toArray().allSatisfy { abs($0) <= bound } && conv.bias!.toArray().allSatisfy { abs($0) <= bound })
        #expect(conv.description == "Conv1d(4, 6, kernel_size=(5,), stride=(1,), padding=(2,), groups=2)")
        // Batched [N, C, L] keeps its length with padding 2 around a 5-wide kernel; unbatched [C, L] too.
        let x = Tensor.randn([3, 4, 10])
        let y = conv(x)
        #expect(y.shape == [3, 6, 10])
        expectClose(conv(x.select(0, 1)).toArray(), y.select(0, 1).toArray(), "unbatched")
        // Stride and dilation as conv2d along the width of a height-1 image.
        let strided = Conv1d(4, 3, kernelSize: 3, stride: 2, dilation: 2, bias: false)
        expectClose(strided(x).toArray(),
                    conv2d(x.unsqueeze(2), weight: strided.weight.unsqueeze(2), stride: (1, 2), dilation: (1, 2)).squeeze(2).toArray(),
                    "conv1d as conv2d")
        #expect(strided(x).shape == [3, 3, 3])
        // PyTorch's reprs of the 1-D pooling layers.
        #expect(MaxPool1d(3).description == "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)")
        #expect(AvgPool1d(3, stride: 2).description == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))")
        #expect(AdaptiveAvgPool1d(1).description == "AdaptiveAvgPool1d(output_size=1)")
    }

    @Test func conv1dOfTheWrongChannelsStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv1d(4, 6, kernelSize: 3)(Tensor.zeros([2, 5, 9]))
        }
        #expect(stderr(r).contains("Conv1d: expected an input [N, 4, L] or [4, L]"))
        #expect(stderr(r).contains("got shape [2, 5, 9]"))
    }

    @Test func badOneDimensionalWindowsStopInOneDimensionalTerms() async {
        let pool = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool1d(Tensor.zeros([1, 2, 8]), kernel: 2, padding: 2)
        }
        #expect(stderr(pool).contains("maxPool1d: kernel 2, stride nil and dilation 1 must be positive and padding 2 between 0 and half the kernel"))
        let conv = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv1d(Tensor.zeros([1, 4, 8]), weight: Tensor.zeros([2, 3, 3]))
        }
        #expect(stderr(conv).contains("conv1d: weight [2, 3, 3] expects 3 input channels"))
    }

    static func makePool(_ name: String) -> Module {
        switch name {
        case "max2", "max2_odd": return MaxPool2d(2)
        case "max3_s2_p1": return MaxPool2d(3, stride: 2, padding: 1)
        case "max_rect_dilated": return MaxPool2d(kernelSize: (2, 3), stride: (1, 2), dilation: (2, 1))
        case "avg2": return AvgPool2d(2)
        case "avg3_s2_p1": return AvgPool2d(3, stride: 2, padding: 1)
        case "avg3_s2_p1_exclude": return AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false)
        case "adaptive_3": return AdaptiveAvgPool2d(3)
        case "adaptive_rect": return AdaptiveAvgPool2d(outputSize: (2, 3))
        default: return AdaptiveAvgPool2d(1)
        }
    }

    @Test(arguments: 0..<10)
    func poolingLayerMatchesPyTorch(_ index: Int) {
        let c = Self.poolCases[index]
        let name = c["name"] as! String
        let pool = Self.makePool(name)
        #expect(pool.description == c["repr"] as! String, "\(name) repr")
        let x = tensor(c["x"], c["x_shape"] as! [Int], requiresGrad: true)
        let y = pool(x)
        #expect(y.shape == c["out_shape"] as! [Int], "\(name)")
        expectClose(y.toArray(), floats(c["y"]), name)
        (y * tensor(c["r"], y.shape)).sum().backward()
        expectClose(x.grad!.toArray(), floats(c["grad_x"]), "\(name) grad x")
        // Unbatched input: the same as a batch of one.
        let first = tensor(c["x"], c["x_shape"] as! [Int]).narrow(0, start: 0, length: 1).squeeze(0)
        expectClose(pool(first).toArray(), pool(first.unsqueeze(0)).toArray(), "\(name) unbatched")
    }

    @Test func maxPoolTiesAndNaNFollowPyTorch() {
        // Ties: the first maximum in row-major order wins; a NaN wins over numbers.
        let x = Tensor([1, 1, 0, 0, /**/ 2, 5, .nan, 1, /**/ 3, 3, 7, 7, /**/ 3, 3, 7, 7] as [Float], shape: [1, 1, 4, 4])
        let (values, indices) = maxPool2dWithIndices(x, kernel: (2, 2))
        #expect(indices.toIntArray() == [5, 6, 8, 10])
        let v = values.toArray()
        #expect(v[0] == 5 && v[1].isNaN && v[2] == 3 && v[3] == 7)
    }

    /// The 2×2 kernel (C, vectorized for stride 2) against the window rules spelled out, on rows long
    /// enough for its vector body and a remainder, with ties (small integers) and NaNs in every position.
    @Test(arguments: [(2, 2), (1, 1), (1, 3)])
    func maxPool2x2KernelFollowsTheWindowRules(step: (Int, Int)) {
        let (n, c, h, w) = (2, 3, 6, 38)
        var values = (0..<(n * c * h * w)).map { Float(($0 * 7919) % 5) }
        for i in stride(from: 3, to: values.count, by: 29) { values[i] = .nan }
        for i in stride(from: 50, to: values.count - 1, by: 61) { (values[i], values[i + 1]) = (.nan, .nan) }
        let (pooled, indices) = maxPool2dWithIndices(Tensor(values, shape: [n, c, h, w]), kernel: (2, 2), stride: step)
        let got = pooled.toArray(), gotIndices = indices.toIntArray()
        let (outH, outW) = ((h - 2) / step.0 + 1, (w - 2) / step.1 + 1)
        for plane in 0..<(n * c) {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    // Row-major; a larger value or any NaN takes over: the first maximum wins, or the last NaN.
                    var best = -Float.infinity, at = -1
                    for ki in 0..<2 {
                        for kj in 0..<2 {
                            let index = (step.0 * oy + ki) * w + step.1 * ox + kj
                            let v = values[plane * h * w + index]
                            if v > best || at < 0 || v.isNaN { (best, at) = (v, index) }
                        }
                    }
                    let o = (plane * outH + oy) * outW + ox
                    #expect(gotIndices[o] == at, "plane \(plane), window (\(oy), \(ox))")
                    #expect(got[o] == best || (got[o].isNaN && best.isNaN), "plane \(plane), window (\(oy), \(ox))")
                }
            }
        }
    }

    @Test(arguments: 0..<3)
    func batchNorm2dMatchesPyTorch(_ index: Int) {
        let c = Self.normCases[index]
        let name = c["name"] as! String
        let args = object(c["args"])
        let shape = c["x_shape"] as! [Int]
        let momentum: Float? = args.keys.contains("momentum") ? (args["momentum"] as? NSNumber)?.floatValue : 0.1
        let bn = BatchNorm2d(shape[1], eps: (args["eps"] as? NSNumber)?.floatValue ?? 1e-5, momentum: momentum,
                             affine: args["affine"] as? Bool ?? true)
        #expect(bn.description == c["repr"] as! String, "\(name) repr")
        if let w = bn.weight, let b = bn.bias {
            noGrad {
                w.copy_(tensor(c["weight"], [shape[1]]))
                b.copy_(tensor(c["bias"], [shape[1]]))
            }
        }
        let inputs = c["train_inputs"] as! [Any], outputs = c["train_outputs"] as! [Any]
        let means = c["running_means"] as! [Any], vars = c["running_vars"] as! [Any]
        for step in inputs.indices {
            let y = bn(tensor(inputs[step], shape))
            expectClose(y.toArray(), floats(outputs[step]), atol: 1e-4, "\(name) train output \(step)")
            expectClose(bn.runningMean.toArray(), floats(means[step]), atol: 1e-5, "\(name) running mean \(step)")
            expectClose(bn.runningVar.toArray(), floats(vars[step]), atol: 1e-5, "\(name) running var \(step)")
        }
        let x = tensor(c["grad_input"], shape, requiresGrad: true)
        let y = bn(x)
        expectClose(y.toArray(), floats(c["grad_y"]), atol: 1e-4, "\(name) grad step output")
        (y * tensor(c["grad_output_r"], shape)).sum().backward()
        expectClose(x.grad!.toArray(), floats(c["grad_x"]), atol: 1e-4, "\(name) grad x")
        if let w = bn.weight, let b = bn.bias {
            expectClose(w.grad!.toArray(), floats(c["grad_weight"]), atol: 1e-4, "\(name) grad weight")
            expectClose(b.grad!.toArray(), floats(c["grad_bias"]), atol: 1e-4, "\(name) grad bias")
        }
        #expect(Int(bn.numBatchesTracked.item()) == c["num_batches_tracked"] as! Int)
        bn.eval()
        let evalOut = bn(tensor(c["eval_input"], shape))
        expectClose(evalOut.toArray(), floats(c["eval_output"]), atol: 1e-4, "\(name) eval output")
        #expect(bn.stateDictKeys == (bn.affine ? ["weight", "bias"] : [])
                + ["running_mean", "running_var", "num_batches_tracked"])
    }

    @Test func batchNorm1dSharesTheBaseAndItsKeys() {
        let bn1 = BatchNorm1d(4), bn2 = BatchNorm2d(4)
        #expect(bn1.stateDictKeys == bn2.stateDictKeys)
        #expect(bn1.description == "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)")
        // Functional form: evaluation with given statistics.
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [1, 2, 1, 2])
        let y = batchNorm(x, runningMean: Tensor([1, 3] as [Float]), runningVar: Tensor([4, 1] as [Float]),
                          weight: Tensor([2, 1] as [Float]), bias: Tensor([0, 1] as [Float]), training: false, eps: 0)
        expectClose(y.toArray(), [0, 1, 1, 2], "functional eval")
        let untracked = BatchNorm2d(2, trackRunningStats: false)
        #expect(untracked.stateDictKeys == ["weight", "bias"])
        untracked.eval()
        // Without running statistics evaluation uses the batch's.
        let z = untracked(Tensor([1, 3, 5, 9] as [Float], shape: [2, 2, 1, 1]))
        expectClose(z.toArray(), [-1, -1, 1, 1], atol: 1e-3, "untracked eval")
    }

    @Test func dropout2dZeroesWholeChannelsWithInvertedScaling() {
        manualSeed(42)
        let drop = Dropout2d(0.3)
        // Its own generator: tests running in parallel draw from the global one.
        drop.generator = RandomGenerator(seed: 42)
        #expect(drop.description == Self.fixture["reprs"].flatMap { object($0)["Dropout2d"] } as? String)
        let x = Tensor.ones([64, 50, 3, 4])
        let y = drop(x).toArray()
        var kept = 0
        for plane in 0..<(64 * 50) {
            let values = Array(y[(plane * 12)..<((plane + 1) * 12)])
            // A channel is either all zero or all 1/(1-p).
            #expect(values.allSatisfy { $0 == 0 } || values.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 })
            if values[0] != 0 { kept += 1 }
        }
        let rate = Float(kept) / Float(64 * 50)
        #expect(abs(rate - 0.7) < 0.03, "kept \(rate) of the channels")
        // Unbatched [C, H, W]: one draw per channel too; gradients flow through the same mask.
        let u = Tensor.ones([200, 2, 2], requiresGrad: true)
        let out = dropout2d(u, p: 0.5)
        out.sum().backward()
        expectClose(u.grad!.toArray(), out.detach().toArray(), "mask gradient")
        drop.eval()
        #expect(drop(x).toArray() == x.toArray())
        #expect(dropout2d(x, p: 0.3, training: false).toArray() == x.toArray())
    }

    /// PyTorch's examples/mnist Net, as `ember train --model cnn` and Examples/mnist-cnn define it.
    final class MNISTNet: Module {
        let conv1 = Conv2d(1, 32, kernelSize: 3)
        let conv2 = Conv2d(32, 64, kernelSize: 3)
        let dropout1 = Dropout(0.25)
        let dropout2 = Dropout(0.5)
        let fc1 = Linear(9216, 128)
        let fc2 = Linear(128, 10)
        override func forward(_ x: Tensor) -> Tensor {
            let h = dropout1(maxPool2d(conv2(conv1(x).relu()).relu(), kernel: (2, 2))).flatten(startDim: 1)
            return fc2(dropout2(fc1(h).relu()))
        }
    }

    @Test func mnistCNNStateDictMatchesPyTorch() {
        let cnn = object(Self.fixture["cnn"])
        let net = MNISTNet()
        #expect(net.stateDictKeys == cnn["keys"] as! [String])
        let state = net.stateDict()
        let shapes = cnn["shapes"] as! [[Int]]
        for (key, shape) in zip(cnn["keys"] as! [String], shapes) { #expect(state[key]?.shape == shape, "\(key)") }
        #expect(net.description.replacingOccurrences(of: "MNISTNet", with: "Net") == cnn["repr"] as! String)
        let logits = net(Tensor.randn([2, 1, 28, 28]))
        #expect(logits.shape == [2, 10])
    }

    @Test func reprsMatchPyTorch() {
        let reprs = object(Self.fixture["reprs"])
        #expect(BatchNorm2d(8).description == reprs["BatchNorm2d"] as? String)
        #expect(MaxPool2d(2).description == reprs["MaxPool2d"] as? String)
        #expect(AvgPool2d(3, stride: 2, padding: 1).description == reprs["AvgPool2d"] as? String)
        #expect(AdaptiveAvgPool2d(outputSize: (2, 3)).description == reprs["AdaptiveAvgPool2d"] as? String)
    }

    // MARK: Impossible shapes

    static func stderrContains(_ result: ExitTest.Result?, _ text: String) {
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains(text), "stderr: \(message)")
    }

    @Test func conv2dLayerWrongChannelsNamesTheSizes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(3, 8, kernelSize: 3)(Tensor.zeros([1, 4, 8, 8]))
        }
        Self.stderrContains(result, "Conv2d: expected input with 3 channels")
        Self.stderrContains(result, "got 4 channels in input of shape [1, 4, 8, 8]")
    }

    @Test func conv2dLayerKernelLargerThanInput() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(1, 2, kernelSize: 5)(Tensor.zeros([1, 1, 3, 3]))
        }
        Self.stderrContains(result, "kernel size 5x5 (dilation (1, 1)) is larger than the padded input 3x3")
    }

    @Test func conv2dLayerRejectsRank2Input() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(1, 2, kernelSize: 3)(Tensor.zeros([28, 28]))
        }
        Self.stderrContains(result, "Conv2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [28, 28]")
    }

    @Test func conv2dGroupsMustDivideChannels() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(6, 4, kernelSize: 3, groups: 4)
        }
        Self.stderrContains(result, "in_channels (6) and out_channels (4) must both be divisible by groups (4)")
    }

    @Test func conv2dSameNeedsStrideOne() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d(1, 1, kernelSize: 3, stride: 2, padding: .same)
        }
        Self.stderrContains(result, "padding .same is only supported with stride 1")
    }

    @Test func maxPoolKernelLargerThanInput() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool2d(4)(Tensor.zeros([1, 1, 3, 3]))
        }
        Self.stderrContains(result, "maxPool2d: kernel (4, 4) (dilation (1, 1)) is larger than the padded input 3x3")
    }

    @Test func batchNorm2dWrongShapeNamesTheSizes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.zeros([2, 4, 5, 5]))
        }
        Self.stderrContains(result, "BatchNorm2d: expected input of shape [N, 3, H, W], got [2, 4, 5, 5]")
    }

    @Test func batchNorm2dNeedsMoreThanOneValuePerChannel() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d(3)(Tensor.zeros([1, 3, 1, 1]))
        }
        Self.stderrContains(result, "expected more than 1 value per channel when training, got input of shape [1, 3, 1, 1]")
    }

    @Test func dropout2dRejectsFlatInput() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dropout2d(0.5)(Tensor.zeros([4, 10]))
        }
        Self.stderrContains(result, "dropout2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [4, 10]")
    }
}
