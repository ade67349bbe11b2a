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
///     updateBN(loader.lazy.map(\.0), swa)                    // BatchNorm statistics for the averaged weights
///     evaluate(swa)                                          // runs the averaged copy
///
/// Swift cannot deep-copy a class, so the averaged copy is a second instance that you pass; it starts
/// with the model's state. Its state dict holds `module.…` keys and `n_averaged`, as PyTorch's does.
/// Without `useBuffers` the buffers (BatchNorm's running statistics) are copied from the model at
/// each update, not averaged; recompute them for the averaged weights with `updateBN`.
public final class AveragedModel: Module {
    /// The averaged copy of the model.
    public let module: Module
    /// How many updates the average holds (int64 scalar; state-dict key `n_averaged`).
    @Buffer public var nAveraged = Tensor.zeros([], dtype: .int64)
    public let averaging: WeightAveraging
    /// Whether buffers are averaged too (PyTorch's `use_buffers`).
    public let useBuffers: Bool

    /// - Throws: when `copy` does not have the model's parameters and buffers (a different architecture).
    public init(_ model: Module, copy: Module, averaging: WeightAveraging = .equal, useBuffers: Bool = false) throws {
        if case .exponential(let decay) = averaging {
            precondition(decay >= 0 && decay <= 1, "Ember: AveragedModel needs an exponential decay in [0, 1], got \(decay)")
        }
        precondition(copy !== model, "Ember: AveragedModel needs a second instance of the model, not the model itself")
        self.module = copy
        self.averaging = averaging
        self.useBuffers = useBuffers
        super.init()
        _ = try copy.loadStateDict(model.stateDict())
    }

    /// Updates seen so far.
    public var averagedCount: Int { Int(nAveraged.item()) }

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
            for (average, weights) in zip(own, current) {
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
                for (own, theirs) in zip(module.buffers(), model.buffers()) { own.copy_(theirs) }
            }
            nAveraged.copy_(Tensor([count + 1], shape: []))
        }
    }
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
public final class SWALR: LRScheduler {
    public enum Anneal: Sendable { case cos, linear }
    public let swaLR: Double
    public let annealEpochs: Int
    public let anneal: Anneal
    /// The optimizer's rate when this scheduler was made: the start of the annealing.
    public let startLR: Double

    public init(_ optimizer: Optimizer, swaLR: Float, annealEpochs: Int = 10, anneal: Anneal = .cos) {
        precondition(annealEpochs >= 0, "Ember: SWALR needs annealEpochs ≥ 0, got \(annealEpochs)")
        self.swaLR = Double(swaLR)
        self.annealEpochs = annealEpochs
        self.anneal = anneal
        startLR = Double(optimizer.lr)
        super.init(optimizer)
    }

    public override func lr(atEpoch epoch: Int) -> Double {
        let steps = annealEpochs == 0 ? max(1, epoch) : epoch
        let t = min(1, Double(steps) / Double(max(1, annealEpochs)))
        let alpha = anneal == .cos ? (1 - Foundation.cos(Double.pi * t)) / 2 : t
        return swaLR * alpha + startLR * (1 - alpha)
    }
}
