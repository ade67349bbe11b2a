/// Checks a backend against the CPU: every case computes the same ops (forward and backward) from
/// the same inputs on the CPU and on `device`, and compares all outputs and gradients. `ember
/// device-check` runs it, and the test suite runs it on machines with a GPU.
public enum DeviceCheck {
    public struct Result: Sendable {
        public let name: String
        /// Largest |device − cpu| / max(1, |cpu|) over every output and gradient.
        public let maxError: Float
        public let passed: Bool
    }

    /// A named computation returning the tensors to compare (outputs, then gradients).
    public struct Case {
        public let name: String
        let run: (Device) -> [Tensor]
    }

    /// Runs every case (or those whose name contains `filter`) and compares against the CPU.
    public static func run(on device: Device, tolerance: Float = 1e-4, filter: String? = nil) -> [Result] {
        cases.filter { filter == nil || $0.name.contains(filter!) }.map { check($0, on: device, tolerance: tolerance) }
    }

    static func check(_ c: Case, on device: Device, tolerance: Float) -> Result {
        let expected = c.run(.cpu).map { $0.toArray() }
        let actual = c.run(device)
        precondition(actual.allSatisfy { $0.device == device }, "Ember: device check \(c.name) left \(device)")
        var worst: Float = 0
        var passed = expected.count == actual.count
        for (e, a) in zip(expected, actual.map { $0.toArray() }) {
            guard e.count == a.count else { passed = false; continue }
            for (x, y) in zip(e, a) {
                if x.isNaN != y.isNaN { passed = false; worst = .infinity; continue }
                if x.isNaN || x == y { continue }
                worst = Swift.max(worst, Swift.abs(x - y) / Swift.max(1, Swift.abs(x)))
            }
        }
        return Result(name: c.name, maxError: worst, passed: passed && worst <= tolerance)
    }

    // MARK: Inputs

    /// Normal random values made on the CPU from `seed`, then moved to `device` (a leaf).
    static func input(_ shape: [Int], _ seed: UInt64, on device: Device, grad: Bool = true) -> Tensor {
        Tensor.randn(shape, generator: RandomGenerator(seed: seed)).to(device).requiringGrad(grad)
    }

    /// The outputs and the gradients of `inputs` under a random weighting of the outputs, so every
    /// output element matters.
    static func withGradients(_ outputs: [Tensor], _ inputs: [Tensor]) -> [Tensor] {
        var loss: Tensor? = nil
        for (i, out) in outputs.enumerated() where out.dtype == .float32 && out.gradFn != nil {
            let weights = Tensor.randn(out.shape, generator: RandomGenerator(seed: 1000 + UInt64(i))).to(out.device)
            let term = (out * weights).sum()
            loss = loss.map { $0 + term } ?? term
        }
        loss?.backward()
        return outputs + inputs.compactMap { $0.grad }
    }

    /// A case whose outputs are differentiated with respect to its float inputs of `shapes`.
    static func differentiable(_ name: String, _ shapes: [[Int]], _ body: @escaping ([Tensor]) -> [Tensor]) -> Case {
        Case(name: name) { device in
            let inputs = shapes.enumerated().map { input($1, UInt64($0 + 1), on: device) }
            return withGradients(body(inputs), inputs)
        }
    }

    // MARK: Cases

    public static let cases: [Case] = elementwise + reductions + products + classification + indexing + convolution
        + training

    static let elementwise: [Case] = [
        differentiable("unary math", [[7, 9]]) { x in
            let p = x[0].abs() + 0.1
            return [-x[0], x[0].exp(), p.log(), p.sqrt(), p.rsqrt(), x[0].abs(), x[0].square(),
                    p.reciprocal(), x[0].sin(), x[0].cos(), p.pow(2.5), x[0].clamp(min: -0.5, max: 0.7), x[0].sign()]
        },
        differentiable("more unary math", [[6, 7]]) { x in
            let p = x[0].abs() + 0.1, scaled = x[0] * 3
            return [(x[0] * 0.5).tan(), x[0].atan(), x[0].erf(), x[0].tanh().erfinv(), p.log1p(), x[0].expm1(),
                    scaled.round(), scaled.floor(), scaled.ceil(), scaled.trunc()]
        },
        differentiable("inverse and hyperbolic functions", [[6, 7]]) { x in
            let unit = x[0].tanh() * 0.9, p = x[0].abs() + 0.1
            return [unit.asin(), unit.acos(), x[0].sinh(), x[0].cosh(), x[0].asinh(), (p + 1).acosh(), unit.atanh(),
                    p.log2(), p.log10(), x[0].exp2()]
        },
        differentiable("gamma functions", [[5, 6]]) { x in
            let p = x[0].abs() + 0.5
            return [p.lgamma(), p.digamma(), p.polygamma(1), p.polygamma(2), (x[0] - 0.3).lgamma()]
        },
        differentiable("two-argument math", [[4, 5], [5]]) { x in
            let divisor = x[1].abs() + 0.3
            return [x[0].atan2(x[1]), x[0].hypot(x[1]), x[0].copysign(x[1]), (x[0] * 4).fmod(divisor),
                    (x[0] * 4).remainder(divisor), (x[0] * 4).floorDivide(divisor)]
        },
        Case(name: "int64 division") { device in
            let a = Tensor.randint(-50, 50, [4, 6], generator: RandomGenerator(seed: 5)).to(device)
            let b = Tensor.randint(1, 9, [6], generator: RandomGenerator(seed: 6)).to(device) * Tensor([1, -1, 1, -1, 1, -1]).to(device)
            return [a.fmod(b), a.remainder(b), a.floorDivide(b)]
        },
        differentiable("activations", [[5, 33]]) { x in
            [x[0].relu(), x[0].sigmoid(), x[0].tanh(), x[0].gelu(), x[0].softplus(beta: 2, threshold: 3),
             x[0].leakyRelu(negativeSlope: 0.1), x[0].silu(), x[0].elu(alpha: 0.7)]
        },
        differentiable("broadcast arithmetic", [[4, 1, 5], [3, 5], [5, 4]]) { x in
            let t = x[2].t()   // a transposed view
            return [x[0] + x[1], x[0] - x[1], x[0] * x[1], x[0] / (x[1].abs() + 0.5), x[1] * t.slice(0, start: 1),
                    (x[0].abs() + 0.1).pow(x[1]), x[0].maximum(x[1]), x[0].minimum(x[1])]
        },
        differentiable("comparisons and where", [[6, 7], [7]]) { x in
            [x[0].gt(x[1]), x[0].le(0.2), x[0].eq(x[0]), `where`(x[0].gt(x[1]), x[0], x[1] * 2)]
        },
        Case(name: "int64 arithmetic") { device in
            let a = Tensor.randint(-50, 50, [4, 6], generator: RandomGenerator(seed: 3)).to(device)
            let b = Tensor.randint(1, 9, [6], generator: RandomGenerator(seed: 4)).to(device)
            return [a + b, a * b, a - b, a.lt(b), a.float() * 0.5, (a.float() + 0.7).long()]
        },
        differentiable("views and copies", [[3, 4, 5]]) { x in
            let p = x[0].permute(2, 0, 1)
            let y = x[0] * 2   // strided slices of a computed tensor add into its gradient in place
            return [p.contiguous(), p.reshape([5, 12]), x[0].narrow(1, start: 1, length: 2) * 3,
                    x[0].slice(2, start: 0, step: 2).clone(), x[0].expand([2, 3, 4, 5]).sum(dim: 0),
                    y.slice(2, start: 0, step: 2).sum(dim: 2) * y.slice(2, start: 1, step: 2).sum(dim: 2) + y[1].sum()]
        },
    ]

    static let reductions: [Case] = [
        differentiable("sum, mean, var", [[6, 7, 8]]) { x in
            let t = x[0].transpose(0, 2)
            return [x[0].sum(), x[0].sum(dim: 1), t.sum(dims: [0, 2], keepdim: true), x[0].mean(dim: -1),
                    x[0].variance(dim: 0), t.std(dim: 1)]
        },
        differentiable("max, min, argmax", [[5, 300]]) { x in
            let m = x[0].max(dim: 1), n = x[0].min(dim: 0)
            return [m.values, m.indices, n.values, n.indices, x[0].max(), x[0].argmax(dim: 1), x[0].t().argmin(dim: 1)]
        },
        differentiable("long row sum", [[2, 70_000]]) { x in [x[0].sum(dim: 1), x[0].sum()] },
    ]

    static let products: [Case] = [
        differentiable("matmul layouts", [[2, 3, 4], [4, 5], [5, 4], [2, 5, 3]]) { x in
            [x[0].matmul(x[1]), x[0].matmul(x[2].t()), x[3].transpose(1, 2).matmul(x[2]), x[0][0].matmul(x[1])]
        },
        differentiable("linear", [[64, 784], [256, 784], [256]]) { x in
            [linear(x[0], weight: x[1], bias: x[2])]
        },
        differentiable("batched broadcast matmul", [[3, 1, 6, 7], [4, 7, 2]]) { x in [x[0].matmul(x[1])] },
    ]

    static let classification: [Case] = [
        differentiable("softmax family", [[9, 13], [4, 500]]) { x in
            [x[0].softmax(dim: -1), x[0].logSoftmax(dim: 0), x[1].softmax(), x[1].logSoftmax()]
        },
        Case(name: "cross-entropy") { device in
            let logits = input([8, 10], 7, on: device)
            let targets = Tensor([3, 0, 9, -100, 5, 5, 1, 2], device: device)
            let losses = [crossEntropy(logits, targets), crossEntropy(logits, targets, reduction: .sum),
                          logits.crossEntropyPerRow(targets)]
            return withGradients(losses, [logits])
        },
        differentiable("layer norm", [[6, 5, 40], [40], [40], [3, 300]]) { x in
            [layerNorm(x[0], normalizedShape: [40], weight: x[1], bias: x[2]),
             layerNorm(x[0].transpose(0, 1), normalizedShape: [6, 40], weight: nil, bias: nil),
             layerNorm(x[3], normalizedShape: [300], weight: nil, bias: x[3][0])]
        },
        differentiable("regression losses", [[6, 3], [6, 3]]) { x in
            [mseLoss(x[0], x[1]), l1Loss(x[0], x[1]), huberLoss(x[0], x[1], delta: 0.5),
             binaryCrossEntropyWithLogits(x[0], x[1].sigmoid())]
        },
    ]

    static let indexing: [Case] = [
        Case(name: "index select, gather, scatter, one-hot") { device in
            let x = input([5, 6, 4], 9, on: device)
            let picks = Tensor([4, 0, 0, 2], device: device)
            let gatherIndex = Tensor.randint(0, 6, [5, 3, 4], generator: RandomGenerator(seed: 10)).to(device)
            // Distinct targets along each line, so that no two writes race.
            let scatterIndex = Tensor.rand([5, 6, 4], generator: RandomGenerator(seed: 11)).argsort(dim: 1)
                .narrow(1, start: 0, length: 3).to(device)
            let outs = [x.indexSelect(dim: 1, indices: picks), x.indexSelect(dim: 0, indices: picks),
                        x.gather(dim: 1, indices: gatherIndex), picks.oneHot(classes: 6),
                        x.scatter(dim: 1, index: scatterIndex, src: x.narrow(1, start: 1, length: 3) * 2)]
            return withGradients(outs, [x])
        },
        differentiable("cat and stack", [[2, 3], [4, 3], [2, 3]]) { x in
            [Tensor.cat([x[0], x[1], x[2]], dim: 0), Tensor.stack([x[0], x[2]], dim: 1), Tensor.cat([x[0], x[2]], dim: 1)]
        },
    ]

    static let convolution: [Case] = [
        differentiable("conv2d", [[2, 4, 9, 8], [6, 4, 3, 3], [6], [4, 2, 2, 3]]) { x in
            [conv2d(x[0], weight: x[1], bias: x[2]), conv2d(x[0], weight: x[1], stride: (2, 1), padding: .explicit(1, 2)),
             conv2d(x[0], weight: x[1], dilation: (2, 2)), conv2d(x[0], weight: x[3], padding: .same, groups: 2)]
        },
        differentiable("convTranspose2d", [[2, 4, 5, 4], [4, 3, 3, 3], [3], [4, 2, 2, 3]]) { x in
            [convTranspose2d(x[0], weight: x[1], bias: x[2], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1)),
             convTranspose2d(x[0], weight: x[3], stride: (1, 2), groups: 2, dilation: (2, 1))]
        },
        differentiable("pooling", [[2, 3, 8, 7]]) { x in
            [maxPool2d(x[0], kernel: (2, 2)), maxPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
             avgPool2d(x[0], kernel: (2, 3)), adaptiveAvgPool2d(x[0], outputSize: (3, 2)),
             maxPool2d(x[0], kernel: (2, 2), ceilMode: true),
             avgPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)]
        },
        differentiable("grid sample", [[2, 3, 6, 5], [2, 4, 7, 2]]) { x in
            // Points spread past the borders, so every padding rule is exercised.
            let grid = x[1] * 0.8
            return [gridSample(x[0], grid: grid), gridSample(x[0], grid: grid, paddingMode: .border, alignCorners: true),
                    gridSample(x[0], grid: grid, paddingMode: .reflection),
                    gridSample(x[0], grid: grid, mode: .nearest, paddingMode: .reflection, alignCorners: true)]
        },
        Case(name: "batch norm (train, eval)") { device in
            let bn = BatchNorm2d(3).to(device)
            let x = input([4, 3, 5, 5], 11, on: device)
            let train = bn(x)
            bn.eval()
            let evaluated = bn(x * 0.5)
            return withGradients([train, evaluated], [x] + bn.parameters()) + [bn.runningMean, bn.runningVar]
        },
    ]

    static let training: [Case] = [
        Case(name: "MLP with Adam, 5 steps") { device in
            manualSeedForCheck()
            let model = Sequential { Linear(20, 32); ReLU(); Linear(32, 4) }.to(device)
            let optimizer = Adam(model.parameters(), lr: 1e-2)
            let x = input([16, 20], 12, on: device, grad: false)
            let y = Tensor.randint(0, 4, [16], generator: RandomGenerator(seed: 13)).to(device)
            var losses: [Tensor] = []
            for _ in 0..<5 {
                optimizer.zeroGrad()
                let loss = crossEntropy(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.detach())
            }
            return losses + model.parameters().map { $0.detach() }
        },
        Case(name: "MLP with AdamW (amsgrad), step captured in a CUDA graph, 6 steps") { device in
            manualSeedForCheck()
            let model = Sequential { Linear(20, 32); ReLU(); Linear(32, 4) }.to(device)
            let optimizer = AdamW(model.parameters(), lr: 1e-2, weightDecay: 0.1, amsgrad: true)
            let batches = (0..<6).map { i in
                (input([16, 20], 20 + UInt64(i), on: device, grad: false),
                 Tensor.randint(0, 4, [16], generator: RandomGenerator(seed: 40 + UInt64(i))).to(device))
            }
            let step = { (x: Tensor, y: Tensor) -> Tensor in
                optimizer.zeroGrad()
                let loss = crossEntropy(model(x), y)
                loss.backward()
                optimizer.step()
                return loss
            }
            // The CPU runs every step eagerly; a GPU runs two, then captures the third and replays it.
            guard case .cuda = device else { return batches.map { step($0.0, $0.1).detach() } + model.parameters().map { $0.detach() } }
            var losses = batches[0..<2].map { step($0.0, $0.1).detach() }
            let (x, y) = noGrad { (batches[2].0.clone(), batches[2].1.clone()) }
            let graph: CUDAGraph, loss: Tensor
            do {
                graph = try CUDAGraph(device: device)
                loss = try graph.capture { step(x, y) }
            } catch {
                fatalError("Ember: device check: \(error)")
            }
            for (i, batch) in batches.enumerated().dropFirst(2) {
                if i > 2 { noGrad { x.copy_(batch.0); y.copy_(batch.1) } }
                graph.replay()
                losses.append(noGrad { loss.clone() })
            }
            return losses + model.parameters().map { $0.detach() }
        },
        Case(name: "RMSprop (centered, momentum) and NAdam, 4 steps each") { device in
            var out: [Tensor] = []
            for make in [{ RMSprop($0, lr: 0.01, momentum: 0.9, centered: true) as Optimizer }, { NAdam($0, lr: 0.01) }] {
                manualSeedForCheck()
                let model = Sequential { Linear(3, 4); Tanh(); Linear(4, 1) }.to(device)
                let optimizer = make(model.parameters())
                let x = input([8, 3], 16, on: device, grad: false), y = input([8, 1], 17, on: device, grad: false)
                for _ in 0..<4 {
                    optimizer.zeroGrad()
                    mseLoss(model(x), y).backward()
                    optimizer.step()
                }
                out += model.parameters().map { $0.detach() }
            }
            return out
        },
        Case(name: "SGD with momentum, 5 steps") { device in
            manualSeedForCheck()
            let model = Sequential { Linear(3, 4); Sigmoid(); Linear(4, 1) }.to(device)
            let optimizer = SGD(model.parameters(), lr: 0.05, momentum: 0.9, weightDecay: 1e-3)
            let x = input([8, 3], 14, on: device, grad: false), y = input([8, 1], 15, on: device, grad: false)
            for _ in 0..<5 {
                optimizer.zeroGrad()
                mseLoss(model(x), y).backward()
                optimizer.step()
            }
            return model.parameters().map { $0.detach() }
        },
    ]

    /// Layers draw their initial weights from the global generator: reseed it so both runs start equal.
    static func manualSeedForCheck() { manualSeed(2024) }
}
