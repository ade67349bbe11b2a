/// Similarities and distances between embeddings, like `torch.nn.functional`'s: `normalize`,
/// `cosineSimilarity`, `pairwiseDistance`, and the losses built on them.

/// `x` divided by its p-norm along `dim` (at least `eps`), like `F.normalize`: unit vectors for
/// embeddings and contrastive losses.
public func normalize(_ x: Tensor, p: Float = 2, dim: Int = 1, eps: Float = 1e-12) -> Tensor {
    x / x.norm(p: p, dim: dim, keepdim: true).clamp(min: eps)
}

/// The cosine of the angle between `x1` and `x2` along `dim` (broadcast), like `F.cosine_similarity`:
/// each vector is divided by its norm (at least `eps`) first, as PyTorch does.
public func cosineSimilarity(_ x1: Tensor, _ x2: Tensor, dim: Int = 1, eps: Float = 1e-8) -> Tensor {
    (normalize(x1, dim: dim, eps: eps) * normalize(x2, dim: dim, eps: eps)).sum(dim: dim)
}

/// ‖x1 − x2 + eps‖ₚ along the last dim, like `F.pairwise_distance`.
public func pairwiseDistance(_ x1: Tensor, _ x2: Tensor, p: Float = 2, eps: Float = 1e-6, keepdim: Bool = false) -> Tensor {
    (x1 - x2 + eps).norm(p: p, dim: -1, keepdim: keepdim)
}

/// The p-norm distance between each row of `x1` [..., P, M] and each row of `x2` [..., R, M] (batch dims
/// broadcast), [..., P, R], like `torch.cdist`. As PyTorch's default, Euclidean distances between more
/// than 25 rows on either side come from one matrix product (‖a‖² + ‖b‖² − 2a·b, clamped at 1e-30 as
/// PyTorch's, so that coinciding rows get a zero gradient), the others from the differences
/// themselves (whose gradient is 0 where two rows coincide). With p = ∞ tied largest differences share
/// the gradient (PyTorch gives each all of it).
public func cdist(_ x1: Tensor, _ x2: Tensor, p: Float = 2) -> Tensor {
    guard x1.rank >= 2, x2.rank >= 2, x1.shape[x1.rank - 1] == x2.shape[x2.rank - 1], p >= 0 else {
        shapeFailure(ShapeError("cdist: expects x1 [..., P, M] and x2 [..., R, M] with one M and p ≥ 0, got shapes "
            + "\(x1.shape) and \(x2.shape) with p \(p)"))
    }
    let (rows1, rows2) = (x1.shape[x1.rank - 2], x2.shape[x2.rank - 2])
    if p == 2 && (rows1 > 25 || rows2 > 25) {
        let squares = x1.square().sum(dim: -1, keepdim: true) + x2.square().sum(dim: -1).unsqueeze(-2)
        return (squares - 2 * x1.matmul(x2.mT)).clamp(min: 1e-30).sqrt()
    }
    if x1.shape[x1.rank - 1] == 0 {   // no coordinates: every distance is 0
        let shape = checkShape { () throws(ShapeError) in
            try Shape.broadcast(Array(x1.shape.dropLast(2)), Array(x2.shape.dropLast(2)), op: "cdist")
        }
        return Tensor.zeros(shape + [rows1, rows2], device: x1.device)
    }
    let differences = x1.unsqueeze(-2) - x2.unsqueeze(-3)   // [..., P, R, M]
    return p == 0 ? noGrad { differences.ne(0).to(.float32).sum(dim: -1) } : differences.norm(p: p, dim: -1)
}

/// For pairs (x1, x2) labelled y = 1 (similar) or −1 (dissimilar): 1 − cos(x1, x2) for similar pairs,
/// max(0, cos(x1, x2) − margin) for dissimilar ones (other labels count 0), like `F.cosine_embedding_loss`
/// (which adds 1e-12 to each squared norm).
public func cosineEmbeddingLoss(_ x1: Tensor, _ x2: Tensor, _ y: Tensor, margin: Float = 0,
                                reduction: Reduction = .mean) -> Tensor {
    checkSameShape(x1, x2, "cosineEmbeddingLoss")
    checkLabels(y, for: Array(x1.shape.dropLast()), "cosineEmbeddingLoss")
    let squares = (x1.square().sum(dim: -1) + 1e-12) * (x2.square().sum(dim: -1) + 1e-12)
    let cosine = (x1 * x2).sum(dim: -1) / squares.sqrt()
    let target = y.to(.float32)
    return reduction.apply(target.eq(1) * (1 - cosine) + target.eq(-1) * (cosine - margin).relu())
}

/// max(0, −y·(x1 − x2) + margin): ranks x1 above x2 where y = 1 and below where y = −1, like
/// `F.margin_ranking_loss`.
public func marginRankingLoss(_ x1: Tensor, _ x2: Tensor, _ y: Tensor, margin: Float = 0,
                              reduction: Reduction = .mean) -> Tensor {
    checkSameShape(x1, x2, "marginRankingLoss")
    checkLabels(y, for: x1.shape, "marginRankingLoss")
    return reduction.apply((-y.to(.float32) * (x1 - x2) + margin).relu())
}

/// Stops unless the labels `y` have exactly `shape` (no silent broadcasting of [N, 1] against [N]).
private func checkLabels(_ y: Tensor, for shape: [Int], _ name: String) {
    guard y.shape == shape else {
        shapeFailure(ShapeError("\(name): the labels y have shape \(y.shape), expected \(shape) (one ±1 per pair)"))
    }
}

/// max(d(a, p) − d(a, n) + margin, 0) with d the pairwise p-norm distance: pulls each anchor towards
/// its positive and away from its negative, like `F.triplet_margin_loss`. `swap` uses the
/// positive–negative distance when it is the smaller.
public func tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: Float = 1, p: Float = 2,
                              eps: Float = 1e-6, swap: Bool = false, reduction: Reduction = .mean) -> Tensor {
    checkSameShape(anchor, positive, "tripletMarginLoss")
    checkSameShape(anchor, negative, "tripletMarginLoss")
    return tripletHinge(anchor, positive, negative, distance: { pairwiseDistance($0, $1, p: p, eps: eps) }, margin: margin,
                        swap: swap, reduction: reduction)
}

/// `tripletMarginLoss` with any distance, like `F.triplet_margin_with_distance_loss`: mean (or sum) of
/// max(0, margin + d(anchor, positive) − d(anchor, negative)), where `distanceFunction` (by default
/// `pairwiseDistance`) returns one distance per row. With `swap` the negative's distance is the
/// smaller of d(anchor, negative) and d(positive, negative).
public func tripletMarginWithDistanceLoss(anchor: Tensor, positive: Tensor, negative: Tensor,
                                          distanceFunction: ((Tensor, Tensor) -> Tensor)? = nil, margin: Float = 1,
                                          swap: Bool = false, reduction: Reduction = .mean) -> Tensor {
    precondition(margin > 0, "Ember: tripletMarginWithDistanceLoss: margin must be greater than 0, got \(margin)")
    guard anchor.rank == positive.rank, anchor.rank == negative.rank else {
        shapeFailure(ShapeError("tripletMarginWithDistanceLoss: anchor \(anchor.shape), positive \(positive.shape) and "
            + "negative \(negative.shape) must have the same number of dims"))
    }
    return tripletHinge(anchor, positive, negative, distance: distanceFunction ?? { pairwiseDistance($0, $1) },
                        margin: margin, swap: swap, reduction: reduction)
}

/// max(0, margin + d(a, p) − d(a, n)), d(a, n) replaced by d(p, n) where smaller with `swap`: both
/// triplet losses, in PyTorch's order of operations and with no gradient at exactly 0.
private func tripletHinge(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor, distance: (Tensor, Tensor) -> Tensor,
                          margin: Float, swap: Bool, reduction: Reduction) -> Tensor {
    let toPositive = distance(anchor, positive)
    var toNegative = distance(anchor, negative)
    if swap { toNegative = toNegative.minimum(distance(positive, negative)) }
    return reduction.apply((margin + toPositive - toNegative).relu())
}

/// `cosineSimilarity` as a layer, like `torch.nn.CosineSimilarity`: `CosineSimilarity()(x1, x2)`.
public final class CosineSimilarity: Module {
    public let dim: Int, eps: Float
    public init(dim: Int = 1, eps: Float = 1e-8) {
        (self.dim, self.eps) = (dim, eps)
        super.init()
    }
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor { cosineSimilarity(x1, x2, dim: dim, eps: eps) }
    public override func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: CosineSimilarity takes two inputs: call it as similarity(x1, x2)")
    }
}

/// `pairwiseDistance` as a layer, like `torch.nn.PairwiseDistance`: `PairwiseDistance()(x1, x2)`.
public final class PairwiseDistance: Module {
    public let p: Float, eps: Float, keepdim: Bool
    public init(p: Float = 2, eps: Float = 1e-6, keepdim: Bool = false) {
        (self.p, self.eps, self.keepdim) = (p, eps, keepdim)
        super.init()
    }
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor) -> Tensor {
        pairwiseDistance(x1, x2, p: p, eps: eps, keepdim: keepdim)
    }
    public override func forward(_ x: Tensor) -> Tensor {
        fatalError("Ember: PairwiseDistance takes two inputs: call it as distance(x1, x2)")
    }
}

/// `cosineEmbeddingLoss` as a module: `CosineEmbeddingLoss(margin: 0.5)(x1, x2, y)`.
public final class CosineEmbeddingLoss {
    public let margin: Float, reduction: Reduction
    public init(margin: Float = 0, reduction: Reduction = .mean) { (self.margin, self.reduction) = (margin, reduction) }
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor, _ y: Tensor) -> Tensor {
        cosineEmbeddingLoss(x1, x2, y, margin: margin, reduction: reduction)
    }
}

/// `marginRankingLoss` as a module: `MarginRankingLoss(margin: 1)(x1, x2, y)`.
public final class MarginRankingLoss {
    public let margin: Float, reduction: Reduction
    public init(margin: Float = 0, reduction: Reduction = .mean) { (self.margin, self.reduction) = (margin, reduction) }
    public func callAsFunction(_ x1: Tensor, _ x2: Tensor, _ y: Tensor) -> Tensor {
        marginRankingLoss(x1, x2, y, margin: margin, reduction: reduction)
    }
}

/// `tripletMarginLoss` as a module: `TripletMarginLoss(margin: 1)(anchor, positive, negative)`.
public final class TripletMarginLoss {
    public let margin: Float, p: Float, eps: Float, swap: Bool, reduction: Reduction
    public init(margin: Float = 1, p: Float = 2, eps: Float = 1e-6, swap: Bool = false, reduction: Reduction = .mean) {
        (self.margin, self.p, self.eps, self.swap, self.reduction) = (margin, p, eps, swap, reduction)
    }
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        tripletMarginLoss(anchor: anchor, positive: positive, negative: negative, margin: margin, p: p, eps: eps,
                          swap: swap, reduction: reduction)
    }
}

/// `tripletMarginWithDistanceLoss` as a module, like `torch.nn.TripletMarginWithDistanceLoss`:
///
///     let loss = TripletMarginWithDistanceLoss(distanceFunction: { 1 - cosineSimilarity($0, $1) }, margin: 0.5)
public final class TripletMarginWithDistanceLoss {
    public let distanceFunction: ((Tensor, Tensor) -> Tensor)?, margin: Float, swap: Bool, reduction: Reduction
    public init(distanceFunction: ((Tensor, Tensor) -> Tensor)? = nil, margin: Float = 1, swap: Bool = false,
                reduction: Reduction = .mean) {
        precondition(margin > 0, "Ember: TripletMarginWithDistanceLoss: margin must be greater than 0, got \(margin)")
        (self.distanceFunction, self.margin, self.swap, self.reduction) = (distanceFunction, margin, swap, reduction)
    }
    public func callAsFunction(_ anchor: Tensor, _ positive: Tensor, _ negative: Tensor) -> Tensor {
        tripletMarginWithDistanceLoss(anchor: anchor, positive: positive, negative: negative,
                                      distanceFunction: distanceFunction, margin: margin, swap: swap, reduction: reduction)
    }
}
