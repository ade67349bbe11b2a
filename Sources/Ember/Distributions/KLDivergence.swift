/// KL(p ‖ q) between two distributions of the same family, closed forms like
/// `torch.distributions.kl_divergence`: one value per batch entry, differentiable in both.
public func klDivergence<Family: KLDivergenceFamily>(_ p: Family, _ q: Family) -> Tensor { Family.divergence(p, q) }

/// A family with a closed-form KL divergence between two of its members: each family below, and
/// `Independent` wrappers of them (`klDivergence(Independent(Normal(...), 1), Independent(Normal(...), 1))`,
/// a VAE's KL term). Conform a distribution of your own to give it one.
public protocol KLDivergenceFamily: Distribution {
    /// KL(p ‖ q); call it as `klDivergence(p, q)`. (Named apart from the free function, so that code
    /// inside a conforming type still finds that one.)
    static func divergence(_ p: Self, _ q: Self) -> Tensor
}

extension Normal: KLDivergenceFamily {
    public static func divergence(_ p: Normal, _ q: Normal) -> Tensor {
        let ratio = p.scale / q.scale
        let shift = (p.loc - q.loc) / q.scale
        return (ratio * ratio + shift * shift - 1) * 0.5 - ratio.log()
    }
}

extension Bernoulli: KLDivergenceFamily {
    public static func divergence(_ p: Bernoulli, _ q: Bernoulli) -> Tensor {
        // Σ over {0, 1} of p·(log p − log q), with log p = −softplus(−logits) and log(1 − p) = −softplus(logits).
        // As PyTorch: a term is +∞ where q gives its outcome probability 0, and nothing where p does.
        let ones = p.probs * ((-q.logits).softplus() - (-p.logits).softplus())
        let zeros = (1 - p.probs) * (q.logits.softplus() - p.logits.softplus())
        let (qp, pp) = (q.probs.detach(), p.probs.detach())
        let masks = noGrad { (qp.eq(0), pp.eq(0), qp.eq(1), pp.eq(1)) }
        return ones.maskedFill(masks.0, .infinity).maskedFill(masks.1, 0) + zeros.maskedFill(masks.2, .infinity).maskedFill(masks.3, 0)
    }
}

extension Categorical: KLDivergenceFamily {
    public static func divergence(_ p: Categorical, _ q: Categorical) -> Tensor {
        // As PyTorch: +∞ for a class q gives probability 0, nothing for a class p gives probability 0.
        let terms = p.probs * (p.logits - q.logits)
        let (qZero, pZero) = noGrad { (q.probs.detach().eq(0).expand(terms.shape), p.probs.detach().eq(0).expand(terms.shape)) }
        return terms.maskedFill(qZero, .infinity).maskedFill(pZero, 0).sum(dims: [-1])
    }
}

extension Uniform: KLDivergenceFamily {
    public static func divergence(_ p: Uniform, _ q: Uniform) -> Tensor {
        // log((q.high − q.low)/(p.high − p.low)) when p's support lies inside q's, +∞ otherwise.
        let outside = noGrad { q.low.detach().gt(p.low.detach()) + p.high.detach().gt(q.high.detach()) }.gt(0)
        return ((q.high - q.low).log() - (p.high - p.low).log()).maskedFill(outside, .infinity)
    }
}

extension MultivariateNormal: KLDivergenceFamily {
    public static func divergence(_ p: MultivariateNormal, _ q: MultivariateNormal) -> Tensor {
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
}

extension Exponential: KLDivergenceFamily {
    public static func divergence(_ p: Exponential, _ q: Exponential) -> Tensor {
        // log(λp/λq) + λq/λp − 1.
        let ratio = q.rate / p.rate
        return ratio - ratio.log() - 1
    }
}

extension Laplace: KLDivergenceFamily {
    public static func divergence(_ p: Laplace, _ q: Laplace) -> Tensor {
        let ratio = p.scale / q.scale
        let distance = (p.loc - q.loc).abs()
        return -ratio.log() + distance / q.scale + ratio * (-distance / p.scale).exp() - 1
    }
}

extension LogNormal: KLDivergenceFamily {
    public static func divergence(_ p: LogNormal, _ q: LogNormal) -> Tensor {
        // exp is one-to-one: the divergence of the logs' normals.
        klDivergence(p.base, q.base)
    }
}

extension Gamma: KLDivergenceFamily {
    public static func divergence(_ p: Gamma, _ q: Gamma) -> Tensor {
        let (a, b, c, d) = (p.concentration, p.rate, q.concentration, q.rate)
        return c * (b / d).log() + c.lgamma() - a.lgamma() + (a - c) * a.digamma() + (d - b) * (a / b)
    }
}

extension Beta: KLDivergenceFamily {
    public static func divergence(_ p: Beta, _ q: Beta) -> Tensor {
        let (a1, b1, a2, b2) = (p.concentration1, p.concentration0, q.concentration1, q.concentration0)
        let (sum1, sum2) = (a1 + b1, a2 + b2)
        return a2.lgamma() + b2.lgamma() + sum1.lgamma() - a1.lgamma() - b1.lgamma() - sum2.lgamma()
            + (a1 - a2) * a1.digamma() + (b1 - b2) * b1.digamma() + (sum2 - sum1) * sum1.digamma()
    }
}

extension Dirichlet: KLDivergenceFamily {
    public static func divergence(_ p: Dirichlet, _ q: Dirichlet) -> Tensor {
        let (a, b) = (p.concentration, q.concentration)
        let sumA = a.sum(dims: [-1])
        return sumA.lgamma() - b.sum(dims: [-1]).lgamma() - (a.lgamma() - b.lgamma()).sum(dims: [-1])
            + ((a - b) * (a.digamma() - sumA.digamma().unsqueeze(-1))).sum(dims: [-1])
    }
}

extension Poisson: KLDivergenceFamily {
    public static func divergence(_ p: Poisson, _ q: Poisson) -> Tensor {
        // λp log(λp/λq) − (λp − λq), with 0·log 0 = 0: a rate of 0 in p diverges by λq (PyTorch's gives NaN).
        // The gradient in λp there is NaN, as the derivative log(λp/λq) is −∞.
        p.rate.xlogy(p.rate) - p.rate.xlogy(q.rate) - (p.rate - q.rate)
    }
}

extension Geometric: KLDivergenceFamily {
    public static func divergence(_ p: Geometric, _ q: Geometric) -> Tensor {
        -p.entropy() - (-q.probs).log1p() / p.probs - q.logits
    }
}

/// Between binomials of the same number of trials (PyTorch refuses fewer in p; more in p is +∞).
extension Binomial: KLDivergenceFamily {
    public static func divergence(_ p: Binomial, _ q: Binomial) -> Tensor {
        let counts = noGrad { (p.totalCount.detach(), q.totalCount.detach()) }
        precondition(noGrad { counts.0.lt(counts.1).amax().item() } == 0, "Ember: klDivergence: a binomial p with fewer "
            + "trials than q has no closed form (PyTorch raises NotImplementedError too)")
        // n times the Bernoulli divergence, whose sure outcomes (p or q of 0 or 1) score as they should
        // (PyTorch's formula gives −∞ or NaN there).
        let kl = p.totalCount * klDivergence(Bernoulli(probs: p.probs), Bernoulli(probs: q.probs))
        return kl.maskedFill(noGrad { counts.0.gt(counts.1) }, .infinity)
    }
}

extension Gumbel: KLDivergenceFamily {
    public static func divergence(_ p: Gumbel, _ q: Gumbel) -> Tensor {
        // log(βq/βp) + γ(βp/βq − 1) + (μp − μq)/βq + e^((μq − μp)/βq)·Γ(1 + βp/βq) − 1.
        let ratio = p.scale / q.scale
        let shift = (p.loc - q.loc) / q.scale
        return -ratio.log() + shift + ratio * eulerGamma + ((1 + ratio).lgamma() - shift).exp() - (1 + eulerGamma)
    }
}

extension HalfNormal: KLDivergenceFamily {
    public static func divergence(_ p: HalfNormal, _ q: HalfNormal) -> Tensor {
        // Folding both at 0 keeps the divergence of the normals they fold.
        klDivergence(Normal(loc: Tensor.zeros([], device: p.scale.device), scale: p.scale),
                           Normal(loc: Tensor.zeros([], device: q.scale.device), scale: q.scale))
    }
}

extension Cauchy: KLDivergenceFamily {
    public static func divergence(_ p: Cauchy, _ q: Cauchy) -> Tensor {
        // log(((γp + γq)² + (x₀p − x₀q)²) / (4γpγq)), Chyzak and Nielsen (2019).
        ((p.scale + q.scale).square() + (p.loc - q.loc).square()).log() - (p.scale * q.scale * 4).log()
    }
}

extension Chi2: KLDivergenceFamily {
    public static func divergence(_ p: Chi2, _ q: Chi2) -> Tensor { klDivergence(p.gamma, q.gamma) }
}

extension OneHotCategorical: KLDivergenceFamily {
    public static func divergence(_ p: OneHotCategorical, _ q: OneHotCategorical) -> Tensor {
        klDivergence(p.categorical, q.categorical)
    }
}

/// Between two `Independent` wrappers of the same family that reinterpret as many dims: the base's
/// divergence summed over those dims (PyTorch refuses different counts too).
extension Independent: KLDivergenceFamily where Base: KLDivergenceFamily {
    public static func divergence(_ p: Independent, _ q: Independent) -> Tensor {
        precondition(p.reinterpretedBatchDims == q.reinterpretedBatchDims, "Ember: klDivergence: Independent distributions that "
            + "reinterpret \(p.reinterpretedBatchDims) and \(q.reinterpretedBatchDims) batch dims have no closed form "
            + "(PyTorch raises NotImplementedError too)")
        return Base.divergence(p.base, q.base).sumRightmost(p.reinterpretedBatchDims)
    }
}
