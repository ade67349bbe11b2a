/// Several schedules at once, like `torch.optim.lr_scheduler.ChainedScheduler`: the rate is the
/// base rate times the product of each scheduler's factor (its rate over the base), so a warm-up
/// `LinearLR` chained with `ExponentialLR` warms up and decays together. Step the chain, not its
/// members. (PyTorch steps each member's recursive form in turn; for the multiplicative schedules
/// that is the same product, and for `CosineAnnealingLR` too within its first `tMax` epochs.)
///
///     let scheduler = ChainedScheduler(optimizer, schedulers: [
///         ConstantLR(optimizer, factor: 0.1, totalIters: 2), ExponentialLR(optimizer, gamma: 0.9)])
public final class ChainedScheduler: LRScheduler {
    public let schedulers: [LRScheduler]

    public init(_ optimizer: Optimizer, schedulers: [LRScheduler]) {
        precondition(!schedulers.isEmpty, "Ember: ChainedScheduler: expects at least one scheduler")
        precondition(schedulers.allSatisfy { $0.optimizer === optimizer },
                     "Ember: ChainedScheduler: every scheduler must belong to the optimizer given")
        self.schedulers = schedulers
        super.init(optimizer)
    }

    public override func lr(atEpoch epoch: Int) -> Double {
        schedulers.reduce(Double(baseLR)) { rate, scheduler in
            rate * (scheduler.baseLR == 0 ? 1 : scheduler.lr(atEpoch: epoch) / Double(scheduler.baseLR))
        }
    }
}
