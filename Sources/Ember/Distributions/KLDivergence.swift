/// KL(p ‖ q) between two distributions of the same family, closed forms like
/// `torch.distributions.kl_divergence`: one value per batch entry, differentiable in both.
public func klDivergence(_ p: Normal, _ q: Normal) -> Tensor {
    let ratio = p.scale / q.scale
    let shift = (p.loc - q.loc) / q.scale
    return (ratio * ratio + shift * shift - 1) * 0.5 - ratio.log()
}

public func klDivergence(_ p: Bernoulli, _ q: Bernoulli) -> Tensor {
    // Σ over {0, 1} of p·(log p − log q), with log p = −softplus(−logits) and log(1 − p) = −softplus(logits).
    // As PyTorch: a term is +∞ where q gives its outcome probability 0, and nothing where p does.
    let ones = p.probs * ((-q.logits).softplus() - (-p.logits).softplus())
    let zeros = (1 - p.probs) * (q.logits.softplus() - p.logits.softplus())
    let (qp, pp) = (q.probs.detach(), p.probs.detach())
    let masks = noGrad { (qp.eq(0), pp.eq(0), qp.eq(1), pp.eq(1)) }
    return ones.maskedFill(masks.0, .infinity).maskedFill(masks.1, 0) + zeros.maskedFill(masks.2, .infinity).maskedFill(masks.3, 0)
}

public func klDivergence(_ p: Categorical, _ q: Categorical) -> Tensor {
    // As PyTorch: +∞ for a class q gives probability 0, nothing for a class p gives probability 0.
    let terms = p.probs * (p.logits - q.logits)
    let (qZero, pZero) = noGrad { (q.probs.detach().eq(0).expand(terms.shape), p.probs.detach().eq(0).expand(terms.shape)) }
    return terms.maskedFill(qZero, .infinity).maskedFill(pZero, 0).sum(dims: [-1])
}

public func klDivergence(_ p: Uniform, _ q: Uniform) -> Tensor {
    // log((q.high − q.low)/(p.high − p.low)) when p's support lies inside q's, +∞ otherwise.
    let outside = noGrad { q.low.detach().gt(p.low.detach()) + p.high.detach().gt(q.high.detach()) }.gt(0)
    return ((q.high - q.low).log() - (p.high - p.low).log()).maskedFill(outside, .infinity)
}

public func klDivergence(_ p: MultivariateNormal, _ q: MultivariateNormal) -> Tensor {
    // ½[tr(Σq⁻¹Σp) + (μq − μp)ᵀΣq⁻¹(μq − μp) − d + log det Σq − log det Σp], through Lq⁻¹Lp and Lq⁻¹(μq − μp).
    guard p.dimension == q.dimension else {
        shapeFailure(ShapeError("klDivergence: multivariate normals of dimensions \(p.dimension) and \(q.dimension)"))
    }
    let batch = checkShape { () throws(ShapeError) in try Shape.broadcast(p.batchShape, q.batchShape, op: "klDivergence") }
    let d = p.dimension
    let (lp, lq) = (p.scaleTril.expand(batch + [d, d]), q.scaleTril.expand(batch + [d, d]))
    let m = Linalg.solveTriangular(lq, lp, upper: false)
    let shift = Linalg.solveTriangular(lq, (q.loc - p.loc).expand(batch + [d]).unsqueeze(-1), upper: false).squeeze(-1)
    let trace = (m * m).sum(dims: [-2, -1])
    return (trace + (shift * shift).sum(dims: [-1]) - Float(d)) * 0.5 + q.halfLogDeterminant - p.halfLogDeterminant
}
