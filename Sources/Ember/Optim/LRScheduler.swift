import Foundation

/// Changes an optimizer's learning rate epoch by epoch, like `torch.optim.lr_scheduler`. Creating a
/// scheduler sets the epoch-0 rate; call `step()` once per epoch after `optimizer.step()`.
/// Rates are computed in closed form from the optimizer's rate when its first scheduler was made.
open class LRScheduler {
    public let optimizer: Optimizer
    /// The optimizer's rate when its first scheduler was created (`optimizer.initialLR`).
    public let baseLR: Float
    /// Epochs stepped so far (0 after creation).
    public private(set) var lastEpoch = 0

    public init(_ optimizer: Optimizer) {
        self.optimizer = optimizer
        baseLR = optimizer.initialLR ?? optimizer.lr
        optimizer.initialLR = baseLR
        apply(atEpoch: 0)
    }

    /// The rate at `epoch`, from `baseLR`.
    open func lr(atEpoch epoch: Int) -> Double { Double(baseLR) }

    /// Sets the optimizer's rate for `epoch` (schedulers that also cycle momentum set that too).
    open func apply(atEpoch epoch: Int) { optimizer.lr = Float(lr(atEpoch: epoch)) }

    /// Advances one epoch and sets the optimizer's rate.
    public func step() {
        lastEpoch += 1
        apply(atEpoch: lastEpoch)
    }

    /// The rate the optimizer uses now.
    public var currentLR: Float { optimizer.lr }
}

/// Multiplies the rate by `gamma` every `stepSize` epochs.
public final class StepLR: LRScheduler {
    public let stepSize: Int, gamma: Double
    public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double { Double(baseLR) * Foundation.pow(gamma, Double(epoch / stepSize)) }
}

/// Multiplies the rate by `gamma` at each of the `milestones` epochs, like
/// `torch.optim.lr_scheduler.MultiStepLR`.
public final class MultiStepLR: LRScheduler {
    public let milestones: [Int], gamma: Double
    public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double {
        Double(baseLR) * Foundation.pow(gamma, Double(milestones.count { $0 <= epoch }))
    }
}

/// The rate is base·`lrLambda(epoch)`, like `torch.optim.lr_scheduler.LambdaLR`: any schedule
/// written as a function, such as the Transformer's warm-up then inverse square root, stepped once
/// per batch:
///
///     let scheduler = LambdaLR(optimizer) { step in
///         pow(Double(dModel), -0.5) * min(pow(Double(step + 1), -0.5), Double(step + 1) * pow(Double(warmup), -1.5))
///     }
public final class LambdaLR: LRScheduler {
    public let lrLambda: (Int) -> Double
    public init(_ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double) {
        self.lrLambda = lrLambda
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double { Double(baseLR) * lrLambda(epoch) }
}

/// Multiplies the rate by `gamma` every epoch.
public final class ExponentialLR: LRScheduler {
    public let gamma: Double
    public init(_ optimizer: Optimizer, gamma: Double) {
        self.gamma = gamma
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double { Double(baseLR) * Foundation.pow(gamma, Double(epoch)) }
}

/// Cosine annealing from the base rate to `etaMin` over `tMax` epochs:
/// etaMin + (base - etaMin)·(1 + cos(π·epoch/tMax))/2.
public final class CosineAnnealingLR: LRScheduler {
    public let tMax: Int, etaMin: Double
    public init(_ optimizer: Optimizer, tMax: Int, etaMin: Double = 0) {
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double {
        etaMin + (Double(baseLR) - etaMin) * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(tMax))) / 2
    }
}

/// Linear warm-up (or decay): the rate is base·factor with the factor going linearly from
/// `startFactor` to `endFactor` over `totalIters` epochs, then staying, like `torch.optim.lr_scheduler.LinearLR`.
public final class LinearLR: LRScheduler {
    public let startFactor: Double, endFactor: Double, totalIters: Int
    public init(_ optimizer: Optimizer, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalIters: Int = 5) {
        precondition(startFactor > 0 && startFactor <= 1 && endFactor >= 0 && endFactor <= 1,
                     "Ember: LinearLR: factors must be in (0, 1] (start) and [0, 1] (end)")
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double {
        let progress = totalIters > 0 ? Double(Swift.min(epoch, totalIters)) / Double(totalIters) : 1
        return Double(baseLR) * (startFactor + (endFactor - startFactor) * progress)
    }
}

/// Cosine annealing with warm restarts (SGDR), like `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`:
/// the rate falls from the base to `etaMin` along a cosine over `t0` epochs, jumps back to the base,
/// and repeats, each cycle `tMult` times longer than the one before.
public final class CosineAnnealingWarmRestarts: LRScheduler {
    public let t0: Int, tMult: Int, etaMin: Double
    public init(_ optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: Double = 0) {
        precondition(t0 > 0 && tMult >= 1, "Ember: CosineAnnealingWarmRestarts: t0 must be positive and tMult at least 1, "
            + "got t0 \(t0), tMult \(tMult)")
        self.t0 = t0
        self.tMult = tMult
        self.etaMin = etaMin
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double {
        var (current, length) = (epoch, t0)   // epochs into the current cycle, and its length
        if tMult == 1 {
            current %= t0
        } else {
            while current >= length { current -= length; length *= tMult }   // cycles grow: few turns
        }
        return etaMin + (Double(baseLR) - etaMin) * (1 + Foundation.cos(Double.pi * Double(current) / Double(length))) / 2
    }
}

/// The rate is base·`factor` for the first `totalIters` epochs, then the base, like
/// `torch.optim.lr_scheduler.ConstantLR` (a flat warm-up).
public final class ConstantLR: LRScheduler {
    public let factor: Double, totalIters: Int
    public init(_ optimizer: Optimizer, factor: Double = 1.0 / 3, totalIters: Int = 5) {
        precondition(factor >= 0 && factor <= 1, "Ember: ConstantLR: factor must be in [0, 1], got \(factor)")
        self.factor = factor
        self.totalIters = totalIters
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double { Double(baseLR) * (epoch < totalIters ? factor : 1) }
}

/// Polynomial decay to zero over `totalIters` epochs: base·(1 − epoch/totalIters)^power, like
/// `torch.optim.lr_scheduler.PolynomialLR`.
public final class PolynomialLR: LRScheduler {
    public let totalIters: Int, power: Double
    public init(_ optimizer: Optimizer, totalIters: Int = 5, power: Double = 1) {
        precondition(totalIters > 0, "Ember: PolynomialLR: totalIters must be positive, got \(totalIters)")
        self.totalIters = totalIters
        self.power = power
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double {
        Double(baseLR) * Foundation.pow(1 - Double(Swift.min(epoch, totalIters)) / Double(totalIters), power)
    }
}

/// The rate is multiplied by `lrLambda(epoch)` at every step, like
/// `torch.optim.lr_scheduler.MultiplicativeLR`: base·Π lrLambda(i) for i in 1...epoch. A decay whose
/// factor changes over time (0.95 for ten epochs, then 0.9) is one closure.
public final class MultiplicativeLR: LRScheduler {
    public let lrLambda: (Int) -> Double
    /// Π lrLambda(i) for i in 1...epoch, at index epoch (filled as epochs are reached).
    private var products: [Double] = [1]
    public init(_ optimizer: Optimizer, lrLambda: @escaping (Int) -> Double) {
        self.lrLambda = lrLambda
        super.init(optimizer)
    }
    public override func lr(atEpoch epoch: Int) -> Double {
        while products.count <= epoch { products.append(products[products.count - 1] * lrLambda(products.count)) }
        return Double(baseLR) * products[epoch]
    }
}

/// Linear warm-up: the rate climbs linearly from base·startFactor to the base rate over `steps` epochs
/// (`LinearLR(optimizer, startFactor: startFactor, endFactor: 1, totalIters: steps)`).
public func linearWarmup(_ optimizer: Optimizer, steps: Int, startFactor: Double = 1e-3) -> LinearLR {
    LinearLR(optimizer, startFactor: startFactor, endFactor: 1, totalIters: steps)
}

/// Lowers the rate by `factor` when a metric stops improving for `patience` epochs, like
/// `torch.optim.lr_scheduler.ReduceLROnPlateau`. Call `step(_:)` with the metric each epoch.
public final class ReduceLROnPlateau {
    public enum Mode: Sendable { case min, max }
    public enum ThresholdMode: Sendable { case relative, absolute }

    public let optimizer: Optimizer
    public let mode: Mode, factor: Float, patience: Int, threshold: Float, thresholdMode: ThresholdMode
    public let cooldown: Int, minLR: Float, eps: Float
    /// The best metric seen.
    public private(set) var best: Float
    public private(set) var numBadEpochs = 0
    public private(set) var cooldownCounter = 0
    public private(set) var lastEpoch = 0

    public init(_ optimizer: Optimizer, mode: Mode = .min, factor: Float = 0.1, patience: Int = 10,
                threshold: Float = 1e-4, thresholdMode: ThresholdMode = .relative, cooldown: Int = 0,
                minLR: Float = 0, eps: Float = 1e-8) {
        precondition(factor < 1, "Ember: ReduceLROnPlateau: factor should be < 1.0, got \(factor)")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minLR = minLR
        self.eps = eps
        best = mode == .min ? .infinity : -.infinity
    }

    func isBetter(_ a: Float, than best: Float) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .relative): return a < best * (1 - threshold)
        case (.min, .absolute): return a < best - threshold
        case (.max, .relative): return a > best * (threshold + 1)
        case (.max, .absolute): return a > best + threshold
        }
    }

    public func step(_ metric: Float) {
        lastEpoch += 1
        if isBetter(metric, than: best) {
            best = metric
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            let old = optimizer.lr
            let new = Swift.max(old * factor, minLR)
            if old - new > eps { optimizer.lr = new }
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
    }
}
