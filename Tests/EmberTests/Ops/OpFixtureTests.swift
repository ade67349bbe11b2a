import Foundation
import Testing
@testable import Ember

/// Every op's forward and backward against PyTorch (Fixtures/ops.json, from scripts/make_op_fixtures.py),
/// and every backward against central finite differences as well.
///
/// Each case's inputs are leaves seen through a layout (contiguous, transposed, sliced with a step,
/// or expanded), so the same checks cover strided and broadcast operands.
@Suite("Ops against PyTorch")
struct OpFixtureTests {
    nonisolated(unsafe) static let cases: [String: [String: Any]] = {
        let fixture = try! loadFixture("ops.json")
        let list = fixture["cases"] as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }()

    static var names: [String] { cases.keys.sorted() }

    @Test("forward matches PyTorch", arguments: names)
    func forward(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let (inputs, _) = Self.makeInputs(c, requiresGrad: false)
        let (out, indices) = Self.apply(c, inputs)
        if let expected = c["indices"] {
            #expect(indices?.dtype == .int64, "\(name): indices are int64")
            #expect(indices?.toIntArray() == floats(expected).map { Int($0) }, "\(name): indices")
        }
        if (c["op"] as! String).hasPrefix("argmax") { return }
        #expect(out.shape == (c["outShape"] as! [Int]), "\(name): shape")
        expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, rtol: 1e-4, name)
    }

    static var gradientNames: [String] { names.filter { cases[$0]!["grads"] != nil } }

    @Test("backward matches PyTorch", arguments: gradientNames)
    func backward(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let (inputs, leaves) = Self.makeInputs(c, requiresGrad: true)
        let (out, _) = Self.apply(c, inputs)
        let weight = Tensor(floats(c["weight"]), shape: (c["outShape"] as! [Int]))
        (out * weight).sum().backward()
        let expected = c["grads"] as! [Any]
        for (i, leaf) in leaves.enumerated() {
            guard let leaf, let want = expected[i] as? [Any] else { continue }
            let grad = try #require(leaf.grad, "\(name): input \(i) has no grad")
            #expect(grad.shape == leaf.shape, "\(name): grad \(i) shape")
            expectClose(grad.toArray(), floats(want), atol: 1e-4, rtol: 1e-3, "\(name) grad \(i)")
        }
    }

    @Test("backward matches finite differences", arguments: gradientNames)
    func finiteDifferences(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let specs = c["inputs"] as! [[String: Any]]
        let weight = Tensor(floats(c["weight"]), shape: (c["outShape"] as! [Int]))
        let expected = c["grads"] as! [Any]
        for i in specs.indices where expected[i] is [Any] {
            let (_, leaves) = Self.makeInputs(c, requiresGrad: true)
            let leaf = try #require(leaves[i])
            let (fixed, _) = Self.makeInputs(c, requiresGrad: false)
            let f: (Tensor) -> Tensor = { base in
                var xs = fixed
                xs[i] = Self.layout(base, specs[i])
                return Self.apply(c, xs).out * weight
            }
            f(leaf).sum().backward()
            let analytic = try #require(leaf.grad).toArray()
            let numeric = numericalGradient(of: f, at: leaf)
            expectClose(analytic, numeric, atol: 2e-2, rtol: 2e-2, "\(name) d/d input \(i)")
        }
    }

    @Test("rounding sends halves to even and passes no gradient")
    func roundingHalvesToEven() {
        let x = Tensor([0.5, 1.5, 2.5, -0.5, -2.5, -1.7] as [Float], requiresGrad: true)
        #expect(x.round().toArray() == [0, 2, 2, -0, -2, -2])
        #expect(x.floor().toArray() == [0, 1, 2, -1, -3, -2])
        #expect(x.ceil().toArray() == [1, 2, 3, -0, -2, -1])
        #expect(x.trunc().toArray() == [0, 1, 2, -0, -2, -1])
        (x.round() + x.floor() + x.ceil() + x.trunc()).sum().backward()
        #expect(x.grad?.toArray() == [0, 0, 0, 0, 0, 0])
    }

    @Test("layouts give the strided views they name")
    func layoutsAreStrided() {
        for c in Self.cases.values {
            for spec in c["inputs"] as! [[String: Any]] where spec["int"] == nil {
                let base = Tensor(floats(spec["base"]), shape: (spec["baseShape"] as! [Int]))
                let x = Self.layout(base, spec)
                #expect(x.storage === base.storage)
                #expect(x.shape == (spec["shape"] as! [Int]))
                let layout = spec["layout"] as! String
                if layout != "c" && x.count > 1 { #expect(!x.isContiguous, "\(c["name"]!) \(layout)") }
            }
        }
    }

    // MARK: Building inputs and applying ops

    /// The op inputs (views of the leaves) and the leaves themselves (nil for int64 indices).
    static func makeInputs(_ c: [String: Any], requiresGrad: Bool) -> (inputs: [Tensor], leaves: [Tensor?]) {
        var inputs: [Tensor] = [], leaves: [Tensor?] = []
        for spec in c["inputs"] as! [[String: Any]] {
            if spec["int"] != nil {
                inputs.append(Tensor(floats(spec["base"]).map { Int($0) }, shape: (spec["shape"] as! [Int])))
                leaves.append(nil)
                continue
            }
            let base = Tensor(floats(spec["base"]), shape: (spec["baseShape"] as! [Int]), requiresGrad: requiresGrad)
            inputs.append(layout(base, spec))
            leaves.append(base)
        }
        return (inputs, leaves)
    }

    static func layout(_ base: Tensor, _ spec: [String: Any]) -> Tensor {
        switch spec["layout"] as! String {
        case "t": return base.transpose(-1, -2)
        case "s": return base.slice(-1, step: 2)
        case "e": return base.expand(spec["shape"] as! [Int])
        default: return base
        }
    }

    static func apply(_ c: [String: Any], _ x: [Tensor]) -> (out: Tensor, indices: Tensor?) {
        let args = c["args"] as! [String: Any]
        func int(_ k: String) -> Int { (args[k] as! NSNumber).intValue }
        func float(_ k: String) -> Float { (args[k] as! NSNumber).floatValue }
        func bool(_ k: String) -> Bool { (args[k] as! NSNumber).boolValue }
        func ints(_ k: String) -> [Int] { (args[k] as! [NSNumber]).map(\.intValue) }
        switch c["op"] as! String {
        case "neg": return (-x[0], nil)
        case "exp": return (x[0].exp(), nil)
        case "log": return (x[0].log(), nil)
        case "sqrt": return (x[0].sqrt(), nil)
        case "rsqrt": return (x[0].rsqrt(), nil)
        case "abs": return (x[0].abs(), nil)
        case "square": return (x[0].square(), nil)
        case "reciprocal": return (x[0].reciprocal(), nil)
        case "sin": return (x[0].sin(), nil)
        case "cos": return (x[0].cos(), nil)
        case "relu": return (x[0].relu(), nil)
        case "sigmoid": return (x[0].sigmoid(), nil)
        case "tanh": return (x[0].tanh(), nil)
        case "gelu": return (x[0].gelu(), nil)
        case "sign": return (x[0].sign(), nil)
        case "tan": return (x[0].tan(), nil)
        case "atan": return (x[0].atan(), nil)
        case "erf": return (x[0].erf(), nil)
        case "log1p": return (x[0].log1p(), nil)
        case "expm1": return (x[0].expm1(), nil)
        case "round": return ((x[0] * float("prescale")).round(), nil)
        case "floor": return ((x[0] * float("prescale")).floor(), nil)
        case "ceil": return ((x[0] * float("prescale")).ceil(), nil)
        case "trunc": return ((x[0] * float("prescale")).trunc(), nil)
        case "leakyRelu": return (x[0].leakyRelu(negativeSlope: float("slope")), nil)
        case "softplus":
            return ((x[0] * float("prescale")).softplus(beta: float("beta"), threshold: float("threshold")), nil)
        case "clamp": return (x[0].clamp(min: float("min"), max: float("max")), nil)
        case "clampMin": return (x[0].clamp(min: float("min")), nil)
        case "powScalar": return (x[0].pow(float("p")), nil)
        case "addScalar": return (x[0] + float("s"), nil)
        case "rsubScalar": return (float("s") - x[0], nil)
        case "mulScalar": return (x[0] * float("s"), nil)
        case "divScalar": return (x[0] / float("s"), nil)
        case "rdivScalar": return (float("s") / x[0], nil)
        case "add": return (x[0] + x[1], nil)
        case "sub": return (x[0] - x[1], nil)
        case "mul": return (x[0] * x[1], nil)
        case "div": return (x[0] / x[1], nil)
        case "pow": return (x[0].pow(x[1]), nil)
        case "maximum": return (x[0].maximum(x[1]), nil)
        case "minimum": return (x[0].minimum(x[1]), nil)
        case "eq": return (x[0].eq(x[1]), nil)
        case "ne": return (x[0].ne(x[1]), nil)
        case "lt": return (x[0].lt(x[1]), nil)
        case "le": return (x[0].le(x[1]), nil)
        case "gt": return (x[0].gt(x[1]), nil)
        case "ge": return (x[0].ge(x[1]), nil)
        case "eqScalar": return (x[0].eq(float("s")), nil)
        case "neScalar": return (x[0].ne(float("s")), nil)
        case "ltScalar": return (x[0].lt(float("s")), nil)
        case "leScalar": return (x[0].le(float("s")), nil)
        case "gtScalar": return (x[0].gt(float("s")), nil)
        case "geScalar": return (x[0].ge(float("s")), nil)
        case "where": return (`where`(x[0].gt(0), x[1], x[2]), nil)
        case "sum": return (x[0].sum(), nil)
        case "sumDims": return (x[0].sum(dims: ints("dims"), keepdim: bool("keepdim")), nil)
        case "mean": return (x[0].mean(), nil)
        case "meanDims": return (x[0].mean(dims: ints("dims"), keepdim: bool("keepdim")), nil)
        case "var": return (x[0].variance(dims: ints("dims"), unbiased: bool("unbiased"), keepdim: bool("keepdim")), nil)
        case "varAll": return (x[0].variance(), nil)
        case "std": return (x[0].std(dims: ints("dims"), unbiased: bool("unbiased"), keepdim: bool("keepdim")), nil)
        case "stdAll": return (x[0].std(), nil)
        case "maxDim": let r = x[0].max(dim: int("dim"), keepdim: bool("keepdim")); return (r.values, r.indices)
        case "minDim": let r = x[0].min(dim: int("dim"), keepdim: bool("keepdim")); return (r.values, r.indices)
        case "max": return (x[0].max(), nil)
        case "min": return (x[0].min(), nil)
        case "argmax": return (x[0], x[0].argmax(dim: int("dim")))
        case "argmaxAll": return (x[0], x[0].argmax().reshape([1]))
        case "matmul": return (x[0].matmul(x[1]), nil)
        case "linear": return (linear(x[0], weight: x[1], bias: x[2]), nil)
        case "softmax": return (x[0].softmax(dim: int("dim")), nil)
        case "logSoftmax": return (x[0].logSoftmax(dim: int("dim")), nil)
        case "cat": return (Tensor.cat(x, dim: int("dim")), nil)
        case "stack": return (Tensor.stack(x, dim: int("dim")), nil)
        case "indexSelect": return (x[0].indexSelect(dim: int("dim"), indices: x[1]), nil)
        case "gather": return (x[0].gather(dim: int("dim"), indices: x[1]), nil)
        case "oneHot": return (x[0].oneHot(classes: int("classes")), nil)
        case "reshape": return (x[0].reshape(ints("shape")), nil)
        case "permute": return (x[0].permute(ints("order")), nil)
        case "slice":
            let (d0, d1) = (ints("dim0"), ints("dim1"))
            return (x[0].slice(0, start: d0[0], end: d0[1], step: d0[2]).slice(1, start: d1[0], end: d1[1], step: d1[2]), nil)
        case "narrow": return (x[0].narrow(int("dim"), start: int("start"), length: int("length")), nil)
        case "unsqueezeSqueeze": return (x[0].unsqueeze(1).squeeze(1) * x[0].unsqueeze(0)[0], nil)
        case "expand": return (x[0].expand(ints("shape")), nil)
        case "select": return (x[0][1].slice(0, end: 3) + x[0].select(1, 2), nil)
        case "sort": let r = x[0].sort(dim: int("dim"), descending: bool("descending")); return (r.values, r.indices)
        case "topk": let r = x[0].topk(int("k"), dim: int("dim"), largest: bool("largest")); return (r.values, r.indices)
        case "flip": return (x[0].flip(ints("dims")), nil)
        case "repeat": return (x[0].repeat(ints("counts")), nil)
        case "tril": return (x[0].tril(diagonal: int("diagonal")), nil)
        case "triu": return (x[0].triu(diagonal: int("diagonal")), nil)
        case "logsumexp": return ((x[0] * float("prescale")).logsumexp(dim: int("dim"), keepdim: bool("keepdim")), nil)
        case "norm":
            let p: Float = args["p"] as? String == "inf" ? .infinity : float("p")
            return (x[0].norm(p: p, dim: args["dim"] == nil ? nil : int("dim"), keepdim: args["keepdim"] == nil ? false : bool("keepdim")), nil)
        case "einsum": return (einsum(args["equation"] as! String, x), nil)
        case "cumsum": return (x[0].cumsum(dim: int("dim")), nil)
        case "cumprod": return (x[0].cumprod(dim: int("dim")), nil)
        case "indexAdd": return (x[0].indexAdd(dim: int("dim"), index: x[1], source: x[2], alpha: float("alpha")), nil)
        case "scatterAdd": return (x[0].scatterAdd(dim: int("dim"), index: x[1], src: x[2]), nil)
        case "prod": return (x[0].prod(dim: int("dim"), keepdim: bool("keepdim")), nil)
        case "diff": return (x[0].diff(n: int("n"), dim: int("dim")), nil)
        case "roll": return (x[0].roll(ints("shifts"), dims: ints("dims")), nil)
        case "diagonal": return (x[0].diagonal(offset: int("offset"), dim1: int("dim1"), dim2: int("dim2")), nil)
        case "diag": return (x[0].diag(offset: int("offset")), nil)
        case "outer": return (x[0].outer(x[1]), nil)
        case "amax": return (x[0].amax(dims: ints("dims"), keepdim: bool("keepdim")), nil)
        case "amin": return (x[0].amin(dims: ints("dims"), keepdim: bool("keepdim")), nil)
        case let op: fatalError("OpFixtureTests: no Ember op for fixture op \(op)")
        }
    }
}
