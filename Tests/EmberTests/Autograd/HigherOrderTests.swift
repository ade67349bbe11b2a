import Foundation
import Testing
@testable import Ember

/// Second and third derivatives through `Autograd.grad(createGraph: true)`, against PyTorch
/// (scripts/make_autograd_fixtures.py → Fixtures/autograd.json): for each case's scalar L, the
/// gradient, a Hessian-vector product and a third-order product, over every op family with a fused
/// backward kernel (activations, softmax, cross-entropy, convolution, layer norm, norms, embedding).
@Suite struct HigherOrderTests {
    static let cases: [String: [String: Any]] = {
        let list = (try? loadFixture("autograd.json"))?["cases"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }()

    @Test func fixturesLoaded() { #expect(Self.cases.count == 18) }

    /// The case's L, written with Ember's ops as the script writes it with PyTorch's.
    static func loss(_ name: String, _ t: [String: Tensor]) -> Tensor {
        let x = t["x"], s = t["s"]
        switch name {
        case "elementwise":
            let x = x!
            return (x.exp() * x.sin() + x.pow(3) / (1 + x * x) + (x * x + 1).sqrt() + (x.abs() + 1).log()
                + x.cos().square() + (x * x + 1).rsqrt() + 1 / (x * x + 2)).sum()
        case "pow_tensor":
            let (a, b) = (t["a"]!, t["b"]!)
            return a.pow(b).sum() + (a * b).pow(2).sum()
        case "activations":
            let (x, s) = (x!, s!)
            return (x.sigmoid() * s).sum() + (x.tanh() * s * s).sum() + x.softplus().sum() + (x.gelu() * s).sum()
                + (x.silu() * s).sum() + (x.elu() * s).sum() + (x.leakyRelu(negativeSlope: 0.1) * x).sum()
                + (x.relu() * x * s).sum() + (x.clamp(min: -0.5, max: 0.5) * x).sum() + (x.hardtanh() * s * x).sum()
        case "mlp_tanh":
            return linear(linear(x!, weight: t["w1"]!, bias: t["b1"]!).tanh(), weight: t["w2"]!, bias: t["b2"]!).sum()
        case "mlp_mixed":
            let hidden = linear(x!.matmul(t["w1"]!.t()).softplus(), weight: t["w2"]!, bias: nil).gelu().sigmoid()
            return linear(hidden, weight: t["w3"]!, bias: nil).pow(2).mean()
        case "softmax":
            return (x!.softmax(dim: 1) * s!).sum() + (x!.logSoftmax(dim: 0) * s! * s!).sum()
        case "cross_entropy_mean":
            return crossEntropy(linear(x!, weight: t["w"]!, bias: t["b"]!), t["t"]!)
        case "cross_entropy_none":
            return (crossEntropy(x!, t["t"]!, reduction: .none) * Tensor([1, 2, 3] as [Float])).sum()
        case "conv2d":
            return conv2d(x!, weight: t["w"]!, bias: t["b"]!, stride: (2, 2), padding: 1).tanh().sum()
        case "conv2d_groups":
            return conv2d(x!, weight: t["w"]!, groups: 2).square().sum()
        case "layer_norm":
            return (layerNorm(x!, normalizedShape: [6], weight: t["w"]!, bias: t["b"]!).tanh() * s!).sum()
        case "norm":
            return x!.norm(dim: 1).sum() + x!.norm(p: 3) + x!.norm(p: 1, dim: 0).sum()
        case "gradient_penalty":
            let critic = linear(linear(x!, weight: t["w1"]!, bias: t["b1"]!).leakyRelu(negativeSlope: 0.2),
                                weight: t["w2"]!, bias: t["b2"]!)
            let dx = Autograd.grad(of: critic.sum(), wrt: [x!], createGraph: true)[0]
            return (dx.norm(dim: 1) - 1).square().mean()
        case "embedding_padding":
            return (embedding(t["i"]!, weight: t["w"]!, paddingIdx: 2).tanh() * s!).sum()
        case "views_and_indexing":
            let x = x!
            return x.slice(1, start: 1, end: 5, step: 2).exp().sum()
                + Tensor.cat([x.narrow(0, start: 0, length: 2), x.narrow(0, start: 2, length: 2) * 2]).sigmoid().sum()
                + x.t().reshape([-1]).slice(0, start: 3, end: 9).square().sum()
                + x.indexSelect(dim: 1, indices: t["i"]!).tanh().sum()
                + x.unsqueeze(0).expand([2, 4, 6]).pow(3).sum() + x.permute([1, 0]).select(0, 2).sin().sum()
        case "pooling_and_max":
            let x = x!
            return maxPool2d(x.tanh(), kernel: (2, 2)).square().sum() + x.max(dim: 1).values.exp().sum()
                + avgPool2d(x, kernel: (2, 2)).pow(3).sum()
        case "losses":
            let y = linear(x!, weight: t["w"]!, bias: nil)
            return mseLoss(y, t["y"]!) + binaryCrossEntropyWithLogits(y, t["y"]!.sigmoid())
        case "batch_norm_training":
            return (batchNorm(x!, runningMean: nil, runningVar: nil, weight: t["w"]!, bias: t["b"]!, training: true) * s!)
                .tanh().sum()
        default: fatalError("HigherOrderTests: no case \(name)")
        }
    }

    /// Gradients of `output` for every input, recorded; zeros where the output does not depend on one.
    static func recordedGrads(_ output: Tensor, _ inputs: [Tensor]) -> [Tensor] {
        guard output.requiresGrad else { return inputs.map { Tensor.zeros($0.shape) } }
        return Autograd.grad(of: output, wrt: inputs, createGraph: true, allowUnused: true)
    }

    @Test(arguments: cases.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let order = c["order"] as! [String]
        var tensors: [String: Tensor] = [:]
        for (key, spec) in c["inputs"] as! [String: [String: Any]] {
            tensors[key] = Tensor(floats(spec["values"]), shape: spec["shape"] as! [Int], requiresGrad: true)
        }
        for (key, spec) in c["constants"] as! [String: [String: Any]] {
            let shape = spec["shape"] as! [Int]
            tensors[key] = spec["dtype"] as! String == "int64"
                ? Tensor((spec["values"] as! [Int]), shape: shape) : Tensor(floats(spec["values"]), shape: shape)
        }
        let inputs = order.map { tensors[$0]! }
        let loss = Self.loss(name, tensors)
        expectClose([loss.item()], floats(c["loss"]), atol: 1e-4, rtol: 1e-4, "\(name) loss")
        // Each order's gradients, then the next order from their products with fixed tensors.
        var grads = Self.recordedGrads(loss, inputs)
        for (level, weights) in [("first", "v"), ("second", "w"), ("third", nil)] {
            let want = c[level] as! [Any]
            for (i, key) in order.enumerated() {
                expectClose(grads[i].toArray(), floats(want[i]), atol: 2e-4, rtol: 2e-3, "\(name) \(level) d/d\(key)")
            }
            guard let weights else { break }
            let products = zip(grads, c[weights] as! [Any]).map { g, w in (g * Tensor(floats(w), shape: g.shape)).sum() }
            grads = Self.recordedGrads(products.dropFirst().reduce(products[0], +), inputs)
        }
    }
}
