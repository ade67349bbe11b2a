import Foundation
import Testing
@testable import Ember

/// The 3-D layers against PyTorch (nn_3d.json, from scripts/make_3d_fixtures.py): Conv3d, the 3-D
/// pooling layers, BatchNorm3d and InstanceNorm3d; outputs, gradients, running statistics, reprs.
@Suite("3-D layers")
struct Layers3dTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("nn_3d.json") }

    func cases(_ key: String) -> [[String: Any]] { (fixture[key] as? [Any] ?? []).map { object($0) } }

    /// Runs `module` on the case's input, backpropagates Σ out·w and compares the output, the input's
    /// gradient and each parameter's (set from the case first) with PyTorch's.
    func check(_ module: Module, _ c: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        let name = c["repr"] as! String
        #expect("\(module)" == name, sourceLocation: sourceLocation)
        let params = object(c["params"]), grads = object(c["grads"])
        for (key, parameter) in module.namedParameters() {
            noGrad { parameter.copy_(tensor(params[key], parameter.shape)) }
        }
        let x = tensor(c["x"], ints(c["x_shape"]), requiresGrad: true)
        let out = module(x)
        #expect(out.shape == ints(c["out_shape"]), "\(name) shape", sourceLocation: sourceLocation)
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-4, rtol: 1e-4, "\(name) output", sourceLocation: sourceLocation)
        (out * tensor(c["w"], out.shape)).sum().backward()
        expectClose(x.grad!.toArray(), floats(c["grad_x"]), atol: 1e-4, rtol: 1e-4, "\(name) input gradient",
                    sourceLocation: sourceLocation)
        for (key, parameter) in module.namedParameters() {
            expectClose(parameter.grad?.toArray() ?? [], floats(grads[key]), atol: 2e-4, rtol: 1e-4, "\(name) \(key) gradient",
                        sourceLocation: sourceLocation)
        }
    }

    @Test func conv3dMatchesPyTorch() {
        let modules: [Module] = [
            Conv3d(4, 6, kernelSize: (3, 2, 3), stride: (2, 1, 2), padding: .explicit(1, 0, 1), dilation: (1, 2, 1), groups: 2),
            Conv3d(3, 2, kernelSize: (2, 3, 2), padding: .same, dilation: (2, 1, 1), bias: false),
            Conv3d(2, 3, kernelSize: 3, padding: 1, paddingMode: .reflect),
            Conv3d(2, 2, kernelSize: (1, 3, 3), stride: (1, 2, 1), padding: .explicit(0, 1, 1), paddingMode: .circular),
            Conv3d(2, 3, kernelSize: 2),
            Conv3d(2, 2, kernelSize: (2, 2, 4), padding: .same, bias: false),
            Conv3d(2, 2, kernelSize: (2, 3, 2), padding: .same, paddingMode: .replicate),
        ]
        let all = cases("conv")
        #expect(all.count == modules.count)
        for (module, c) in zip(modules, all) { check(module, c) }
    }

    @Test func convTranspose3dMatchesPyTorch() {
        let modules: [Module] = [
            ConvTranspose3d(4, 6, kernelSize: (3, 2, 3), stride: (2, 1, 2), padding: (1, 0, 1), outputPadding: (1, 0, 1),
                            groups: 2, dilation: (1, 2, 1)),
            ConvTranspose3d(2, 3, kernelSize: 2, stride: 2),
            ConvTranspose3d(2, 2, kernelSize: (2, 3, 1), padding: (1, 1, 0), bias: false, dilation: (2, 1, 1)),
        ]
        let all = cases("conv_transpose")
        #expect(all.count == modules.count)
        for (module, c) in zip(modules, all) { check(module, c) }
        // The output padding chosen to reach a requested size.
        let sized = object(fixture["conv_transpose_sized"]), params = object(sized["params"])
        let layer = ConvTranspose3d(2, 2, kernelSize: 3, stride: 2, padding: 1)
        noGrad {
            layer.weight.copy_(tensor(params["weight"], layer.weight.shape))
            layer.bias!.copy_(tensor(params["bias"], [2]))
        }
        let out = layer(tensor(sized["x"], [1, 2, 3, 3, 3]), outputSize: (6, 5, 6))
        #expect(out.shape == [1, 2, 6, 5, 6])
        expectClose(out.toArray(), floats(sized["out"]), atol: 1e-4, "output size (6, 5, 6)")
    }

    /// convTranspose3d's first and second derivatives against finite differences.
    @Test func convTranspose3dDerivativesAgainstFiniteDifferences() throws {
        let generator = RandomGenerator(seed: 12)
        let x = Tensor.randn([1, 2, 2, 3, 2], generator: generator).requiringGrad(true)
        let w = Tensor.randn([2, 1, 2, 2, 2], generator: generator).requiringGrad(true)
        let f = { (xs: [Tensor]) in
            convTranspose3d(xs[0], weight: xs[1], stride: (2, 1, 1), padding: (1, 0, 1), outputPadding: (1, 0, 0), groups: 2)
        }
        try Autograd.gradcheck(f, inputs: [x, w], eps: 1e-2, atol: 2e-3, rtol: 1e-2)
        try Autograd.gradcheck({ xs in
            enableGrad {
                let out = f(xs)
                return Tensor.cat(Autograd.grad(of: out.square().sum(), wrt: xs, createGraph: true).map { $0.reshape([-1]) })
            }
        }, inputs: [x, w], eps: 1e-2, atol: 5e-3, rtol: 2e-2)
    }

    @Test func poolingMatchesPyTorchTiesIncluded() {
        let modules: [Module] = [
            MaxPool3d(kernelSize: (2, 3, 2), stride: (1, 2, 2), padding: (1, 1, 0), dilation: (1, 1, 2)),
            MaxPool3d(2),
            MaxPool3d(kernelSize: (2, 2, 1), stride: (1, 1, 2), padding: (1, 0, 0), dilation: (2, 1, 1)),
            AvgPool3d(kernelSize: (3, 2, 3), stride: (2, 1, 2), padding: (1, 1, 1)),
            AvgPool3d(kernelSize: (3, 2, 3), stride: (2, 1, 2), padding: (1, 1, 1), countIncludePad: false),
            AdaptiveAvgPool3d(outputSize: (3, 2, 4)),
            AdaptiveAvgPool3d(1),
            AdaptiveMaxPool3d(outputSize: (3, 2, 4)),
            AdaptiveMaxPool3d(outputSize: (2, 2, 3)),
            AdaptiveAvgPool3d(outputSize: (4, 3, 2)),
        ]
        let all = cases("pool")
        #expect(all.count == modules.count)
        for (module, c) in zip(modules, all) { check(module, c) }
        // With NaNs the last one in (d, h, w) order wins, as in PyTorch; in 2-D too, two in a row included.
        for (index, c) in cases("max_nan").enumerated() {
            let shape = ints(c["shape"])
            let x = tensor(c["x"], shape, requiresGrad: true)
            let kernel = shape[shape.count - 1]
            let out = shape.count == 5 ? maxPool3d(x, kernel: (2, 2, 2)) : maxPool2d(x, kernel: (kernel, kernel))
            #expect(out.item().isNaN, "case \(index)")
            out.sum().backward()
            #expect(x.grad!.toArray() == floats(c["grad_x"]), "case \(index)")
        }
    }

    @Test func normalizationMatchesPyTorch() {
        let all = cases("norm")
        let batchNorm = BatchNorm3d(3)
        check(batchNorm, all[0])
        expectClose(batchNorm.runningMean.toArray(), floats(all[0]["running_mean"]), "running mean")
        expectClose(batchNorm.runningVar.toArray(), floats(all[0]["running_var"]), "running variance")
        batchNorm.eval()
        expectClose(batchNorm(tensor(all[0]["eval_x"], [2, 3, 2, 2, 3])).toArray(), floats(all[0]["eval_out"]),
                    atol: 1e-4, "evaluation output")
        check(InstanceNorm3d(3, affine: true), all[1])
        check(InstanceNorm3d(3, affine: true), all[2])
    }

    /// conv3d's first and second derivatives against finite differences (groups, stride, dilation and
    /// padding at once), through conv2d's composed backward.
    @Test func conv3dDerivativesAgainstFiniteDifferences() throws {
        let generator = RandomGenerator(seed: 9)
        let x = Tensor.randn([1, 2, 4, 3, 4], generator: generator).requiringGrad(true)
        let w = Tensor.randn([2, 1, 2, 2, 3], generator: generator).requiringGrad(true)
        let f = { (xs: [Tensor]) in
            conv3d(xs[0], weight: xs[1], stride: (1, 2, 1), padding: .explicit(1, 1, 0), dilation: (2, 1, 1), groups: 2)
        }
        try Autograd.gradcheck(f, inputs: [x, w], eps: 1e-2, atol: 2e-3, rtol: 1e-2)
        try Autograd.gradcheck({ xs in
            enableGrad {
                let out = f(xs)
                return Tensor.cat(Autograd.grad(of: out.square().sum(), wrt: xs, createGraph: true).map { $0.reshape([-1]) })
            }
        }, inputs: [x, w], eps: 1e-2, atol: 5e-3, rtol: 2e-2)
    }

    @Test func badInputsNameTheProblem() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv3d(Tensor.zeros([1, 2, 4, 4]), weight: Tensor.zeros([1, 2, 1, 1, 1]))
        }
        #expect(stderr(rank).contains("conv3d: expects a 5-D input [N, C, D, H, W] and a 5-D weight"))
        let channels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv3d(Tensor.zeros([1, 3, 4, 4, 4]), weight: Tensor.zeros([2, 2, 1, 1, 1]))
        }
        #expect(stderr(channels).contains("conv3d: weight [2, 2, 1, 1, 1] expects 2 input channels"))
        let large = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv3d(Tensor.zeros([1, 1, 2, 4, 4]), weight: Tensor.zeros([1, 1, 3, 1, 1]))
        }
        #expect(stderr(large).contains("conv3d: the kernel (3, 1, 1) with dilation (1, 1, 1) spans 3 along dim 2, more than the 2"))
        let layer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv3d(3, 4, kernelSize: 3)(Tensor.zeros([1, 2, 4, 4, 4]))
        }
        #expect(stderr(layer).contains("Conv3d: expected an input [N, 3, D, H, W] or [3, D, H, W]"))
        let window = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool3d(Tensor.zeros([1, 1, 2, 8, 8]), kernel: (3, 2, 2))
        }
        #expect(stderr(window).contains("maxPool3d: kernel (3, 2, 2) (dilation (1, 1, 1)) is larger than the padded input 2x8x8"))
        let padding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool3d(Tensor.zeros([1, 1, 4, 4, 4]), kernel: (2, 2, 2), padding: (2, 0, 0))
        }
        #expect(stderr(padding).contains("avgPool3d: kernel (2, 2, 2), stride (2, 2, 2) and dilation (1, 1, 1) must be positive and padding (2, 0, 0) between 0 and half the kernel"))
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adaptiveMaxPool3d(Tensor.zeros([1, 1, 0, 4, 4]), outputSize: (1, 1, 1))
        }
        #expect(stderr(empty).contains("adaptiveMaxPool3d: expects a 5-D input [N, C, D, H, W] with non-empty volumes"))
        let onlyPadding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool3d(Tensor.zeros([1, 1, 2, 4, 4]), kernel: (2, 1, 1), padding: (1, 0, 0), dilation: (3, 1, 1))
        }
        #expect(stderr(onlyPadding).contains("maxPool3d: a window of the kernel (2, 1, 1) with padding (1, 0, 0) and dilation (3, 1, 1) holds only padding"))
        let onlyPadding2d = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2d(Tensor.zeros([1, 1, 2, 4]), kernel: (2, 1), padding: (1, 0), dilation: (3, 1))
        }
        #expect(stderr(onlyPadding2d).contains("maxPool2d: a window of the kernel (2, 1) with padding (1, 0) and dilation (3, 1) holds only padding"))
        let emptyKernel = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv3d(Tensor.zeros([1, 1, 2, 4, 4]), weight: Tensor.zeros([1, 1, 0, 1, 1]))
        }
        #expect(stderr(emptyKernel).contains("conv3d: the kernel [1, 1, 0, 1, 1] must be non-empty in every dim"))
        let cropped = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = convTranspose3d(Tensor.zeros([1, 1, 1, 2, 2]), weight: Tensor.zeros([1, 1, 1, 1, 1]), padding: (1, 0, 0))
        }
        #expect(stderr(cropped).contains("convTranspose3d: padding (1, 0, 0) crops the whole output depth"))
        let norm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm3d(3)(Tensor.zeros([2, 3, 4, 4]))
        }
        #expect(stderr(norm).contains("BatchNorm3d: expected input of shape [N, 3, D, H, W], got [2, 3, 4, 4]"))
    }
}
