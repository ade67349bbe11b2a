import Foundation
import Testing
@testable import Ember

@Suite("LR schedulers and early stopping")
struct SchedulerTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("optim_schedulers.json") }

    func sequence(_ make: (Optimizer) -> LRScheduler, epochs: Int) -> [Float] {
        let optimizer = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        let scheduler = make(optimizer)
        var lrs = [optimizer.lr]
        for _ in 0..<epochs {
            optimizer.step()
            scheduler.step()
            lrs.append(scheduler.currentLR)
        }
        return lrs
    }

    @Test func closedFormSchedulersMatchTorch() {
        let cases: [(String, (Optimizer) -> LRScheduler)] = [
            ("step", { StepLR($0, stepSize: 3, gamma: 0.5) }),
            ("exponential", { ExponentialLR($0, gamma: 0.9) }),
            ("cosine", { CosineAnnealingLR($0, tMax: 10, etaMin: 0.01) }),
            ("linear", { LinearLR($0, startFactor: 0.25, totalIters: 4) }),
            ("multistep", { MultiStepLR($0, milestones: [5, 2, 6], gamma: 0.5) }),
            ("lambda", { LambdaLR($0) { e in 1 / 8 * min(1 / Double(e + 1).squareRoot(), Double(e + 1) / 8) } }),
            ("multiplicative", { MultiplicativeLR($0) { e in e < 4 ? 0.95 : 0.8 + 0.01 * Double(e) } }),
            ("warm_restarts", { CosineAnnealingWarmRestarts($0, t0: 3, tMult: 2, etaMin: 0.01) }),
            ("warm_restarts_flat", { CosineAnnealingWarmRestarts($0, t0: 4) }),
            ("constant", { ConstantLR($0, factor: 0.25, totalIters: 3) }),
            ("polynomial", { PolynomialLR($0, totalIters: 6, power: 2) }),
            ("sequential", { o in SequentialLR(o, schedulers: [LinearLR(o, startFactor: 0.1, totalIters: 3),
                                                               CosineAnnealingLR(o, tMax: 6, etaMin: 0.005)], milestones: [4]) }),
            ("sequential3", { o in SequentialLR(o, schedulers: [ConstantLR(o, factor: 0.5, totalIters: 2), ExponentialLR(o, gamma: 0.8),
                                                                StepLR(o, stepSize: 2)], milestones: [2, 5]) }),
            ("chained", { o in ChainedScheduler(o, schedulers: [ConstantLR(o, factor: 0.1, totalIters: 2), ExponentialLR(o, gamma: 0.9)]) }),
            ("chained_step_linear", { o in ChainedScheduler(o, schedulers: [StepLR(o, stepSize: 3, gamma: 0.5),
                                                                            LinearLR(o, startFactor: 0.25, totalIters: 4)]) }),
            ("chained_multistep_cosine", { o in ChainedScheduler(o, schedulers: [MultiStepLR(o, milestones: [2, 5], gamma: 0.1),
                                                                                 CosineAnnealingLR(o, tMax: 6)]) }),
        ]
        for (name, make) in cases {
            let expected = floats(fixture[name])
            expectClose(sequence(make, epochs: expected.count - 1), expected, atol: 1e-7, rtol: 1e-5, name)
        }
        let warm = sequence({ linearWarmup($0, steps: 4, startFactor: 0.25) }, epochs: 8)
        expectClose(warm, floats(fixture["linear"]), atol: 1e-7, rtol: 1e-5, "warm-up")
    }

    @Test func cyclingSchedulersMatchTorchWithTheirMomentum() {
        let cases: [(String, Optimizer, (Optimizer) -> LRScheduler)] = [
            ("one_cycle", SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1, momentum: 0.9),
             { OneCycleLR($0, maxLR: 0.5, totalSteps: 20) }),
            ("one_cycle_adam_linear", Adam([Tensor.zeros([1], requiresGrad: true)], lr: 1e-3),
             { OneCycleLR($0, maxLR: 0.01, totalSteps: 15, pctStart: 0.4, annealStrategy: .linear, divFactor: 10) }),
            ("one_cycle_three_phase", SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1, momentum: 0.9),
             { OneCycleLR($0, maxLR: 1.0, totalSteps: 16, baseMomentum: 0.8, maxMomentum: 0.9, threePhase: true) }),
            ("cyclic", SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1, momentum: 0.9),
             { CyclicLR($0, baseLR: 0.01, maxLR: 0.1, stepSizeUp: 3, stepSizeDown: 2) }),
            ("cyclic_triangular2_adam", Adam([Tensor.zeros([1], requiresGrad: true)], lr: 1e-3),
             { CyclicLR($0, baseLR: 1e-3, maxLR: 4e-3, stepSizeUp: 2, mode: .triangular2) }),
            ("cyclic_exp_range", SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1, momentum: 0.9),
             { CyclicLR($0, baseLR: 0.02, maxLR: 0.2, stepSizeUp: 2, mode: .expRange, gamma: 0.9, baseMomentum: 0.7,
                        maxMomentum: 0.95) }),
        ]
        for (name, optimizer, make) in cases {
            let expected = object(fixture[name])
            let scheduler = make(optimizer)
            let key = optimizer is Adam ? "beta1" : "momentum"
            var lrs = [optimizer.lr], momenta = [optimizer.hyperparameters[key]!]
            for _ in 0..<(floats(expected["lr"]).count - 1) {
                optimizer.step()
                scheduler.step()
                lrs.append(optimizer.lr)
                momenta.append(optimizer.hyperparameters[key]!)
            }
            expectClose(lrs, floats(expected["lr"]), atol: 1e-7, rtol: 1e-5, "\(name) lr")
            expectClose(momenta, floats(expected["momentum"]), atol: 1e-6, rtol: 1e-5, "\(name) momentum")
        }
    }

    @Test func schedulersMadeLaterCountFromTheInitialRate() {
        // PyTorch's initial_lr: a second scheduler does not take the first one's epoch-0 rate as its base.
        let optimizer = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        _ = LinearLR(optimizer, startFactor: 0.1, totalIters: 3)
        #expect(abs(optimizer.lr - 0.01) < 1e-7)
        let cosine = CosineAnnealingLR(optimizer, tMax: 5)
        #expect(cosine.baseLR == 0.1 && optimizer.initialLR == 0.1)
    }

    @Test func oneCycleWithoutMomentumToCycleStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = OneCycleLR(Adagrad([Tensor.zeros([1], requiresGrad: true)]), maxLR: 0.1, totalSteps: 10)
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("Adagrad has no momentum or beta1 to cycle; pass cycleMomentum: false"), "\(text)")
        }
    }

    @Test func reduceOnPlateauMatchesTorch() {
        for (name, mode) in [("plateau", ReduceLROnPlateau.Mode.min), ("plateau_max", .max)] {
            let optimizer = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
            let scheduler = name == "plateau"
                ? ReduceLROnPlateau(optimizer, mode: mode, factor: 0.5, patience: 2, cooldown: 1, minLR: 0.004)
                : ReduceLROnPlateau(optimizer, mode: mode, factor: 0.1, patience: 1, threshold: 0.1, thresholdMode: .absolute)
            var lrs = [optimizer.lr]
            for metric in floats(fixture["\(name)_metrics"]) {
                scheduler.step(metric)
                lrs.append(optimizer.lr)
            }
            expectClose(lrs, floats(fixture[name]), atol: 1e-7, rtol: 1e-5, name)
        }
    }

    @Test func earlyStoppingMin() {
        let stopper = EarlyStopping(patience: 2, minDelta: 0.1, mode: .min)
        #expect(!stopper.step(1.0))
        #expect(!stopper.step(0.8))         // improved by 0.2
        #expect(!stopper.step(0.75))        // within minDelta: not an improvement (1)
        #expect(stopper.counter == 1)
        #expect(!stopper.step(0.6))         // improved on 0.8 by 0.2: reset
        #expect(stopper.counter == 0 && stopper.best == 0.6 && stopper.bestEpoch == 3)
        #expect(!stopper.step(0.7))
        #expect(stopper.step(0.65))         // second check without improvement
        #expect(stopper.shouldStop && stopper.best == 0.6)
        stopper.reset()
        #expect(stopper.best == nil && !stopper.shouldStop)
    }

    @Test func earlyStoppingMax() {
        let stopper = EarlyStopping(patience: 3, mode: .max)
        let accuracies: [Float] = [0.5, 0.6, 0.6, 0.7, 0.69, 0.7, 0.65]
        let stops = accuracies.map { stopper.step($0) }
        #expect(stops == [false, false, false, false, false, false, true])
        #expect(stopper.best == 0.7 && stopper.bestEpoch == 3)
    }
}

/// The initial rate travels with the optimizer's state, so a scheduler made after a resume counts from it.
@Suite struct InitialLRStateTests {
    @Test func initialRateIsSavedAndRestored() throws {
        let optimizer = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        let scheduler = StepLR(optimizer, stepSize: 1, gamma: 0.5)
        scheduler.step(); scheduler.step()
        let saved = optimizer.stateDict()
        #expect(saved["hyperparameters.initial_lr"]?.item() == 0.1)

        let resumed = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        try resumed.loadStateDict(saved)
        #expect(resumed.lr == 0.025 && resumed.initialLR == 0.1)
        // A new scheduler counts from the initial rate, as PyTorch's does after a resume.
        #expect(StepLR(resumed, stepSize: 1, gamma: 0.5).baseLR == 0.1)
        // Without a scheduler nothing extra is saved, and loading such a state clears it.
        let plain = SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1)
        #expect(plain.stateDict()["hyperparameters.initial_lr"] == nil)
        try resumed.loadStateDict(plain.stateDict())
        #expect(resumed.initialLR == nil)
    }

    @Test func chainsOfNothingOrOfAnotherOptimizerStop() async {
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ChainedScheduler(SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1), schedulers: [])
        }
        #expect(stderr(empty).contains("ChainedScheduler: expects at least one scheduler"))
        let foreign = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (a, b) = (SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1), SGD([Tensor.zeros([1], requiresGrad: true)], lr: 0.1))
            _ = ChainedScheduler(a, schedulers: [ExponentialLR(b, gamma: 0.9)])
        }
        #expect(stderr(foreign).contains("ChainedScheduler: every scheduler must belong to the optimizer given"))
    }
}
