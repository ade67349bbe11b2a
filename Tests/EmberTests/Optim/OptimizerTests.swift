import Foundation
import Testing
@testable import Ember

@Suite("Optimizers")
struct OptimizerTests {
    /// Adam's bias corrections as PyTorch computes them (`1 - beta ** step` in double), from the first
    /// step to a billion (in constant time: they are used every step of every parameter).
    @Test func adamBiasCorrectionsMatchPythonScalars() {
        for step in [1, 2, 10, 938, 4_690, 1_000_000_000] {
            let h = AdamHyperparameters(lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0,
                                        decoupledWeightDecay: false, step: step)
            let b1 = Double(Float(0.9)), b2 = Double(Float(0.999)), lr = Double(Float(1e-3))
            #expect(h.stepSize == Float(lr / (1 - Foundation.pow(b1, Double(step)))), "step \(step)")
            #expect(h.biasCorrection2Sqrt == Float((1 - Foundation.pow(b2, Double(step))).squareRoot()), "step \(step)")
        }
        let first = AdamHyperparameters(lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0,
                                        decoupledWeightDecay: false, step: 1)
        #expect(abs(first.stepSize - 1e-2) < 1e-8 && abs(first.biasCorrection2Sqrt - 0.0316228) < 1e-6)
    }

    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("optim.json") }

    func makeOptimizer(_ name: String, _ params: [Tensor]) -> Optimizer {
        switch name {
        case "sgd": return SGD(params, lr: 0.05)
        case "sgd_momentum": return SGD(params, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
        case "sgd_nesterov": return SGD(params, lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        case "adam": return Adam(params, lr: 0.05)
        case "adam_wd_amsgrad": return Adam(params, lr: 0.05, betas: (0.8, 0.99), weightDecay: 0.1, amsgrad: true)
        case "adamw": return AdamW(params, lr: 0.05, weightDecay: 0.1)
        case "adamw_amsgrad": return AdamW(params, lr: 0.05, eps: 1e-6, weightDecay: 0.05, amsgrad: true)
        case "rmsprop": return RMSprop(params, lr: 0.01)
        case "rmsprop_centered_momentum":
            return RMSprop(params, lr: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.9, centered: true)
        case "adagrad": return Adagrad(params, lr: 0.1)
        case "adagrad_decay":
            return Adagrad(params, lr: 0.1, lrDecay: 0.01, weightDecay: 0.05, initialAccumulatorValue: 0.1)
        case "adadelta": return Adadelta(params)
        case "adadelta_wd": return Adadelta(params, lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.05)
        case "adamax": return Adamax(params, lr: 0.05)
        case "adamax_wd": return Adamax(params, lr: 0.05, betas: (0.8, 0.99), weightDecay: 0.1)
        case "nadam": return NAdam(params, lr: 0.05)
        case "nadam_decoupled":
            return NAdam(params, lr: 0.05, betas: (0.8, 0.99), weightDecay: 0.1, momentumDecay: 0.01, decoupledWeightDecay: true)
        case "radam": return RAdam(params, lr: 0.05)
        case "radam_wd_rectified": return RAdam(params, lr: 0.05, betas: (0.8, 0.9), weightDecay: 0.1)
        case "radam_decoupled": return RAdam(params, lr: 0.05, betas: (0.9, 0.9), weightDecay: 0.1, decoupledWeightDecay: true)
        case "rprop": return Rprop(params, lr: 0.05)
        case "rprop_bounded": return Rprop(params, lr: 0.05, etas: (0.3, 1.5), stepSizes: (0.02, 0.1))
        case "asgd": return ASGD(params, lr: 0.01)
        case "asgd_averaging": return ASGD(params, lr: 0.02, lambd: 0.5, alpha: 0.5, t0: 4, weightDecay: 0.05)
        case "adafactor": return Adafactor(params, lr: 0.05)
        case "adafactor_wd": return Adafactor(params, lr: 0.05, beta2Decay: -0.5, eps: (1e-6, 1e-2), d: 1.5, weightDecay: 0.1)
        default: fatalError("unknown optimizer \(name)")
        }
    }

    /// The fixture's problem: sum((x·w + b - y)²).
    func lossStep(_ w: Tensor, _ b: Tensor) -> Tensor {
        let x = tensor(fixture["x"], [4, 3]), y = tensor(fixture["y"], [4, 2])
        let d = x.matmul(w) + b - y
        return (d * d).sum()
    }

    static let names = ["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adam_wd_amsgrad", "adamw", "adamw_amsgrad",
                        "rmsprop", "rmsprop_centered_momentum", "adagrad", "adagrad_decay", "adadelta", "adadelta_wd",
                        "adamax", "adamax_wd", "nadam", "nadam_decoupled", "radam", "radam_wd_rectified", "radam_decoupled",
                        "rprop", "rprop_bounded", "asgd", "asgd_averaging", "adafactor", "adafactor_wd"]

    @Test(arguments: names)
    func trajectoryMatchesTorch(name: String) throws {
        let config = object(object(fixture["configs"])[name])
        let w = tensor(fixture["w0"], [3, 2], requiresGrad: true), b = tensor(fixture["b0"], [2], requiresGrad: true)
        let optimizer = makeOptimizer(name, [w, b])
        let trajectory = config["trajectory"] as! [Any]
        #expect(trajectory.count >= 10)
        for (i, pointAny) in trajectory.enumerated() {
            let point = object(pointAny)
            optimizer.zeroGrad()
            lossStep(w, b).backward()
            optimizer.step()
            expectClose(w.toArray(), floats(point["w"]), atol: 1e-5, rtol: 1e-4, "\(name) step \(i + 1) w")
            expectClose(b.toArray(), floats(point["b"]), atol: 1e-5, rtol: 1e-4, "\(name) step \(i + 1) b")
        }
        #expect(optimizer.state[0].keys.sorted() == (config["state_keys"] as! [String]), "\(name) state names")
        // Every state entry after the last step (moments, step sizes, ASGD's average) as PyTorch's.
        for (index, entries) in (config["final_state"] as! [[String: Any]]).enumerated() {
            for (key, values) in entries {
                let mine = try #require(optimizer.state[index][key], "\(name) state \(index).\(key)")
                expectClose(mine.toArray(), floats(values), atol: 1e-5, rtol: 1e-4, "\(name) state \(index).\(key)")
            }
        }
    }

    @Test(arguments: names)
    func stateDictResumesExactly(name: String) throws {
        // Reference: 10 uninterrupted steps.
        let w = tensor(fixture["w0"], [3, 2], requiresGrad: true), b = tensor(fixture["b0"], [2], requiresGrad: true)
        let reference = makeOptimizer(name, [w, b])
        for _ in 0..<10 { reference.zeroGrad(); lossStep(w, b).backward(); reference.step() }

        // 4 steps, save, then a fresh optimizer (and parameters restored) continues for 6.
        let w1 = tensor(fixture["w0"], [3, 2], requiresGrad: true), b1 = tensor(fixture["b0"], [2], requiresGrad: true)
        let first = makeOptimizer(name, [w1, b1])
        for _ in 0..<4 { first.zeroGrad(); lossStep(w1, b1).backward(); first.step() }
        let saved = first.stateDict()
        if name.hasPrefix("adam") {
            #expect(saved["state.0.exp_avg"]?.shape == [3, 2])
            #expect(saved["state.1.step"]?.item() == 4)
        }
        #expect(saved["hyperparameters.lr"] != nil)
        let w2 = Tensor(w1.toArray(), shape: [3, 2], requiresGrad: true), b2 = Tensor(b1.toArray(), shape: [2], requiresGrad: true)
        let resumed = makeOptimizer(name, [w2, b2])
        resumed.lr = 123
        try resumed.loadStateDict(saved)
        #expect(resumed.lr == first.lr)
        // The saved state is a copy: more steps of `first` do not change it.
        first.zeroGrad(); lossStep(w1, b1).backward(); first.step()
        for _ in 0..<6 { resumed.zeroGrad(); lossStep(w2, b2).backward(); resumed.step() }
        #expect(w2.toArray() == w.toArray(), "\(name) resumed w")
        #expect(b2.toArray() == b.toArray(), "\(name) resumed b")
    }

    // MARK: L-BFGS

    func makeLBFGS(_ name: String, _ params: [Tensor]) -> LBFGS {
        switch name {
        case "lbfgs": return LBFGS(params, lr: 1, maxIter: 4)
        case "lbfgs_history2_lr": return LBFGS(params, lr: 0.5, maxIter: 5, historySize: 2)
        case "lbfgs_strong_wolfe": return LBFGS(params, lr: 1, maxIter: 5, historySize: 4, lineSearch: .strongWolfe)
        default: fatalError("unknown L-BFGS case \(name)")
        }
    }

    /// The fixture's non-convex loss: Σ(tanh(xw + b) − y)² + 0.1·Σw⁴.
    func lbfgsLoss(_ w: Tensor, _ b: Tensor) -> Tensor {
        let x = tensor(fixture["x"], [4, 3]), y = tensor(fixture["y"], [4, 2])
        return ((x.matmul(w) + b).tanh() - y).square().sum() + w.pow(4).sum() * 0.1
    }

    @Test(arguments: ["lbfgs", "lbfgs_history2_lr", "lbfgs_strong_wolfe"])
    func lbfgsTrajectoryMatchesTorch(name: String) {
        let config = object(object(fixture["lbfgs"])[name])
        let w = tensor(fixture["w0"], [3, 2], requiresGrad: true), b = tensor(fixture["b0"], [2], requiresGrad: true)
        let optimizer = makeLBFGS(name, [w, b])
        for (i, pointAny) in (config["trajectory"] as! [Any]).enumerated() {
            let point = object(pointAny)
            let loss = optimizer.step {
                optimizer.zeroGrad()
                let loss = lbfgsLoss(w, b)
                loss.backward()
                return loss
            }
            expectClose([loss.item()], floats(point["loss"]), atol: 1e-5, rtol: 1e-5, "\(name) step \(i + 1) loss")
            expectClose(w.toArray(), floats(point["w"]), atol: 1e-4, rtol: 1e-4, "\(name) step \(i + 1) w")
            expectClose(b.toArray(), floats(point["b"]), atol: 1e-4, rtol: 1e-4, "\(name) step \(i + 1) b")
            #expect(optimizer.state[0]["func_evals"]?.item() == floats(point["func_evals"])[0], "\(name) step \(i + 1)")
            #expect(optimizer.state[0]["n_iter"]?.item() == floats(point["n_iter"])[0], "\(name) step \(i + 1)")
        }
    }

    @Test func rpropShrinksByExactlyEtaMinus() {
        // A sign flip multiplies the step size by η− itself (not (η− − 1) + 1, which rounds 1e-8 to 0).
        let p = Tensor([1] as [Float], requiresGrad: true)
        let optimizer = Rprop([p], lr: 0.05, etas: (1e-8, 1.2), stepSizes: (0, 50))
        for g: Float in [1, -1] {
            p.grad = Tensor([g])
            optimizer.step()
        }
        #expect(optimizer.state[0]["step_size"]?.item() == Float(0.05) * Float(1e-8))
    }

    @Test func adafactorStatesLoadAcrossEpsilonChoices() throws {
        let w = Tensor.ones([2, 3], requiresGrad: true)
        w.grad = Tensor.full([2, 3], 0.5)
        let custom = Adafactor([w], eps: (1e-6, 1e-3))
        custom.step()
        let plain = Adafactor([Tensor.ones([2, 3], requiresGrad: true)])
        try plain.loadStateDict(custom.stateDict())
        #expect(plain.eps1 == 1e-6)
        try custom.loadStateDict(Adafactor([Tensor.ones([2, 3])]).stateDict())
        #expect(custom.eps1 == nil)   // the default (float32 epsilon) comes back, as PyTorch's (None, 1e-3)
    }

    @Test func lbfgsWithoutAClosureStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            LBFGS([Tensor.zeros([2], requiresGrad: true)]).step()
        }
        #expect(stderr(r).contains("LBFGS evaluates the loss several times per step: call step { ... } with a closure"))
    }

    @Test func lbfgsZoomKeepsItsOwnToleranceAsPyTorchDoes() {
        // A sharp valley with toleranceChange 1e-2: PyTorch's zoom still uses 1e-9 (17 evaluations).
        let sharp = object(fixture["lbfgs_sharp"])
        let c = Tensor(floats(sharp["c"])), p = Tensor(floats(sharp["p0"]), requiresGrad: true)
        let optimizer = LBFGS([p], maxIter: 30, toleranceChange: 1e-2, lineSearch: .strongWolfe)
        optimizer.step {
            optimizer.zeroGrad()
            let loss = ((1 + (p - c).square() * 1e5).sqrt() / Float(1e5).squareRoot()).sum() + p.square().sum() * 0.01
            loss.backward()
            return loss
        }
        expectClose(p.toArray(), floats(sharp["p"]), atol: 1e-4, rtol: 1e-3)
        #expect(optimizer.state[0]["func_evals"]?.item() == floats(sharp["func_evals"])[0])
    }

    @Test func lbfgsStateDictResumesExactly() throws {
        func run(_ optimizer: LBFGS, _ w: Tensor, _ b: Tensor, steps: Int) {
            for _ in 0..<steps {
                optimizer.step {
                    optimizer.zeroGrad()
                    let loss = lbfgsLoss(w, b)
                    loss.backward()
                    return loss
                }
            }
        }
        let w = tensor(fixture["w0"], [3, 2], requiresGrad: true), b = tensor(fixture["b0"], [2], requiresGrad: true)
        run(makeLBFGS("lbfgs_strong_wolfe", [w, b]), w, b, steps: 4)
        let w1 = tensor(fixture["w0"], [3, 2], requiresGrad: true), b1 = tensor(fixture["b0"], [2], requiresGrad: true)
        let first = makeLBFGS("lbfgs_strong_wolfe", [w1, b1])
        run(first, w1, b1, steps: 2)
        let saved = first.stateDict()
        #expect(saved["state.0.old_dirs.0"]?.shape == [8] && saved["hyperparameters.history_size"]?.item() == 4)
        let w2 = Tensor(w1.toArray(), shape: [3, 2], requiresGrad: true), b2 = Tensor(b1.toArray(), shape: [2], requiresGrad: true)
        let resumed = makeLBFGS("lbfgs_strong_wolfe", [w2, b2])
        try resumed.loadStateDict(saved)
        run(resumed, w2, b2, steps: 2)
        #expect(w2.toArray() == w.toArray() && b2.toArray() == b.toArray())
    }

    /// The multi-parameter step (one launch on a GPU) counts each parameter's own steps and equals
    /// the one-parameter step given that count.
    @Test func multiParameterAdamStepUsesEachParametersCounter() {
        let hyper = AdamHyperparameters(lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1,
                                        decoupledWeightDecay: true, step: 0)
        let counts: [Float] = [0, 3]
        let shapes = [[3, 2], [5]]
        func fresh(_ i: Int) -> (p: Tensor, g: Tensor, m: Tensor, v: Tensor, vmax: Tensor) {
            let gen = RandomGenerator(seed: 7 + UInt64(i))
            return (Tensor.randn(shapes[i], generator: gen), Tensor.randn(shapes[i], generator: gen),
                    Tensor.randn(shapes[i], generator: gen) * 0.1, Tensor.rand(shapes[i], generator: gen),
                    Tensor.rand(shapes[i], generator: gen) + 0.5)
        }
        let together = (0..<2).map(fresh), alone = (0..<2).map(fresh)
        let steps = counts.map { Tensor($0) }
        Tensor.adamStep_((0..<2).map { i in
            AdamTensors(parameter: together[i].p, grad: together[i].g, expAvg: together[i].m, expAvgSq: together[i].v,
                        maxExpAvgSq: together[i].vmax, step: steps[i])
        }, hyper)
        for i in 0..<2 {
            var h = hyper
            h.step = Int(counts[i]) + 1
            alone[i].p.adamStep_(grad: alone[i].g, expAvg: alone[i].m, expAvgSq: alone[i].v, maxExpAvgSq: alone[i].vmax, h)
            #expect(steps[i].item() == counts[i] + 1)
            #expect(together[i].p.toArray() == alone[i].p.toArray(), "parameter \(i)")
            #expect(together[i].m.toArray() == alone[i].m.toArray() && together[i].v.toArray() == alone[i].v.toArray()
                    && together[i].vmax.toArray() == alone[i].vmax.toArray(), "moments of parameter \(i)")
        }
    }

    @Test func newOptimizersRefuseBadSettings() async {
        let rprop = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Rprop([Tensor.zeros([1])], etas: (1.5, 1.2))
        }
        #expect(stderr(rprop).contains("Rprop: etas must satisfy 0 < minus < 1 < plus, got (minus: 1.5, plus: 1.2)"))
        let asgd = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ASGD([Tensor.zeros([1])], lambd: -1)
        }
        #expect(stderr(asgd).contains("ASGD: lambd, alpha and weightDecay must be non-negative, got -1.0, 0.75, 0.0"))
        let adafactor = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adafactor([Tensor.zeros([1])], d: 0.5)
        }
        #expect(stderr(adafactor).contains("Adafactor: the clipping threshold d must be ≥ 1, got 0.5"))
    }

    @Test func loadStateDictRejectsBadStates() {
        let p = Tensor.zeros([2, 2], requiresGrad: true)
        let adam = Adam([p])
        #expect(throws: OptimizerStateError("Adam.loadStateDict: key \"state.3.exp_avg\" refers to parameter 3, but the optimizer has 1 parameters")) {
            try adam.loadStateDict(["state.3.exp_avg": Tensor.zeros([2, 2])])
        }
        #expect(throws: OptimizerStateError("Adam.loadStateDict: \"state.0.exp_avg\" has shape [3], but parameter 0 has shape [2, 2]")) {
            try adam.loadStateDict(["state.0.exp_avg": Tensor.zeros([3])])
        }
        #expect(throws: OptimizerStateError("Adam.loadStateDict: unexpected key \"momentum\"")) {
            try adam.loadStateDict(["momentum": Tensor.zeros([3])])
        }
        #expect(throws: OptimizerStateError("Adam.loadStateDict: unknown hyperparameter \"rho\"")) {
            try adam.loadStateDict(["hyperparameters.rho": Tensor(1)])
        }
    }

    @Test func stepUpdatesModuleParametersInPlaceAndSkipsMissingGrads() {
        // Tanh, not ReLU: with random weights both ReLU units can be dead for all four inputs,
        // leaving the first layer's gradient zero and its weights rightly unchanged.
        let model = Sequential(Linear(3, 2), Tanh(), Linear(2, 1))
        let optimizer = SGD(model.parameters(), lr: 0.1)
        let before = model.parameters().map { $0.toArray() }
        let frozenBias = (model[2] as! Linear).bias!
        let x = Tensor.randn([4, 3])
        mseLoss(model(x), Tensor.zeros([4, 1])).backward()
        frozenBias.grad = nil
        optimizer.step()
        let after = model.parameters().map { $0.toArray() }
        #expect(after[3] == before[3], "a parameter without grad is not updated")
        #expect(after[0] != before[0])
        optimizer.zeroGrad()
        #expect(model.parameters().allSatisfy { $0.grad == nil })
    }

    @Test func gradientClippingMatchesTorch() {
        let clip = object(fixture["clipping"])
        for (key, normType) in [("l2", Float(2)), ("inf", Float.infinity), ("l1", Float(1))] {
            let expected = object(clip[key])
            let w = Tensor.zeros([3, 2], requiresGrad: true), b = Tensor.zeros([2], requiresGrad: true)
            w.grad = tensor(clip["grad_w"], [3, 2])
            b.grad = tensor(clip["grad_b"], [2])
            let total = clipGradNorm([w, b], maxNorm: 1.5, normType: normType)
            #expect(total.shape == [] && abs(total.item() - Float(expected["total"] as! Double)) < 1e-4, "\(key) total norm")
            expectClose(w.grad!.toArray(), floats(expected["grad_w"]), "\(key) grad w")
            expectClose(b.grad!.toArray(), floats(expected["grad_b"]), "\(key) grad b")
            // The same in two halves: the norm, then the scaling.
            w.grad = tensor(clip["grad_w"], [3, 2])
            b.grad = tensor(clip["grad_b"], [2])
            let norm = getTotalNorm([w.grad!, b.grad!], normType: normType)
            #expect(abs(norm.item() - total.item()) < 1e-6)
            clipGradsWithNorm([w, b], maxNorm: 1.5, totalNorm: norm)
            expectClose(w.grad!.toArray(), floats(expected["grad_w"]), "\(key) grad w in two halves")
        }
        // Below the limit: unchanged.
        let p = Tensor.zeros([2], requiresGrad: true)
        p.grad = Tensor([0.3, 0.4])
        #expect(abs(clipGradNorm([p], maxNorm: 1).item() - 0.5) < 1e-6)
        #expect(p.grad!.toArray() == [0.3, 0.4])
        // A non-finite gradient shows in the norm and carries into the gradients, as in PyTorch.
        p.grad = Tensor([Float.nan, 1])
        #expect(clipGradNorm([p], maxNorm: 1).isFinite().item() == 0 && p.grad!.toArray().allSatisfy(\.isNaN))
        #expect(getTotalNorm([]).item() == 0 && clipGradNorm([Tensor.zeros([2], requiresGrad: true)], maxNorm: 1).item() == 0)

        let w = Tensor.zeros([3, 2], requiresGrad: true), b = Tensor.zeros([2], requiresGrad: true)
        w.grad = tensor(clip["grad_w"], [3, 2])
        b.grad = tensor(clip["grad_b"], [2])
        clipGradValue([w, b], clipValue: 0.7)
        let expected = object(clip["value"])
        expectClose(w.grad!.toArray(), floats(expected["grad_w"]))
        expectClose(b.grad!.toArray(), floats(expected["grad_b"]))
    }

    @Test func l1AndL2Penalties() {
        let a = Tensor([1, -2], requiresGrad: true), b = Tensor([[0.5, -0.5]], requiresGrad: true)
        let l1 = l1Penalty([a, b]), l2 = l2Penalty([a, b])
        #expect(l1.item() == 4)
        #expect(l2.item() == 5.5)
        (l1 * 0.1 + l2 * 0.01).backward()
        expectClose(a.grad!.toArray(), [0.1 + 0.02, -0.1 - 0.04])
        expectClose(b.grad!.toArray(), [0.1 + 0.01, -0.1 - 0.01])
        // SGD's weightDecay w equals adding w/2·l2Penalty to the loss.
        let p1 = Tensor([1, -2, 3], requiresGrad: true), p2 = Tensor([1, -2, 3], requiresGrad: true)
        let o1 = SGD([p1], lr: 0.1, weightDecay: 0.2), o2 = SGD([p2], lr: 0.1)
        (p1 * p1).sum().backward()
        ((p2 * p2).sum() + l2Penalty([p2]) * 0.1).backward()
        o1.step(); o2.step()
        expectClose(p1.toArray(), p2.toArray())
    }
}
