import Testing
@testable import Ember

/// The CPU backend's own convolution (`CPUBackend.conv2d`: each image unfolded and multiplied by
/// blocked kernels) against the same convolution composed from differentiable ops, im2col and a
/// batched matmul. The cases reach each of its paths: one image split by output columns over the
/// threads, an odd batch shared by two threads, groups with stride, padding and dilation,
/// depthwise, pointwise, and products long enough to be cut into chunks (a forward k of 360, a
/// weight gradient over 2,500 output positions); each forward with and without
/// a graph, each backward with every combination of input and weight gradients.
@Suite struct DirectConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var batch, channels, height, width, outChannels: Int
        var kernel: (Int, Int), stride = (1, 1), padding = (0, 0), dilation = (1, 1), groups = 1
        var testDescription: String {
            "\(batch)x\(channels)x\(height)x\(width) → \(outChannels), kernel \(kernel), stride \(stride), "
                + "padding \(padding), dilation \(dilation), groups \(groups)"
        }
    }

    static let cases: [Case] = [
        Case(batch: 1, channels: 3, height: 20, width: 20, outChannels: 8, kernel: (3, 3), padding: (1, 1)),
        Case(batch: 3, channels: 4, height: 9, width: 11, outChannels: 6, kernel: (3, 2), stride: (2, 1),
             padding: (1, 0), dilation: (1, 2), groups: 2),
        Case(batch: 2, channels: 6, height: 7, width: 7, outChannels: 6, kernel: (3, 3), padding: (1, 1), groups: 6),
        Case(batch: 5, channels: 2, height: 6, width: 5, outChannels: 4, kernel: (1, 1)),
        Case(batch: 2, channels: 40, height: 8, width: 8, outChannels: 7, kernel: (3, 3), padding: (2, 2), dilation: (2, 2)),
        Case(batch: 2, channels: 2, height: 50, width: 50, outChannels: 3, kernel: (3, 3), padding: (1, 1)),
    ]

    /// The convolution from im2col and a matmul broadcast over the groups, recorded op by op.
    static func composed(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ c: Case) -> Tensor {
        let geometry = ConvGeometry(batch: c.batch, channels: c.channels, height: c.height, width: c.width,
                                    kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation)
        let plane = geometry.outHeight * geometry.outWidth, k = c.channels / c.groups * c.kernel.0 * c.kernel.1
        let columns = x.im2col(geometry).reshape([c.batch, c.groups, k, plane])
        let product = w.reshape([c.groups, c.outChannels / c.groups, k]).matmul(columns)
        let out = product.reshape([c.batch, c.outChannels, geometry.outHeight, geometry.outWidth])
        return b.map { out + $0.reshape([1, c.outChannels, 1, 1]) } ?? out
    }

    static func direct(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ c: Case) -> Tensor {
        conv2d(x, weight: w, bias: b, stride: c.stride, padding: .explicit(c.padding.0, c.padding.1),
               dilation: c.dilation, groups: c.groups)
    }

    @Test(arguments: cases)
    func forwardMatchesComposition(_ c: Case) {
        manualSeed(31)
        let x = Tensor.randn([c.batch, c.channels, c.height, c.width])
        let w = Tensor.randn([c.outChannels, c.channels / c.groups, c.kernel.0, c.kernel.1], requiresGrad: true)
        let b = Tensor.randn([c.outChannels])
        let expected = noGrad { Self.composed(x, w, b, c) }.toArray()
        expectClose(Self.direct(x, w, b, c).toArray(), expected, atol: 1e-4, "with a graph")
        expectClose(noGrad { Self.direct(x, w, b, c) }.toArray(), expected, atol: 1e-4, "without a graph")
        expectClose(noGrad { Self.direct(x, w, nil, c) }.toArray(), noGrad { Self.composed(x, w, nil, c) }.toArray(),
                    atol: 1e-4, "without a bias")
    }

    @Test(arguments: cases)
    func gradientsMatchComposition(_ c: Case) {
        // (input, weight, bias) needing gradients; a nil bias flag means no bias at all.
        let combinations: [(Bool, Bool, Bool?)] = [(true, true, true), (true, false, nil), (false, true, false), (false, false, true)]
        for (inputGrad, weightGrad, biasGrad) in combinations {
            manualSeed(32)
            let xValue = Tensor.randn([c.batch, c.channels, c.height, c.width])
            let wValue = Tensor.randn([c.outChannels, c.channels / c.groups, c.kernel.0, c.kernel.1])
            let bValue = Tensor.randn([c.outChannels])
            func gradients(_ conv: (Tensor, Tensor, Tensor?, Case) -> Tensor) -> (x: [Float]?, w: [Float]?, b: [Float]?) {
                let x = xValue.detach().requiringGrad(inputGrad), w = wValue.detach().requiringGrad(weightGrad)
                let b = biasGrad.map { bValue.detach().requiringGrad($0) }
                let out = conv(x, w, b, c)
                // A generator of its own: the global one is shared with tests running at the same time.
                (out * Tensor.randn(out.shape, generator: RandomGenerator(seed: 33))).sum().backward()
                return (x.grad?.toArray(), w.grad?.toArray(), b?.grad?.toArray())
            }
            let got = gradients(Self.direct), expected = gradients(Self.composed)
            let label = "input grad \(inputGrad), weight grad \(weightGrad), bias grad \(String(describing: biasGrad))"
            #expect((got.x == nil) == !inputGrad && (got.w == nil) == !weightGrad && (got.b == nil) == (biasGrad != true),
                    "\(label)")
            if let gx = got.x, let ex = expected.x { expectClose(gx, ex, atol: 1e-3, "input gradient, \(label)") }
            if let gw = got.w, let ew = expected.w { expectClose(gw, ew, atol: 1e-3, "weight gradient, \(label)") }
            if let gb = got.b, let eb = expected.b { expectClose(gb, eb, atol: 1e-3, "bias gradient, \(label)") }
        }
    }

    /// Operands of any strides: a channels-last input permuted to NCHW, a weight with its spatial
    /// dims swapped, a bias taken every other element; outputs and gradients equal contiguous copies'.
    @Test func stridedOperandsMatchContiguousCopies() {
        manualSeed(34)
        let xLeaf = Tensor.randn([3, 9, 10, 4], requiresGrad: true), wLeaf = Tensor.randn([5, 4, 2, 3], requiresGrad: true)
        let bLeaf = Tensor.randn([5, 2], requiresGrad: true)
        let x = xLeaf.permute([0, 3, 1, 2]), w = wLeaf.transpose(2, 3), b = bLeaf.select(1, 0)
        #expect(!x.isContiguous && !w.isContiguous && !b.isContiguous)
        let r = Tensor.randn([3, 5, 7, 11])
        let strided = conv2d(x, weight: w, bias: b, padding: .explicit(0, 1))
        (strided * r).sum().backward()
        let grads = [xLeaf, wLeaf, bLeaf].map { $0.grad!.toArray() }
        let (xc, wc, bc) = (x.detach().contiguous().requiringGrad(), w.detach().contiguous().requiringGrad(),
                            b.detach().contiguous().requiringGrad())
        let copies = conv2d(xc, weight: wc, bias: bc, padding: .explicit(0, 1))
        (copies * r).sum().backward()
        expectClose(strided.toArray(), copies.toArray(), atol: 1e-4, "output")
        expectClose(grads[0], xc.grad!.permute([0, 2, 3, 1]).contiguous().toArray(), atol: 1e-4, "input gradient")
        expectClose(grads[1], wc.grad!.transpose(2, 3).contiguous().toArray(), atol: 1e-4, "weight gradient")
        expectClose(grads[2].enumerated().filter { $0.offset % 2 == 0 }.map(\.element), bc.grad!.toArray(), atol: 1e-4,
                    "bias gradient")
    }
}
