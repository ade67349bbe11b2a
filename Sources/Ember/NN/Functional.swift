/// Function forms of layers and losses, like `torch.nn.functional`.

/// How a loss reduces its per-element values.
public enum Reduction: String, Sendable {
    /// The average (weighted by class weights where a loss has them).
    case mean
    case sum
    /// No reduction: one loss per element (or per sample for class losses).
    case none

    func apply(_ loss: Tensor) -> Tensor {
        switch self {
        case .mean: return loss.mean()
        case .sum: return loss.sum()
        case .none: return loss
        }
    }
}

func checkSameShape(_ input: Tensor, _ target: Tensor, _ name: String) {
    guard input.shape == target.shape else {
        shapeFailure(ShapeError("\(name): input of shape \(input.shape) and target of shape \(target.shape) must have the same shape"))
    }
}

/// Mean squared error (x - y)².
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "mseLoss")
    let d = input - target
    return reduction.apply(d * d)
}

/// Mean absolute error |x - y|.
public func l1Loss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "l1Loss")
    return reduction.apply((input - target).abs())
}

/// 0.5·d² where |d| < delta, delta·(|d| - 0.5·delta) elsewhere (d = x - y).
public func huberLoss(_ input: Tensor, _ target: Tensor, delta: Float = 1, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "huberLoss")
    let d = input - target
    let a = d.abs()
    let loss = `where`(a.lt(delta), d * d * 0.5, (a - 0.5 * delta) * delta)
    return reduction.apply(loss)
}

/// Huber's loss scaled to slope 1: 0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere, like
/// `F.smooth_l1_loss` (beta 0 is the L1 loss).
public func smoothL1Loss(_ input: Tensor, _ target: Tensor, beta: Float = 1, reduction: Reduction = .mean) -> Tensor {
    precondition(beta >= 0, "Ember: smoothL1Loss: beta must be non-negative, got \(beta)")
    if beta == 0 { return l1Loss(input, target, reduction: reduction) }
    return huberLoss(input, target, delta: beta, reduction: reduction) / beta
}

/// How `klDiv` reduces: like `Reduction`, plus `.batchMean`, the sum over the batch size (dim 0),
/// which is the KL divergence per sample (PyTorch's `reduction="batchmean"`).
public enum KLDivReduction: Sendable { case mean, batchMean, sum, none }

/// The Kullback–Leibler divergence of `target` from the distribution whose log-probabilities are
/// `input`: target·(log target − input), with 0 where target is 0, like `F.kl_div`. With `logTarget`
/// the target holds log-probabilities too. Knowledge distillation uses it with `.batchMean`.
public func klDiv(_ input: Tensor, _ target: Tensor, reduction: KLDivReduction = .mean, logTarget: Bool = false) -> Tensor {
    checkSameShape(input, target, "klDiv")
    let loss = logTarget
        ? target.exp() * (target - input)
        // xlogy: 0·log 0 counts as 0.
        : target * (target.maskedFill(target.le(0), 1).log() - input)
    switch reduction {
    case .mean: return loss.mean()
    case .batchMean: return loss.sum() / Float(input.rank == 0 ? 1 : input.shape[0])
    case .sum: return loss.sum()
    case .none: return loss
    }
}

/// Binary cross-entropy of probabilities: -w·(y·log x + (1-y)·log(1-x)), logs clamped at -100 like PyTorch.
public func binaryCrossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
                               reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "binaryCrossEntropy")
    let logX = input.log().clamp(min: -100)
    let log1mX = (1 - input).log().clamp(min: -100)
    var loss = -(target * logX + (1 - target) * log1mX)
    if let weight { loss = loss * weight }
    return reduction.apply(loss)
}

/// Binary cross-entropy on logits, in the stable form (1-y)·x + (1 + (pw-1)·y)·softplus(-x).
/// `posWeight` weighs the positive term (broadcast along the last dim), `weight` each element.
public func binaryCrossEntropyWithLogits(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                         posWeight: Tensor? = nil, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "binaryCrossEntropyWithLogits")
    let softplusNeg = (-input).softplus()
    var loss: Tensor
    if let posWeight {
        loss = (1 - target) * input + (1 + (posWeight - 1) * target) * softplusNeg
    } else {
        loss = (1 - target) * input + softplusNeg
    }
    if let weight { loss = loss * weight }
    return reduction.apply(loss)
}

/// Moves the class dim (1) of [N, C, d...] last and flattens to [M, C]; [N, C] stays.
private func classesLast(_ input: Tensor) -> Tensor {
    if input.rank <= 2 { return input.rank == 1 ? input.unsqueeze(0) : input }
    let order = [0] + Array(2..<input.rank) + [1]
    return input.permute(order).reshape([-1, input.shape[1]])
}

private func checkClassTarget(_ input: Tensor, _ target: Tensor, _ name: String) {
    guard target.dtype == .int64 else {
        shapeFailure(ShapeError("\(name): expected int64 class indices as target, got \(target.dtype)"))
    }
    let expected = input.rank == 1 ? [] : [input.shape[0]] + Array(input.shape.dropFirst(2))
    guard target.shape == expected else {
        shapeFailure(ShapeError("\(name): input of shape \(input.shape) expects a target of shape \(expected), got \(target.shape)"))
    }
}

/// Negative log-likelihood of log-probabilities [N, C] (or [N, C, d...]) at int64 class indices [N] ([N, d...]):
/// loss_n = -w[y_n]·x[n, y_n]. The mean divides by the sum of the weights of the counted targets;
/// targets equal to `ignoreIndex` count nothing.
public func nllLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                    reduction: Reduction = .mean) -> Tensor {
    checkClassTarget(input, target, "nllLoss")
    let classes = input.rank == 1 ? input.shape[0] : input.shape[1]
    let flat = classesLast(input)
    let labels = target.toIntArray()
    let kept = labels.map { $0 != ignoreIndex }
    for (i, y) in labels.enumerated() where kept[i] && (y < 0 || y >= classes) {
        fatalError("Ember: nllLoss: target \(y) at position \(i) is out of bounds for \(classes) classes")
    }
    let safe = Tensor(zip(labels, kept).map { $1 ? $0 : 0 }, shape: [labels.count, 1], device: input.device)
    let w = weight?.toArray()
    let sampleWeights = Tensor(zip(labels, kept).map { y, k in k ? (w?[y] ?? 1) : 0 }, device: input.device)
    let picked = flat.gather(dim: 1, indices: safe).reshape([labels.count])
    let losses = -(picked * sampleWeights)
    switch reduction {
    case .none: return losses.reshape(target.shape)
    case .sum: return losses.sum()
    case .mean:
        let total = sampleWeights.sum().item()
        // Nothing counted: NaN, as PyTorch's, with a gradient of 0 rather than 0·∞.
        return total == 0 ? losses.sum() * 0 + Float.nan : losses.sum() / total
    }
}

/// Cross-entropy of logits [N, C] (or [N, C, d...]) against int64 class indices, like
/// `torch.nn.functional.cross_entropy`: nllLoss(logSoftmax(x)) with optional class `weight`,
/// `ignoreIndex` and `labelSmoothing` ε, which mixes in the uniform distribution:
/// (1-ε)·nll + ε/C·Σ_c -w_c·log p_c, the smoothing term reduced like the nll term
/// (its mean divided by the weight of the counted targets).
/// A float32 `target` of the input's shape is read as class probabilities instead.
public func crossEntropy(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
                         labelSmoothing: Float = 0, reduction: Reduction = .mean) -> Tensor {
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "Ember: crossEntropy: labelSmoothing must be between 0.0 and 1.0, got \(labelSmoothing)")
    // The common case (logits [N, C], class indices, no weights or smoothing) runs as one fused op.
    if input.rank == 2, target.dtype == .int64, weight == nil, labelSmoothing == 0 {
        checkClassTarget(input, target, "crossEntropy")
        switch reduction {
        case .none: return input.crossEntropyPerRow(target, ignoreIndex: ignoreIndex)
        case .sum: return input.crossEntropyPerRow(target, ignoreIndex: ignoreIndex).sum()
        case .mean: return input.crossEntropyMean(target, ignoreIndex: ignoreIndex)
        }
    }
    let classDim = input.rank == 1 ? 0 : 1
    let classes = input.shape[classDim]
    let logp = input.logSoftmax(dim: classDim)
    var weightShape = [Int](repeating: 1, count: input.rank)
    weightShape[classDim] = classes
    if target.dtype == .float32 {
        checkSameShape(input, target, "crossEntropy")
        var probs = target
        if labelSmoothing > 0 { probs = target * (1 - labelSmoothing) + labelSmoothing / Float(classes) }
        var terms = logp * probs
        if let weight { terms = terms * weight.reshape(weightShape) }
        let losses = -terms.sum(dim: classDim)
        switch reduction {
        case .none: return losses
        case .sum: return losses.sum()
        case .mean: return losses.sum() / Float(input.rank == 1 ? 1 : input.shape[0] * input.shape.dropFirst(2).reduce(1, *))
        }
    }
    let nll = nllLoss(logp, target, weight: weight, ignoreIndex: ignoreIndex, reduction: reduction)
    guard labelSmoothing > 0 else { return nll }
    let labels = target.toIntArray()
    let ignoredMask = Tensor(labels.map { $0 == ignoreIndex ? 1 : 0 } as [Float], shape: target.shape, device: input.device)
    var smooth = weight.map { logp * $0.reshape(weightShape) } ?? logp
    // Filled, not multiplied by a 0/1 mask: a mean over no rows is NaN, and its gradient must stay 0 (as PyTorch's).
    smooth = (-smooth.sum(dim: classDim)).maskedFill(ignoredMask, 0)
    let reduced: Tensor
    switch reduction {
    case .none: reduced = smooth
    case .sum: reduced = smooth.sum()
    case .mean:
        if let w = weight?.toArray() {
            reduced = smooth.sum() / labels.filter { $0 != ignoreIndex }.reduce(Float(0)) { $0 + w[$1] }
        } else {
            reduced = smooth.sum() / Float(labels.filter { $0 != ignoreIndex }.count)
        }
    }
    return nll * (1 - labelSmoothing) + reduced * (labelSmoothing / Float(classes))
}
