import Foundation

/// How `AveragedModel` averages a model's weights over its updates.
public enum WeightAveraging: Sendable, Equatable {
    /// Every update counts the same (stochastic weight averaging, SWA).
    case equal
    /// An exponential moving average: average ← decay · average + (1 − decay) · weights (EMA).
    case exponential(decay: Float)
}

/// A running average of a model's weights, like `torch.optim.swa_utils.AveragedModel`: stochastic
/// weight averaging, or an exponential moving average of the weights.
///
///     let swa = try AveragedModel(model, copy: Net())        // a second instance of the architecture
///     let scheduler = SWALR(optimizer, swaLR: 0.05)
///     for epoch in 0..<epochs {
///         train(model)
///         if epoch >= swaStart { swa.updateParameters(from: model); scheduler.step() }
///     }
///     updateBN(trainLoader, swa)                             // BatchNorm statistics for the averaged weights
///     evaluate(swa)                                          // runs the averaged copy
///
/// Swift cannot deep-copy a class, so the averaged copy is a second instance that you pass; it starts
/// with the model's state and mode, on the model's device (or `device`: an average kept on the CPU).
/// Its state dict holds `module.…` keys and `n_averaged`, as PyTorch's does. Without `useBuffers` the
/// buffers (BatchNorm's running statistics) are copied from the model at each update, not averaged;
/// recompute them for the averaged weights with `updateBN`. Parameters (frozen ones too, which
/// simply keep their value) and buffers are averaged.
public final class AveragedModel<M: Module>: Module {
    /// The averaged copy of the model (of the model's own type, so its layers can be reached).
    public let module: M
    /// How many updates the average holds (int64 scalar; state-dict key `n_averaged`).
    @Buffer public var nAveraged = Tensor.zeros([], dtype: .int64)
    public let averaging: WeightAveraging
    /// Whether buffers are averaged too (PyTorch's `use_buffers`).
    public let useBuffers: Bool

    /// - Throws: when `copy` does not have the model's parameters and buffers (a different architecture).
    public init(_ model: M, copy: M, averaging: WeightAveraging = .equal, useBuffers: Bool = false,
                device: Device? = nil) throws {
        if case .exponential(let decay) = averaging {
            precondition(decay >= 0 && decay <= 1, "Ember: AveragedModel needs an exponential decay in [0, 1], got \(decay)")
        }
        let shared = Set((model.parameters() + model.buffers()).map { ObjectIdentifier($0.storage) })
        precondition((copy.parameters() + copy.buffers()).allSatisfy { !shared.contains(ObjectIdentifier($0.storage)) },
                     "Ember: AveragedModel needs a second instance of the model that shares no layer or tensor with it")
        self.module = copy
        self.averaging = averaging
        self.useBuffers = useBuffers
        super.init()
        _ = try copy.loadStateDict(model.stateDict())
        _ = copy.to(device ?? model.parameters().first?.device ?? .cpu).train(model.isTraining)
        nAveraged = nAveraged.to(copy.parameters().first?.device ?? .cpu)
    }

    /// Updates seen so far (read as an integer: a float count would stop at 2^24).
    public var averagedCount: Int { nAveraged.toIntArray()[0] }

    public override func forward(_ x: Tensor) -> Tensor { module(x) }

    /// Adds the model's current weights to the average (the first update copies them).
    public func updateParameters(from model: Module) {
        let count = averagedCount
        let own = useBuffers ? module.parameters() + module.buffers() : module.parameters()
        let current = useBuffers ? model.parameters() + model.buffers() : model.parameters()
        guard own.count == current.count, zip(own, current).allSatisfy({ $0.shape == $1.shape && $0.dtype == $1.dtype }) else {
            fatalError("Ember: AveragedModel.updateParameters: the model's tensors \(current.map(\.shape)) do not match "
                + "the averaged copy's \(own.map(\.shape)); pass the model the average was made from")
        }
        noGrad {
            for (average, model) in zip(own, current) {
                let weights = model.device == average.device ? model : model.to(average.device)
                if count == 0 {
                    average.copy_(weights)
                } else if average.dtype == .float32 {
                    switch averaging {
                    case .equal: average.lerp_(weights, weight: 1 / Float(count + 1))
                    case .exponential(let decay): average.lerp_(weights, weight: 1 - decay)
                    }
                } else {
                    // Integer buffers (BatchNorm's batch count): averaged in float and truncated, as PyTorch does.
                    let (a, w) = (average.to(.float32), weights.to(.float32))
                    let mixed = switch averaging {
                    case .equal: a + (w - a) / Float(count + 1)
                    case .exponential(let decay): a * decay + w * (1 - decay)
                    }
                    average.copy_(mixed.to(average.dtype))
                }
            }
            if !useBuffers {
                for (own, theirs) in zip(module.buffers(), model.buffers()) { own.copy_(theirs.to(own.device)) }
            }
            nAveraged.copy_(Tensor([count + 1], shape: [], device: nAveraged.device))
        }
    }
}

/// `updateBN` over the inputs of (input, label) batches: `updateBN(trainLoader, swa)`. A shuffling
/// loader spends one epoch of its order.
public func updateBN(_ batches: some Sequence<(Tensor, Tensor)>, _ model: Module) {
    updateBN(batches.lazy.map(\.0), model)
}

/// Recomputes every BatchNorm layer's running statistics as the plain average over `inputs` (one
/// forward pass in training mode, without gradients), like `torch.optim.swa_utils.update_bn`: what
/// averaged weights need before evaluation. The model's mode is restored afterwards.
public func updateBN(_ inputs: some Sequence<Tensor>, _ model: Module) {
    let layers = model.modules().compactMap { $0 as? BatchNormBase }.filter(\.trackRunningStats)
    guard !layers.isEmpty else { return }
    let momenta = layers.map(\.momentum)
    let wasTraining = model.isTraining
    for layer in layers {
        layer.resetRunningStats()
        layer.momentum = nil   // a cumulative average over the batches
    }
    model.train()
    noGrad { for x in inputs { _ = model(x) } }
    for (layer, momentum) in zip(layers, momenta) { layer.momentum = momentum }
    model.train(wasTraining)
}

/// Anneals the learning rate from its current value to `swaLR` over `annealEpochs` epochs, then holds
/// it, like `torch.optim.swa_utils.SWALR`: the rate for SWA's epochs, after another schedule.
/// `annealEpochs: 0` switches at once.
///
/// As in PyTorch, each step works from the optimizer's current rate (the annealing's start is
/// recovered from it), so a rate set by another scheduler or by hand in between is followed, and
/// `SWALR` can be made before training and take over later (in `SequentialLR`, say).
public final class SWALR: LRScheduler {
    public enum AnnealStrategy: Sendable { case cos, linear }
    public let swaLR: Double
    public let annealEpochs: Int
    public let annealStrategy: AnnealStrategy

    public init(_ optimizer: Optimizer, swaLR: Double, annealEpochs: Int = 10, annealStrategy: AnnealStrategy = .cos) {
        precondition(annealEpochs >= 0, "Ember: SWALR needs annealEpochs ≥ 0, got \(annealEpochs)")
        self.swaLR = swaLR
        self.annealEpochs = annealEpochs
        self.annealStrategy = annealStrategy
        super.init(optimizer)
    }

    /// How far the annealing is after `step` steps, 0 to 1.
    private func progress(_ step: Int) -> Double {
        let t = max(0, min(1, Double(step) / Double(max(1, annealEpochs))))
        return annealStrategy == .cos ? (1 - Foundation.cos(Double.pi * t)) / 2 : t
    }

    /// The rate for `epoch`, from the optimizer's current rate (the one set for `epoch − 1`).
    public override func lr(atEpoch epoch: Int) -> Double {
        let step = annealEpochs == 0 ? max(1, epoch) : epoch
        let (before, now) = (progress(step - 1), progress(step))
        let current = Double(optimizer.lr)
        let start = before == 1 ? swaLR : (current - before * swaLR) / (1 - before)
        return swaLR * now + start * (1 - now)
    }
}
