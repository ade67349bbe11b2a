import Foundation

// Losses for counts and uncertain regression (negative log-likelihoods) and margin losses for ±1 and
// multi-class targets, like PyTorch's functional forms; each is composed of differentiable ops.

/// The negative log-likelihood of counts `target` under a Poisson distribution, like
/// `torch.nn.functional.poisson_nll_loss`: exp(input) − target·input when `logInput` (the input is the
/// log-rate), else input − target·log(input + eps). `full` adds Stirling's approximation of log(target!)
/// for targets above 1.
public func poissonNLLLoss(_ input: Tensor, _ target: Tensor, logInput: Bool = true, full: Bool = false,
                           eps: Float = 1e-8, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "poissonNLLLoss")
    var loss = logInput ? input.exp() - target * input : input - target * (input + eps).log()
    if full {
        let stirling = target * target.log() - target + (target * (2 * Float.pi)).log() * 0.5
        loss = loss + stirling.maskedFill(target.le(1), 0)
    }
    return reduction.reduce(loss)
}

/// The negative log-likelihood of `target` under a Gaussian of mean `input` and variance `variance`,
/// like `torch.nn.functional.gaussian_nll_loss`: ½(log(var) + (input − target)²/var), plus ½log(2π)
/// when `full`. The variance has the input's shape, or one fewer trailing dim or a last dim of 1 (one
/// variance per sample); it is clamped to at least `eps` for the value, while its gradient passes
/// unchanged, as in PyTorch.
public func gaussianNLLLoss(_ input: Tensor, _ target: Tensor, variance: Tensor, full: Bool = false, eps: Float = 1e-6,
                            reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "gaussianNLLLoss")
    var v = variance
    if v.shape != input.shape {
        if v.rank == input.rank - 1 && Array(input.shape.dropLast()) == v.shape {
            v = v.unsqueeze(-1)
        }
        guard v.rank == input.rank, Array(v.shape.dropLast()) == Array(input.shape.dropLast()), v.shape.last == 1 else {
            shapeFailure(ShapeError("gaussianNLLLoss: variance of shape \(variance.shape) does not fit the input's shape "
                + "\(input.shape); give one of that shape, or with the last dim 1 or removed"))
        }
    }
    guard noGrad({ v.lt(0).any().item() }) == 0 else {
        fatalError("Ember: gaussianNLLLoss: the variance has negative entries")
    }
    let clamped = v + noGrad { v.clamp(min: eps) - v }   // the clamped value, with v's own gradient
    var loss = (clamped.log() + (input - target).square() / clamped) * 0.5
    if full { loss = loss + 0.5 * Float(Foundation.log(2 * Double.pi)) }
    return reduction.reduce(loss)
}

/// The two-class logistic loss of scores against targets of ±1, like
/// `torch.nn.functional.soft_margin_loss`: log(1 + exp(−target·input)).
public func softMarginLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "softMarginLoss")
    return reduction.reduce((-(target * input)).softplus())
}

/// The multi-label loss of logits [N, C] against 0/1 targets [N, C], like
/// `torch.nn.functional.multilabel_soft_margin_loss`: each sample's mean over classes of the binary
/// cross-entropy with logits, weighted per class by `weight` [C].
public func multilabelSoftMarginLoss(_ input: Tensor, _ target: Tensor, weight: Tensor? = nil,
                                     reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "multilabelSoftMarginLoss")
    guard input.rank == 2 else {
        shapeFailure(ShapeError("multilabelSoftMarginLoss: expects logits [N, C], got shape \(input.shape)"))
    }
    // log σ(x) = −softplus(−x), log σ(−x) = −softplus(x).
    var perClass = target * (-input).softplus() + (1 - target) * input.softplus()
    if let weight { perClass = perClass * weight }
    return reduction.reduce(perClass.mean(dim: 1))
}

/// The loss of distances (or scores) `input` for pairs labelled 1 (similar) or −1 (dissimilar), like
/// `torch.nn.functional.hinge_embedding_loss`: input where the target is 1, max(0, margin − input)
/// where it is −1.
public func hingeEmbeddingLoss(_ input: Tensor, _ target: Tensor, margin: Float = 1, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(input, target, "hingeEmbeddingLoss")
    let t = target.float()
    let dissimilar = (margin - input).clamp(min: 0).maskedFill(t.eq(1), 0)
    let similar = input.maskedFill(t.eq(-1), 0)
    return reduction.reduce(dissimilar + similar)
}

/// The multi-class hinge loss of scores [N, C] against int64 classes [N], like
/// `torch.nn.functional.multi_margin_loss`: for each sample, Σ over the other classes i of
/// max(0, margin − x[y] + x[i])ᵖ / C, times `weight[y]` when given.
public func multiMarginLoss(_ input: Tensor, _ target: Tensor, p: Int = 1, margin: Float = 1, weight: Tensor? = nil,
                            reduction: Reduction = .mean) -> Tensor {
    guard p == 1 || p == 2 else { shapeFailure(ShapeError("multiMarginLoss: p must be 1 or 2, got \(p)")) }
    guard input.rank == 2, target.rank == 1, target.shape[0] == input.shape[0], target.dtype == .int64 else {
        shapeFailure(ShapeError("multiMarginLoss: expects scores [N, C] and int64 classes [N], got \(input.shape) "
            + "and \(target.dtype) \(target.shape)"))
    }
    let classes = input.shape[1]
    let column = target.unsqueeze(1)
    let correct = input.gather(dim: 1, indices: column)                          // x[y], [N, 1]
    var margins = (input - correct + margin).relu()   // no gradient at exactly 0, as PyTorch's z > 0
    if p == 2 { margins = margins.square() }
    let others = Tensor.arange(classes, device: input.device).ne(column)        // 0 at the target's class
    var perSample = (margins * others).sum(dim: 1) / Float(classes)
    if let weight { perSample = perSample * weight.gather(dim: 0, indices: target) }
    return reduction.reduce(perSample)
}

/// The multi-label hinge loss, like `F.multilabel_margin_loss`: `target` (int64, the shape of the
/// scores [N, C] or [C]) lists each sample's classes, ended by the first −1; each sample's loss is
/// Σ over listed classes j and unlisted classes i of max(0, 1 − (x[j] − x[i])) / C.
public func multilabelMarginLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    guard input.rank == 1 || input.rank == 2, target.shape == input.shape, target.dtype == .int64 else {
        shapeFailure(ShapeError("multilabelMarginLoss: expects scores [N, C] or [C] and int64 targets of the same shape, "
            + "got \(input.shape) and \(target.dtype) \(target.shape)"))
    }
    let scores = input.rank == 1 ? input.unsqueeze(0) : input
    let (samples, classes) = (scores.shape[0], scores.shape[1])
    guard classes > 0 else {
        shapeFailure(ShapeError("multilabelMarginLoss: scores of shape \(input.shape) have no classes"))
    }
    // The lists are read on the host, each up to its first −1; every entry must be a class or −1.
    let labels = target.toIntArray()
    if let bad = labels.firstIndex(where: { !(-1..<classes).contains($0) }) {
        shapeFailure(ShapeError("multilabelMarginLoss: target \(labels[bad]) in row \(bad / classes) is out of range for "
            + "\(classes) classes (use class indices, ended by -1)"))
    }
    let lists = (0..<samples).map { row in
        Array(labels[(row * classes)..<((row + 1) * classes)].prefix { $0 != -1 })
    }
    let longest = Swift.max(lists.map(\.count).max() ?? 0, 1)
    var listed = [Int](repeating: 0, count: samples * longest)      // the lists, padded with class 0...
    var present = [Float](repeating: 0, count: samples * longest)   // ...whose padding counts for nothing
    var unlisted = [Float](repeating: 1, count: samples * classes)
    for (row, list) in lists.enumerated() {
        for (k, label) in list.enumerated() {
            (listed[row * longest + k], present[row * longest + k]) = (label, 1)
            unlisted[row * classes + label] = 0
        }
    }
    let device = input.device
    let listedScores = scores.gather(dim: 1, indices: Tensor(listed, shape: [samples, longest], device: device))
    // max(0, 1 − (x[j] − x[i])) for each listed j (a repeated class counts again) and every class i,
    // [N, L, C]: relu, whose gradient is 0 at a margin of exactly 0, as PyTorch's.
    let margins = (1 - listedScores.unsqueeze(2) + scores.unsqueeze(1)).relu()
    let pairs = Tensor(present, shape: [samples, longest, 1], device: device)
        * Tensor(unlisted, shape: [samples, 1, classes], device: device)
    var perSample = (margins * pairs).sum(dims: [1, 2]) / Float(classes)
    if input.rank == 1 { perSample = perSample.squeeze(0) }
    return reduction.reduce(perSample)
}

/// `poissonNLLLoss` as a module, like `torch.nn.PoissonNLLLoss`.
public final class PoissonNLLLoss: Loss {
    public let logInput: Bool, full: Bool, eps: Float
    public init(logInput: Bool = true, full: Bool = false, eps: Float = 1e-8, reduction: Reduction = .mean) {
        (self.logInput, self.full, self.eps) = (logInput, full, eps)
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        poissonNLLLoss(input, target, logInput: logInput, full: full, eps: eps, reduction: reduction)
    }
}

/// `gaussianNLLLoss` as a module: `GaussianNLLLoss()(mean, target, variance)`.
public final class GaussianNLLLoss {
    public let full: Bool, eps: Float, reduction: Reduction
    public init(full: Bool = false, eps: Float = 1e-6, reduction: Reduction = .mean) {
        (self.full, self.eps, self.reduction) = (full, eps, reduction)
    }
    public func callAsFunction(_ input: Tensor, _ target: Tensor, _ variance: Tensor) -> Tensor {
        gaussianNLLLoss(input, target, variance: variance, full: full, eps: eps, reduction: reduction)
    }
}

/// `softMarginLoss` as a module, like `torch.nn.SoftMarginLoss`.
public final class SoftMarginLoss: Loss {
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        softMarginLoss(input, target, reduction: reduction)
    }
}

/// `multilabelSoftMarginLoss` as a module, like `torch.nn.MultiLabelSoftMarginLoss`.
public final class MultiLabelSoftMarginLoss: Loss {
    public let weight: Tensor?
    public init(weight: Tensor? = nil, reduction: Reduction = .mean) {
        self.weight = weight
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        multilabelSoftMarginLoss(input, target, weight: weight, reduction: reduction)
    }
}

/// `hingeEmbeddingLoss` as a module, like `torch.nn.HingeEmbeddingLoss`.
public final class HingeEmbeddingLoss: Loss {
    public let margin: Float
    public init(margin: Float = 1, reduction: Reduction = .mean) {
        self.margin = margin
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        hingeEmbeddingLoss(input, target, margin: margin, reduction: reduction)
    }
}

/// `multiMarginLoss` as a module, like `torch.nn.MultiMarginLoss`.
public final class MultiMarginLoss: Loss {
    public let p: Int, margin: Float, weight: Tensor?
    public init(p: Int = 1, margin: Float = 1, weight: Tensor? = nil, reduction: Reduction = .mean) {
        (self.p, self.margin, self.weight) = (p, margin, weight)
        super.init(reduction: reduction)
    }
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        multiMarginLoss(input, target, p: p, margin: margin, weight: weight, reduction: reduction)
    }
}

/// `multilabelMarginLoss` as a module, like `torch.nn.MultiLabelMarginLoss`.
public final class MultiLabelMarginLoss: Loss {
    public override func forward(_ input: Tensor, _ target: Tensor) -> Tensor {
        multilabelMarginLoss(input, target, reduction: reduction)
    }
}
