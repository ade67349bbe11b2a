import Foundation
import Testing
@testable import Ember

/// Pooling's options against PyTorch (pooling.json, from scripts/make_pooling_fixtures.py): ceil mode
/// and divisor override in 1-D, 2-D and 3-D, LPPool, max pooling's indices, MaxUnpool, scatter and
/// fractional max pooling.
@Suite("Pooling options")
struct PoolingOptionsTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("pooling.json") }

    func cases(_ key: String) -> [[String: Any]] { (fixture[key] as? [Any] ?? []).map { object($0) } }

    @Test func ceilModeDivisorOverrideAndLPPoolMatchPyTorch() {
        let modules: [Module] = [
            MaxPool1d(2, ceilMode: true),
            MaxPool1d(3, stride: 2, padding: 1, ceilMode: true),
            AvgPool1d(3, stride: 2, ceilMode: true),
            AvgPool1d(3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
            MaxPool2d(2, ceilMode: true),
            MaxPool2d(kernelSize: (3, 2), stride: (2, 2), padding: (1, 1), dilation: (1, 2), ceilMode: true),
            MaxPool2d(3, stride: 2, ceilMode: true),
            AvgPool2d(3, stride: 2, ceilMode: true),
            AvgPool2d(3, stride: 2, padding: 1, ceilMode: true),
            AvgPool2d(kernelSize: (2, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false),
            AvgPool2d(3, stride: 2, padding: 1, divisorOverride: 4),
            AvgPool2d(2, ceilMode: true, divisorOverride: 3),
            MaxPool3d(2, ceilMode: true),
            MaxPool3d(kernelSize: (3, 2, 2), stride: (2, 2, 1), padding: (1, 0, 1), ceilMode: true),
            AvgPool3d(2, ceilMode: true),
            AvgPool3d(kernelSize: (3, 2, 3), stride: (2, 2, 2), padding: (1, 0, 1), ceilMode: true, countIncludePad: false),
            AvgPool3d(2, padding: 1, divisorOverride: 5),
            AvgPool3d(kernelSize: (3, 2, 3), stride: (2, 2, 2), padding: (1, 0, 1), ceilMode: true),
            MaxPool2d(3, stride: 3, ceilMode: true),
            AvgPool1d(3, stride: 3, ceilMode: true),
            LPPool1d(normType: 2, kernelSize: 3, stride: 2),
            LPPool1d(normType: 3, kernelSize: 2, ceilMode: true),
            LPPool2d(normType: 2, kernelSize: 2),
            LPPool2d(normType: 1.5, kernelSize: (3, 2), stride: (2, 1), ceilMode: true),
            LPPool3d(normType: 2, kernelSize: (2, 2, 2), stride: (1, 2, 2)),
        ]
        let all = cases("pool")
        #expect(all.count == modules.count)
        for (module, c) in zip(modules, all) {
            let name = c["repr"] as! String
            #expect("\(module)" == name)
            let x = tensor(c["x"], ints(c["x_shape"]), requiresGrad: true)
            let out = module(x)
            #expect(out.shape == ints(c["out_shape"]), "\(name) shape")
            guard out.shape == ints(c["out_shape"]) else { continue }
            expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, rtol: 1e-4, "\(name) output")
            (out * tensor(c["w"], out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_x"]), atol: 1e-5, rtol: 1e-4, "\(name) input gradient")
        }
    }

    /// Each case pools with indices, then unpools the (detached) values with them.
    @Test func indicesAndUnpoolingMatchPyTorch() {
        typealias Case = (pool: (Tensor) -> (values: Tensor, indices: Tensor), unpool: MaxUnpoolLayer)
        let all: [Case] = [
            (MaxPool1d(2).withIndices, MaxUnpool1d(2)),
            (MaxPool1d(3, stride: 2, ceilMode: true).withIndices, MaxUnpool1d(3, stride: 2)),
            (MaxPool2d(2).withIndices, MaxUnpool2d(2)),
            (MaxPool2d(2).withIndices, MaxUnpool2d(2)),
            (MaxPool2d(3, stride: 2, padding: 1).withIndices, MaxUnpool2d(3, stride: 2, padding: 1)),
            (MaxPool3d(2).withIndices, MaxUnpool3d(2)),
            (MaxPool3d(kernelSize: (2, 2, 2), stride: (1, 2, 1)).withIndices, MaxUnpool3d(kernelSize: (2, 2, 2), stride: (1, 2, 1))),
            (MaxPool3d(kernelSize: (2, 3, 2), stride: (2, 2, 1), padding: (1, 1, 0), ceilMode: true).withIndices,
             MaxUnpool3d(kernelSize: (2, 3, 2), stride: (2, 2, 1), padding: (1, 1, 0))),
        ]
        let expected = cases("unpool")
        #expect(expected.count == all.count)
        for ((pool, unpool), c) in zip(all, expected) {
            let name = c["repr"] as! String
            #expect("\(unpool)" == name)
            let (values, indices) = pool(tensor(c["x"], ints(c["x_shape"])))
            #expect(values.shape == ints(c["out_shape"]) && indices.shape == values.shape, "\(name) pooled shape")
            #expect(indices.dtype == .int64)
            #expect(indices.toIntArray() == ints(c["indices"]), "\(name) indices")
            expectClose(values.toArray(), floats(c["values"]), "\(name) values")
            let pooled = values.detach().requiringGrad()
            let outputSize = (c["output_size"] as? [Any]).map(ints)
            let unpooled = unpool(pooled, indices: indices, outputSize: outputSize)
            #expect(unpooled.shape == ints(c["unpooled_shape"]), "\(name) unpooled shape")
            guard unpooled.shape == ints(c["unpooled_shape"]) else { continue }
            expectClose(unpooled.toArray(), floats(c["unpooled"]), "\(name) unpooled")
            (unpooled * tensor(c["w"], unpooled.shape)).sum().backward()
            expectClose(pooled.grad!.toArray(), floats(c["grad_values"]), atol: 1e-5, "\(name) gradient of the values")
        }
    }

    @Test func scatterMatchesPyTorch() {
        for c in cases("scatter") {
            let dim = c["dim"] as! Int
            let x = tensor(c["x"], ints(c["shape"]), requiresGrad: true)
            let index = Tensor(ints(c["index"]), shape: ints(c["index_shape"]))
            let src = tensor(c["src"], ints(c["index_shape"]), requiresGrad: true)
            let out = x.scatter(dim: dim, index: index, src: src)
            #expect(out.toArray() == floats(c["out"]), "dim \(dim)")
            (out * tensor(c["w"], out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_x"]), "dim \(dim) tensor gradient")
            expectClose(src.grad!.toArray(), floats(c["grad_src"]), "dim \(dim) src gradient")
        }
        // A value: the written entries lose their gradient.
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2]).requiringGrad()
        let out = x.scatter(dim: 1, index: Tensor([1, 0], shape: [2, 1]), value: -1)
        #expect(out.toArray() == [1, -1, -1, 4])
        out.sum().backward()
        #expect(x.grad!.toArray() == [1, 0, 0, 1])
    }

    /// Ceil mode's output sizes by PyTorch's rule, including the last window that would start in the
    /// trailing padding and is dropped.
    @Test func ceilModeSizes() {
        // size 5, kernel 2, stride 2: ⌈3/2⌉ + 1 = 3 windows (the last one partial).
        #expect(ConvGeometry.outputSize(5, kernel: 2, stride: 2, padding: 0, dilation: 1, ceilMode: true) == 3)
        #expect(ConvGeometry.outputSize(5, kernel: 2, stride: 2, padding: 0, dilation: 1, ceilMode: false) == 2)
        // size 4, kernel 2, stride 2, padding 1: a 4th window would start at 6 − 1 = 5, past the input: 3.
        #expect(ConvGeometry.outputSize(4, kernel: 2, stride: 2, padding: 1, dilation: 1, ceilMode: true) == 3)
        // No partial window: ceil mode changes nothing.
        #expect(ConvGeometry.outputSize(6, kernel: 2, stride: 2, padding: 0, dilation: 1, ceilMode: true) == 3)
        #expect(maxPool2d(Tensor.zeros([1, 1, 4, 4]), kernel: (2, 2), padding: (1, 1), ceilMode: true).shape == [1, 1, 3, 3])
    }

    /// Unbatched inputs give the batched results without the batch dim, indices included; an unbatched
    /// unpooling takes its output size with batch and channels in front, as PyTorch's does.
    @Test func unbatchedInputs() {
        let generator = RandomGenerator(seed: 5)
        let planes = Tensor.randn([2, 5, 6], generator: generator), volumes = Tensor.randn([2, 4, 5, 6], generator: generator)
        let (v2, i2) = MaxPool2d(2, ceilMode: true).withIndices(planes)
        let (b2, j2) = MaxPool2d(2, ceilMode: true).withIndices(planes.unsqueeze(0))
        #expect(v2.shape == [2, 3, 3] && i2.shape == [2, 3, 3])
        #expect(v2.toArray() == b2.toArray() && i2.toIntArray() == j2.toIntArray())
        let (v3, i3) = MaxPool3d(2).withIndices(volumes)
        let (b3, j3) = MaxPool3d(2).withIndices(volumes.unsqueeze(0))
        #expect(v3.shape == [2, 2, 2, 3] && i3.shape == [2, 2, 2, 3])
        #expect(v3.toArray() == b3.toArray() && i3.toIntArray() == j3.toIntArray())
        let (v1, i1) = MaxPool1d(2).withIndices(planes[0])
        #expect(v1.shape == [5, 3] && i1.toIntArray() == MaxPool1d(2).withIndices(planes[0].unsqueeze(0)).indices.toIntArray())
        let unpooled = MaxUnpool2d(2)(v2, indices: i2, outputSize: [1, 2, 5, 6])
        #expect(unpooled.shape == [2, 5, 6])
        #expect(unpooled.reshape([2, 30]).gather(dim: 1, indices: i2.reshape([2, 9])).toArray() == v2.toArray())
    }

    /// lpPool's p = 1 is sum pooling, and a large p approaches max pooling.
    @Test func lpPoolLimits() {
        let generator = RandomGenerator(seed: 4)
        let x = Tensor.rand([1, 2, 6, 6], generator: generator) + 0.5
        expectClose(lpPool2d(x, normType: 1, kernel: (2, 3)).toArray(),
                    (avgPool2d(x, kernel: (2, 3)) * 6).toArray(), "p = 1")
        expectClose(lpPool2d(x, normType: 40, kernel: (2, 2)).toArray(), maxPool2d(x, kernel: (2, 2)).toArray(),
                    atol: 0.05, rtol: 0.05, "p = 40")
        // p = ±∞: the largest and the smallest |x| of each window, as in PyTorch.
        let signed = x - 1
        #expect(lpPool2d(signed, normType: .infinity, kernel: (2, 2)).toArray() == maxPool2d(signed.abs(), kernel: (2, 2)).toArray())
        #expect(lpPool1d(signed[0], normType: -.infinity, kernel: 3).toArray()
            == (-maxPool1d(-signed[0].abs(), kernel: 3)).toArray())
        #expect(LPPool2d(normType: .infinity, kernelSize: 2).description == "LPPool2d(norm_type=inf, kernel_size=2, stride=None, ceil_mode=False)")
    }

    @Test func gradientsAgainstFiniteDifferences() throws {
        let generator = RandomGenerator(seed: 9)
        let x = (Tensor.rand([1, 2, 5, 7], generator: generator) + 0.5).requiringGrad()
        try Autograd.gradcheck({ xs in
            avgPool2d(xs[0], kernel: (3, 2), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)
        }, inputs: [x], eps: 1e-2, atol: 2e-3, rtol: 1e-2)
        try Autograd.gradcheck({ xs in lpPool2d(xs[0], normType: 2.5, kernel: (2, 2), ceilMode: true) },
                               inputs: [x], eps: 1e-3, atol: 5e-3, rtol: 2e-2)
        let values = Tensor.randn([1, 2, 2, 3], generator: generator).requiringGrad()
        let indices = maxPool2dWithIndices(Tensor.randn([1, 2, 4, 6], generator: generator), kernel: (2, 2)).indices
        try Autograd.gradcheck({ xs in maxUnpool2d(xs[0], indices: indices, kernel: (2, 2)) },
                               inputs: [values], eps: 1e-2, atol: 1e-3, rtol: 1e-2)
    }

    /// PyTorch's fractional max pooling given the same random samples: maxima, indices (the first of
    /// tied maxima), the input's gradient; and the layers' sizes from a ratio.
    @Test func fractionalMaxPoolingMatchesPyTorch() {
        for (name, entry) in object(fixture["fractional"]) {
            let c = object(entry)
            let shape = ints(c["shape"]), kernel = ints(c["kernel"]), size = ints(c["size"])
            let x = tensor(c["x"], shape, requiresGrad: true)
            let samples = tensor(c["samples"], [shape[0], shape[1], kernel.count])
            let (values, indices) = kernel.count == 2
                ? fractionalMaxPool2d(x, kernelSize: (kernel[0], kernel[1]), outputSize: (size[0], size[1]), samples: samples)
                : fractionalMaxPool3d(x, kernelSize: (kernel[0], kernel[1], kernel[2]), outputSize: (size[0], size[1], size[2]),
                                      samples: samples)
            #expect(values.shape == [shape[0], shape[1]] + size, "\(name)")
            expectClose(values.toArray(), floats(c["out"]), "\(name) values")
            #expect(indices.dtype == .int64 && indices.toIntArray() == ints(c["indices"]), "\(name) indices")
            (values * tensor(c["w"], values.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad"]), "\(name) gradient")
        }
        let reprs = fixture["fractional_reprs"] as! [String]
        let pool = FractionalMaxPool2d(kernelSize: 3, outputRatio: 0.5, generator: RandomGenerator(seed: 1))
        #expect(pool.description == reprs[0] && FractionalMaxPool3d(kernelSize: 2, outputSize: 3).description == reprs[1])
        #expect(pool(Tensor.randn([2, 3, 13, 10])).shape == [2, 3, 6, 5])
        #expect(pool(Tensor.randn([3, 13, 10])).shape == [3, 6, 5], "unbatched")
        #expect(FractionalMaxPool3d(kernelSize: 2, outputRatio: 0.5)(Tensor.randn([1, 8, 9, 6, 7])).shape == [1, 8, 4, 3, 3])
        // Sizes from ratios in double precision, as PyTorch's (90 × 0.7 is 62 there; in float32, 63).
        #expect(FractionalMaxPool2d(kernelSize: 2, outputRatio: 0.7)(Tensor.randn([1, 1, 90, 50])).shape == [1, 1, 62, 35])
        // Samples for more rows than the batch: the first ones are used.
        let extra = Tensor.rand([3, 2, 2])
        let x4 = Tensor.randn([2, 2, 8, 8])
        #expect(fractionalMaxPool2d(x4, kernelSize: (2, 2), outputSize: (5, 5), samples: extra).indices.toIntArray()
                == fractionalMaxPool2d(x4, kernelSize: (2, 2), outputSize: (5, 5), samples: extra[0..<2]).indices.toIntArray())
        // The same generator seed gives the same windows; each call draws new ones.
        let x = Tensor.randn([1, 4, 12, 12])
        let (a, b) = (FractionalMaxPool2d(kernelSize: 2, outputSize: 7, generator: RandomGenerator(seed: 9)),
                      FractionalMaxPool2d(kernelSize: 2, outputSize: 7, generator: RandomGenerator(seed: 9)))
        let first = a.withIndices(x).indices.toIntArray()
        #expect(first == b.withIndices(x).indices.toIntArray())
        #expect(first != a.withIndices(x).indices.toIntArray())
    }

    @Test func badInputsNameTheProblem() async {
        let fractional = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = fractionalMaxPool2d(Tensor.zeros([1, 1, 5, 5]), kernelSize: (3, 3), outputSize: (4, 2))
        }
        #expect(stderr(fractional).contains("fractionalMaxPool2d: a kernel of [3, 3] and an output of [4, 2] need an input of at least "
            + "output + kernel − 1 = [6, 4] per dim, got [5, 5]"))
        let ratio = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = FractionalMaxPool2d(kernelSize: 2, outputRatio: 1.2)
        }
        #expect(stderr(ratio).contains("FractionalMaxPool2d: outputRatio must lie in (0, 1), got (1.2, 1.2)"))
        let ratio3 = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = FractionalMaxPool3d(kernelSize: 2, outputRatio: 0)
        }
        #expect(stderr(ratio3).contains("FractionalMaxPool3d: outputRatio must lie in (0, 1), got (0.0, 0.0, 0.0)"))
        let volume = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = fractionalMaxPool3d(Tensor.zeros([1, 1, 5, 5, 5]), kernelSize: (3, 3, 3), outputSize: (3, 3, 3))
        }
        #expect(stderr(volume).contains("fractionalMaxPool3d: a kernel of [3, 3, 3] and an output of [3, 3, 3] need an input of at least "
            + "output + kernel = [6, 6, 6] per dim, got [5, 5, 5]"))
        let samples = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = fractionalMaxPool3d(Tensor.zeros([1, 2, 4, 4, 4]), kernelSize: (2, 2, 2), outputSize: (2, 2, 2), samples: Tensor.zeros([1, 2, 2]))
        }
        #expect(stderr(samples).contains("fractionalMaxPool3d: samples must be [N, C, 3] = [1, 2, 3], got [1, 2, 2]"))
        let dtype = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxUnpool2d(Tensor.zeros([1, 1, 2, 2]), indices: Tensor.zeros([1, 1, 2, 2]), kernel: (2, 2))
        }
        #expect(stderr(dtype).contains("maxUnpool2d: indices must be int64 of the input's shape [1, 1, 2, 2]"))
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxUnpool2d(Tensor.zeros([1, 1, 2, 2]), indices: Tensor([0, 1, 2, 3], shape: [1, 1, 2, 2]), kernel: (2, 2),
                            outputSize: [7, 4])
        }
        #expect(stderr(size).contains("maxUnpool2d: output size [7, 4] must be within a stride of the default (4, 4) in each "
            + "spatial dim"))
        let length = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxUnpool2d(Tensor.zeros([1, 1, 2, 2]), indices: Tensor([0, 1, 2, 3], shape: [1, 1, 2, 2]), kernel: (2, 2),
                            outputSize: [4])
        }
        #expect(stderr(length).contains("maxUnpool2d: output size [4] must give 2 spatial sizes (or 4 sizes with the batch"))
        let outside = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxUnpool2d(Tensor.zeros([1, 1, 1, 1]), indices: Tensor([9], shape: [1, 1, 1, 1]), kernel: (2, 2))
        }
        #expect(stderr(outside).contains("scatter: index 9 is out of bounds for a dimension of size 4"))
        let divisor = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = avgPool2d(Tensor.zeros([1, 1, 4, 4]), kernel: (2, 2), divisorOverride: 0)
        }
        #expect(stderr(divisor).contains("avgPool2d: divisorOverride must not be zero"))
        let scatter = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).scatter(dim: 1, index: Tensor([0, 1], shape: [2, 1]), src: Tensor.zeros([2, 2]))
        }
        #expect(stderr(scatter).contains("got tensor float32 [2, 3], src float32 [2, 2], index int64 [2, 1]"))
        let call = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxUnpool2d(2)(Tensor.zeros([1, 1, 2, 2]))
        }
        #expect(stderr(call).contains("MaxUnpool2d needs the pooling's indices: call it as layer(x, indices: indices)"))
    }
}
