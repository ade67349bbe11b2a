/// Runs schedulers one after another, like `torch.optim.lr_scheduler.SequentialLR`: `schedulers[0]`
/// until epoch `milestones[0]`, then `schedulers[1]` counted from 0, and so on. The usual use is a
/// warm-up followed by a decay:
///
///     let scheduler = SequentialLR(optimizer, schedulers: [
///         LinearLR(optimizer, startFactor: 0.1, totalIters: 5),
///         CosineAnnealingLR(optimizer, tMax: 45),
///     ], milestones: [5])
///
/// All of them count from the optimizer's initial rate. Step this one only, not the schedulers in it.
public final class SequentialLR: LRScheduler {
    public let schedulers: [LRScheduler]
    public let milestones: [Int]

    public init(_ optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int]) {
        precondition(!schedulers.isEmpty && milestones.count == schedulers.count - 1,
                     "Ember: SequentialLR: expects one milestone fewer than schedulers, got \(schedulers.count) "
                        + "schedulers and \(milestones.count) milestones")
        precondition(zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 } && (milestones.first ?? 1) > 0,
                     "Ember: SequentialLR: milestones must be positive and increasing, got \(milestones)")
        precondition(schedulers.allSatisfy { $0.optimizer === optimizer },
                     "Ember: SequentialLR: every scheduler must belong to the optimizer given")
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(optimizer)
    }

    public override func lr(atEpoch epoch: Int) -> Double {
        let (scheduler, local) = segment(atEpoch: epoch)
        return scheduler.lr(atEpoch: local)
    }

    public override func apply(atEpoch epoch: Int) {
        let (scheduler, local) = segment(atEpoch: epoch)
        scheduler.apply(atEpoch: local)
    }

    /// The scheduler in charge at `epoch`, and the epoch counted from its milestone.
    private func segment(atEpoch epoch: Int) -> (LRScheduler, Int) {
        let index = milestones.count { $0 <= epoch }
        return (schedulers[index], epoch - (index > 0 ? milestones[index - 1] : 0))
    }
}
