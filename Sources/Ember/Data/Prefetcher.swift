import Dispatch

/// Hands out batches one at a time while the next is made on a background thread: while the loop
/// body trains on batch k, `produce` makes batch k+1. Both loaders (`DataLoader`, `IterableDataLoader`)
/// iterate through one.
///
/// `produce` runs strictly one call at a time, in order (on the caller's thread for the first batch, on
/// the background queue after), so it may keep state of its own (a cursor, a stream) without a lock.
/// It returns nil at the end and is not called again after that.
final class Prefetcher<Batch> {
    private let produce: () -> Batch?
    private let prefetch: Bool
    private let queue: DispatchQueue
    private var pending: DispatchWorkItem?
    /// Where the background work leaves the next batch (owned by the work item as well as by `self`,
    /// so an iterator dropped mid-epoch goes away only after its last prefetch finished).
    private final class Slot { var batch: Batch? }
    private let slot = Slot()
    private var finished = false

    /// Batches from `produce`, each made ahead of time on a queue named `label` when `prefetch` is on,
    /// else on demand.
    init(label: String, prefetch: Bool, produce: @escaping () -> Batch?) {
        (self.produce, self.prefetch) = (produce, prefetch)
        queue = DispatchQueue(label: label)
    }

    deinit { pending?.wait() }

    func next() -> Batch? {
        guard !finished else { return nil }
        let result: Batch?
        if let pending {
            pending.wait()
            result = slot.batch
            slot.batch = nil
            self.pending = nil
        } else {
            result = produce()
        }
        guard let result else {
            finished = true
            return nil
        }
        if prefetch {
            let (produce, slot) = (self.produce, self.slot)
            // The element-wise work of `produce` stays on this thread: the cores belong to the loop body.
            let work = DispatchWorkItem { slot.batch = Parallel.onCallingThread(produce) }
            pending = work
            queue.async(execute: work)
        }
        return result
    }
}
