import Foundation

/// Cyclical learning rates (Smith, 2017), like `torch.optim.lr_scheduler.CyclicLR`: the rate climbs from
/// `baseLR` to `maxLR` over `stepSizeUp` batches and back down over `stepSizeDown` (the same by
/// default), again and again; step it every batch. The amplitude stays (`.triangular`), halves every
/// cycle (`.triangular2`) or decays by `gamma` per batch (`.expRange`). With `cycleMomentum` the
/// momentum (or Adam's β1) moves the other way, between `maxMomentum` and `baseMomentum`.
///
/// Like PyTorch's, it sets the optimizer's rate to `baseLR` when made.
public final class CyclicLR: LRScheduler {
    public enum Mode: Sendable { case triangular, triangular2, expRange }

    public let lowerLR: Double, maxLR: Double
    public let stepSizeUp: Int, stepSizeDown: Int
    public let mode: Mode, gamma: Double
    public let cycleMomentum: Bool, baseMomentum: Double, maxMomentum: Double

    public init(_ optimizer: Optimizer, baseLR: Double, maxLR: Double, stepSizeUp: Int = 2000, stepSizeDown: Int? = nil,
                mode: Mode = .triangular, gamma: Double = 1, cycleMomentum: Bool = true, baseMomentum: Double = 0.8,
                maxMomentum: Double = 0.9) {
        precondition(stepSizeUp > 0 && (stepSizeDown ?? 1) > 0,
                     "Ember: CyclicLR: step sizes must be positive, got up \(stepSizeUp), down \(stepSizeDown ?? stepSizeUp)")
        precondition(!cycleMomentum || OneCycleLR.momentumKey(optimizer) != nil,
                     "Ember: CyclicLR: \(type(of: optimizer)) has no momentum or beta1 to cycle; pass cycleMomentum: false")
        (lowerLR, self.maxLR, self.stepSizeUp, self.stepSizeDown) = (baseLR, maxLR, stepSizeUp, stepSizeDown ?? stepSizeUp)
        (self.mode, self.gamma) = (mode, gamma)
        (self.cycleMomentum, self.baseMomentum, self.maxMomentum) = (cycleMomentum, baseMomentum, maxMomentum)
        optimizer.lr = Float(baseLR)
        super.init(optimizer)
    }

    /// How far up the current cycle's triangle `step` is (0 at the bottom, 1 at the top), and the
    /// amplitude's scale then.
    private func position(_ step: Int) -> (height: Double, scale: Double) {
        let total = Double(stepSizeUp + stepSizeDown), ratio = Double(stepSizeUp) / total
        let cycle = Foundation.floor(1 + Double(step) / total)
        let x = 1 + Double(step) / total - cycle
        let height = x <= ratio ? x / ratio : (x - 1) / (ratio - 1)
        switch mode {
        case .triangular: return (height, 1)
        case .triangular2: return (height, 1 / Foundation.pow(2, cycle - 1))
        case .expRange: return (height, Foundation.pow(gamma, Double(step)))
        }
    }

    public override func lr(atEpoch epoch: Int) -> Double {
        let (height, scale) = position(epoch)
        return lowerLR + (maxLR - lowerLR) * height * scale
    }

    public override func apply(atEpoch epoch: Int) {
        optimizer.lr = Float(lr(atEpoch: epoch))
        guard cycleMomentum, let key = OneCycleLR.momentumKey(optimizer) else { return }
        let (height, scale) = position(epoch)
        optimizer.hyperparameters[key] = Float(maxMomentum - (maxMomentum - baseMomentum) * height * scale)
    }
}
