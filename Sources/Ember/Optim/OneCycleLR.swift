import Foundation

/// The 1cycle policy, like `torch.optim.lr_scheduler.OneCycleLR`, stepped once per batch: the rate
/// climbs from maxLR/divFactor to `maxLR` over the first `pctStart` of `totalSteps`, then anneals
/// to maxLR/(divFactor·finalDivFactor). With `threePhase`, it first climbs, then comes back down
/// to the start symmetrically, and only then anneals to the minimum.
///
/// With `cycleMomentum` (the default, as in PyTorch) the momentum moves the other way, between
/// `maxMomentum` and `baseMomentum`: Adam's and NAdam's β1, SGD's and RMSprop's momentum (so, as in
/// PyTorch, it turns momentum on for an SGD made without it).
///
///     let scheduler = OneCycleLR(optimizer, maxLR: 0.01, totalSteps: epochs * loader.count)
///     for (x, y) in loader { ...; optimizer.step(); scheduler.step() }
public final class OneCycleLR: LRScheduler {
    public enum AnnealStrategy: Sendable { case cos, linear }

    /// One stretch of the cycle: from `start` to `end` (rates and momenta) up to step `endStep`.
    struct Phase {
        var endStep: Double
        var startLR: Double, endLR: Double
        var startMomentum: Double, endMomentum: Double
    }

    public let maxLR: Double, totalSteps: Int, annealStrategy: AnnealStrategy
    public let cycleMomentum: Bool, baseMomentum: Double, maxMomentum: Double
    let phases: [Phase]

    public init(_ optimizer: Optimizer, maxLR: Double, totalSteps: Int, pctStart: Double = 0.3,
                annealStrategy: AnnealStrategy = .cos, cycleMomentum: Bool = true, baseMomentum: Double = 0.85,
                maxMomentum: Double = 0.95, divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false) {
        precondition(totalSteps > 0, "Ember: OneCycleLR: totalSteps must be positive, got \(totalSteps)")
        precondition(pctStart > 0 && pctStart < 1, "Ember: OneCycleLR: pctStart must be in (0, 1), got \(pctStart)")
        precondition(!cycleMomentum || Self.momentumKey(optimizer) != nil,
                     "Ember: OneCycleLR: \(type(of: optimizer)) has no momentum or beta1 to cycle; "
                        + "pass cycleMomentum: false")
        let initialLR = maxLR / divFactor, minLR = initialLR / finalDivFactor
        let total = Double(totalSteps), (low, high) = (baseMomentum, maxMomentum)
        if threePhase {
            phases = [Phase(endStep: pctStart * total - 1, startLR: initialLR, endLR: maxLR, startMomentum: high, endMomentum: low),
                      Phase(endStep: 2 * pctStart * total - 2, startLR: maxLR, endLR: initialLR, startMomentum: low, endMomentum: high),
                      Phase(endStep: total - 1, startLR: initialLR, endLR: minLR, startMomentum: high, endMomentum: high)]
        } else {
            phases = [Phase(endStep: pctStart * total - 1, startLR: initialLR, endLR: maxLR, startMomentum: high, endMomentum: low),
                      Phase(endStep: total - 1, startLR: maxLR, endLR: minLR, startMomentum: low, endMomentum: high)]
        }
        self.maxLR = maxLR
        self.totalSteps = totalSteps
        self.annealStrategy = annealStrategy
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
        precondition(zip([0] + phases.map(\.endStep), phases.map(\.endStep)).allSatisfy { $0 < $1 },
                     "Ember: OneCycleLR: pctStart \(pctStart) of \(totalSteps) steps leaves a phase without steps; "
                        + "use more steps or another pctStart")
        // Like PyTorch, the cycle's own starting rate is the optimizer's initial rate.
        optimizer.initialLR = Float(initialLR)
        super.init(optimizer)
    }

    /// The hyperparameter that plays momentum's part in `optimizer`, if any.
    static func momentumKey(_ optimizer: Optimizer) -> String? {
        let keys = optimizer.hyperparameters.keys
        return keys.contains("beta1") ? "beta1" : keys.contains("momentum") ? "momentum" : nil
    }

    func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: return end + (start - end) / 2 * (Foundation.cos(Double.pi * pct) + 1)
        case .linear: return (end - start) * pct + start
        }
    }

    /// The rate and momentum at `step`: the phase that holds it, annealed by how far into it the step is.
    func values(atStep step: Int) -> (lr: Double, momentum: Double) {
        precondition(step <= totalSteps, "Ember: OneCycleLR: stepped \(step) times, more than totalSteps (\(totalSteps)); "
            + "make it with the number of batches of the whole run")
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if Double(step) <= phase.endStep || i == phases.count - 1 {
                let pct = (Double(step) - start) / (phase.endStep - start)
                return (anneal(phase.startLR, phase.endLR, pct), anneal(phase.startMomentum, phase.endMomentum, pct))
            }
            start = phase.endStep
        }
        fatalError("unreachable: the last phase takes every step")
    }

    public override func lr(atEpoch epoch: Int) -> Double { values(atStep: epoch).lr }

    public override func apply(atEpoch epoch: Int) {
        let (lr, momentum) = values(atStep: epoch)
        optimizer.lr = Float(lr)
        if cycleMomentum, let key = Self.momentumKey(optimizer) { optimizer.hyperparameters[key] = Float(momentum) }
    }
}
