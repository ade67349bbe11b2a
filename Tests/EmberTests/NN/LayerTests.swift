import Foundation
import Testing
@testable import Ember

@Suite("NN layers")
struct LayerTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("nn_layers.json") }

    @Test func linearForwardBackwardMatchesTorch() {
        let f = object(fixture["linear"])
        let layer = Linear(4, 5)
        noGrad {
            layer.weight.copy_(tensor(f["weight"], [5, 4]))
            layer.bias!.copy_(tensor(f["bias"], [5]))
        }
        let x = tensor(f["x"], [3, 4], requiresGrad: true)
        let y = layer(x)
        #expect(y.shape == [3, 5])
        expectClose(y.toArray(), floats(f["out"]), "out")
        y.backward(tensor(f["upstream"], [3, 5]))
        expectClose(x.grad!.toArray(), floats(f["grad_x"]), "grad x")
        expectClose(layer.weight.grad!.toArray(), floats(f["grad_weight"]), "grad weight")
        expectClose(layer.bias!.grad!.toArray(), floats(f["grad_bias"]), "grad bias")
    }

    @Test func linearDefaultInitIsUniformInPyTorchBounds() {
        let layer = Linear(100, 50)
        let bound = 1 / Float(100).squareRoot()
        let w = layer.weight.toArray(), b = layer.bias!.toArray()
        #expect(w.allSatisfy { abs($0) <= bound } && b.allSatisfy { abs($0) <= bound })
        // U(-b, b) has mean 0 and variance b²/3.
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(w.count)
        #expect(abs(mean) < 0.01 * bound * 10)
        #expect(abs(variance - bound * bound / 3) < 0.1 * bound * bound / 3)
        #expect(layer.weight.requiresGrad && layer.bias!.requiresGrad)
        #expect(Linear(3, 2, bias: false).bias == nil)
        #expect(Linear(3, 2, bias: false).stateDictKeys == ["weight"])
    }

    @Test(arguments: ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "softplus",
                      "silu", "elu", "selu", "mish", "hardtanh", "relu6", "hardsigmoid", "hardswish", "softsign"])
    func activationMatchesTorch(name: String) {
        let modules: [String: Module] = [
            "relu": ReLU(), "leaky_relu": LeakyReLU(negativeSlope: 0.2), "sigmoid": Sigmoid(), "tanh": Tanh(),
            "gelu": GELU(), "softmax": Softmax(dim: 1), "log_softmax": LogSoftmax(dim: 1),
            "softplus": Softplus(beta: 2, threshold: 5),
            "silu": SiLU(), "elu": ELU(alpha: 0.7), "selu": SELU(), "mish": Mish(), "hardtanh": Hardtanh(minVal: -0.5, maxVal: 1.5),
            "relu6": ReLU6(), "hardsigmoid": Hardsigmoid(), "hardswish": Hardswish(), "softsign": Softsign(),
        ]
        let f = object(fixture[name])
        let x = tensor(fixture["activation_input"], [2, 5], requiresGrad: true)
        let y = modules[name]!(x)
        expectClose(y.toArray(), floats(f["out"]), name)
        y.backward(tensor(fixture["activation_upstream"], [2, 5]))
        expectClose(x.grad!.toArray(), floats(f["grad"]), "\(name) grad")
    }

    /// SiLU and ELU have kernels of their own; their gradients also match finite differences over a
    /// range wide enough for both branches, on a transposed (strided) input.
    @Test func siluAndEluGradientsMatchFiniteDifferences() {
        let base = Tensor((0..<40).map { Float($0) * 0.3 - 5.95 }, shape: [5, 8])   // no point at the kink x = 0
        for (name, f) in [("silu", { (x: Tensor) in x.silu() }), ("elu", { (x: Tensor) in x.elu(alpha: 0.7) })] {
            let x = base.t().requiringGrad()
            f(x).square().sum().backward()
            let analytic = x.grad!.toArray()
            var numeric: [Float] = []
            let values = x.contiguous().toArray()
            for i in values.indices {
                var plus = values, minus = values
                plus[i] += 1e-2; minus[i] -= 1e-2
                let up = f(Tensor(plus, shape: x.shape)).square().sum().item()
                let down = f(Tensor(minus, shape: x.shape)).square().sum().item()
                numeric.append((up - down) / 2e-2)
            }
            expectClose(analytic, numeric, atol: 2e-2, rtol: 1e-2, "\(name) gradient")
        }
    }

    /// PyTorch's hardtanh family passes the gradient only strictly inside its range (relu6 has
    /// gradient 0 at x = 0); ELU near 0 keeps its relative precision (expm1, not exp − 1).
    @Test func boundaryGradientsAndSmallELUFollowPyTorch() {
        func grad(_ values: [Float], _ f: (Tensor) -> Tensor) -> [Float] {
            let x = Tensor(values).requiringGrad()
            f(x).sum().backward()
            return x.grad!.toArray()
        }
        #expect(grad([0, 6, 3, -1, 7]) { $0.relu6() } == [0, 0, 1, 0, 0])
        #expect(grad([-1, 1, 0.5]) { $0.hardtanh() } == [0, 0, 1])
        expectClose(grad([-3, 3, 0]) { $0.hardsigmoid() }, [0, 0, 1.0 / 6], "hardsigmoid")
        let small = Tensor([-1e-7, -1e-5, -0.01, -0.02]).elu().toArray()
        expectClose(small, [-1e-7, -9.99995e-6, -0.00995017, -0.01980133], atol: 0, rtol: 1e-5, "elu near 0")
    }

    @Test(arguments: ["prelu_channels", "prelu_shared"])
    func preluMatchesTorch(name: String) {
        let f = object(fixture[name])
        let slopes = floats(f["weight"])
        let layer = PReLU(numParameters: slopes.count)
        #expect(layer.weight.toArray() == [Float](repeating: 0.25, count: slopes.count))
        #expect(layer.stateDictKeys == ["weight"])
        noGrad { layer.weight.copy_(Tensor(slopes)) }
        let x = tensor(f["x"], [2, 3, 4], requiresGrad: true)
        let y = layer(x)
        expectClose(y.toArray(), floats(f["out"]), name)
        y.backward(tensor(f["upstream"], [2, 3, 4]))
        expectClose(x.grad!.toArray(), floats(f["grad_x"]), "\(name) grad x")
        expectClose(layer.weight.grad!.toArray(), floats(f["grad_weight"]), "\(name) grad weight")
    }

    @Test(arguments: ["group_norm_affine", "group_norm_plain"])
    func groupNormMatchesTorch(name: String) {
        let f = object(fixture[name])
        let shape = ints(f["shape"])
        let affine = f["weight"] != nil
        let layer = GroupNorm(f["groups"] as! Int, shape[1], affine: affine)
        #expect(layer.stateDictKeys == (affine ? ["weight", "bias"] : []))
        if affine {
            noGrad {
                layer.weight!.copy_(tensor(f["weight"], [shape[1]]))
                layer.bias!.copy_(tensor(f["bias"], [shape[1]]))
            }
        }
        let x = tensor(f["x"], shape, requiresGrad: true)
        let y = layer(x)
        expectClose(y.toArray(), floats(f["out"]), name)
        y.backward(tensor(f["upstream"], shape))
        expectClose(x.grad!.toArray(), floats(f["grad_x"]), "\(name) grad x")
        if affine {
            expectClose(layer.weight!.grad!.toArray(), floats(f["grad_weight"]), "\(name) grad weight")
            expectClose(layer.bias!.grad!.toArray(), floats(f["grad_bias"]), "\(name) grad bias")
        }
        // A transposed view of the same values gives the same result (the rows are gathered first).
        let strided = tensor(f["x"], shape).transpose(0, 1).contiguous().transpose(0, 1)
        expectClose(layer(strided).toArray(), floats(f["out"]), "\(name) strided")
    }

    @Test func channelMismatchesStopNamingTheShapes() async {
        let group = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = groupNorm(Tensor.zeros([2, 6, 4]), numGroups: 4)
        }
        #expect(stderr(group).contains("groupNorm: expected an input [N, C, ...] whose 6 channels split into 4 groups, got shape [2, 6, 4]"))
        let slopes = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = PReLU(numParameters: 3)(Tensor.zeros([2, 4, 5]))
        }
        #expect(stderr(slopes).contains("prelu: weight of shape [3] fits neither one slope nor one per channel of input [2, 4, 5]"))
    }

    @Test func flattenAndIdentity() {
        let x = Tensor.arange(0, 24).reshape([2, 3, 4]).requiringGrad()
        let y = Flatten()(x)
        #expect(y.shape == [2, 12])
        #expect(y.toArray() == x.toArray())
        #expect(Flatten(startDim: 0, endDim: 1)(x).shape == [6, 4])
        y.sum().backward()
        #expect(x.grad!.toArray() == [Float](repeating: 1, count: 24))
        #expect(Identity()(x) === x)
    }

    @Test(arguments: ["batchnorm_2d", "batchnorm_3d"])
    func batchNormTrainingAndEvalMatchTorch(name: String) {
        let f = object(fixture[name])
        let shape = ints(f["shape"])
        let bn = BatchNorm1d(3)
        noGrad {
            bn.weight!.copy_(Tensor([1.5, 0.5, -1.0]))
            bn.bias!.copy_(Tensor([0.1, -0.2, 0.3]))
        }
        for (i, stepAny) in (f["steps"] as! [Any]).enumerated() {
            let step = object(stepAny)
            let x = tensor(step["x"], shape, requiresGrad: true)
            let y = bn(x)
            expectClose(y.toArray(), floats(step["out"]), atol: 1e-4, "\(name) step \(i) out")
            y.backward(tensor(step["upstream"], shape))
            expectClose(x.grad!.toArray(), floats(step["grad_x"]), atol: 1e-4, "\(name) step \(i) grad x")
            expectClose(bn.weight!.grad!.toArray(), floats(step["grad_weight"]), atol: 1e-4, "grad weight")
            expectClose(bn.bias!.grad!.toArray(), floats(step["grad_bias"]), atol: 1e-4, "grad bias")
            expectClose(bn.runningMean.toArray(), floats(step["running_mean"]), "\(name) step \(i) running mean")
            expectClose(bn.runningVar.toArray(), floats(step["running_var"]), "\(name) step \(i) running var")
            bn.zeroGrad()
        }
        #expect(bn.numBatchesTracked.dtype == .int64)
        #expect(bn.numBatchesTracked.toIntArray() == [(f["num_batches_tracked"] as! Int)])
        bn.eval()
        let before = bn.runningMean.toArray()
        let y = bn(tensor(f["eval_x"], shape))
        expectClose(y.toArray(), floats(f["eval_out"]), atol: 1e-4, "\(name) eval")
        #expect(bn.runningMean.toArray() == before, "eval must not update running stats")
        #expect(bn.numBatchesTracked.toIntArray() == [3])
    }

    @Test func batchNormCumulativeAverageWithoutMomentum() {
        let bn = BatchNorm1d(2, momentum: nil, affine: false)
        #expect(bn.parameters().isEmpty)
        let a = Tensor([[1, 2], [3, 6]] as [[Float]]), b = Tensor([[5, 0], [7, 0]] as [[Float]])
        _ = bn(a)
        _ = bn(b)
        // Cumulative average of the batch means and unbiased variances.
        expectClose(bn.runningMean.toArray(), [(2 + 6) / 2, (4 + 0) / 2])
        expectClose(bn.runningVar.toArray(), [(2 + 2) / 2, (8 + 0) / 2])
    }

    @Test func dropoutStatistics() {
        // A private generator: tests run in parallel and share the global one.
        let drop = Dropout(0.3)
        drop.generator = RandomGenerator(seed: 42)
        let x = Tensor.ones([200, 500])
        let y = drop(x).toArray()
        let kept = y.filter { $0 != 0 }
        let keepRate = Float(kept.count) / Float(y.count)
        #expect(abs(keepRate - 0.7) < 0.005, "keep rate \(keepRate)")
        // Survivors are scaled by 1/(1-p) so the mean is preserved.
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-5 })
        let mean = y.reduce(0, +) / Float(y.count)
        #expect(abs(mean - 1) < 0.01)
        // The gradient uses the same mask and scale.
        let xg = Tensor.ones([10, 10]).requiringGrad()
        let out = drop(xg)
        out.sum().backward()
        #expect(xg.grad!.toArray() == out.toArray())
        // Different masks on successive calls, and reproducible from the seed.
        drop.generator.reseed(42)
        #expect(drop(x).toArray() == y)
        #expect(drop(x).toArray() != y)
        // Evaluation: the identity.
        drop.eval()
        #expect(drop(x) === x)
        #expect(Dropout(0)(x) === x)
        #expect(Dropout(1)(x).toArray().allSatisfy { $0 == 0 })
    }

    @Test func sequentialBuilderRunsLayersInOrder() {
        let useTanh = true
        let net = Sequential {
            Linear(3, 4)
            ReLU()
            if useTanh { Tanh() } else { Sigmoid() }
            for _ in 0..<2 { Identity() }
            Linear(4, 2)
        }
        #expect(net.count == 6)
        #expect(net[2] is Tanh && net[3] is Identity)
        let x = Tensor.randn([5, 3])
        let first = net[0] as! Linear, last = net[5] as! Linear
        let expected = last(first(x).relu().tanh())
        expectClose(net(x).toArray(), expected.toArray())
        #expect(net.stateDictKeys == ["0.weight", "0.bias", "5.weight", "5.bias"])
        let other = Sequential(Linear(2, 2), Sigmoid())
        other.append(Linear(2, 1))
        #expect(other.stateDictKeys == ["0.weight", "0.bias", "2.weight", "2.bias"])
    }
}
