import Foundation

/// Gradients through gamma draws (implicit reparameterization, Figurnov et al. 2018), which give
/// `Gamma`, `Chi2`, `Beta` and `Dirichlet` their `rsample`, as PyTorch's `_standard_gamma_grad` does.
/// A draw x of Gamma(α, 1) moves with α so that its cdf stays put: dx/dα = −(∂P(α, x)/∂α) / p(x; α).
/// PyTorch approximates that by series and rational fits (off by up to 5e-4 relative in the far
/// tails); here ∂P/∂α is a central difference of the log of the regularized incomplete gamma function
/// in double precision, which the tests check against PyTorch's values and against torch.special's.
enum GammaReparameterization {
    /// dx/dα at a draw x of Gamma(α, 1).
    static func gradient(alpha: Double, x: Double) -> Double {
        guard alpha > 0, x > 0, x.isFinite else { return 0 }
        // The upper tail Q = 1 − P is the accurate one past x = α + 1; dQ/dα = −dP/dα.
        let upper = x >= alpha + 1
        // The tail's log is nearly linear in α (far from the bulk the tail itself changes by orders of
        // magnitude per unit of α), so its central difference is accurate to about 1e-9.
        let step = 1e-3 * Swift.min(alpha, 1)
        let tail = regularizedGamma(alpha, x, upper: upper)
        let logSlope = (Foundation.log(regularizedGamma(alpha + step, x, upper: upper))
            - Foundation.log(regularizedGamma(alpha - step, x, upper: upper))) / (2 * step)
        let logDensity = (alpha - 1) * Foundation.log(x) - x - Foundation.lgamma(alpha)
        // dP/dα = P·d log P/dα; the tail's derivative has the opposite sign.
        let result = (upper ? 1 : -1) * logSlope * Foundation.exp(Foundation.log(tail) - logDensity)
        return result.isFinite ? result : 0
    }

    /// P(a, x) = γ(a, x) / Γ(a), or Q(a, x) = 1 − P(a, x) with `upper`: by its power series below
    /// x = a + 1 and by Lentz's continued fraction above (Numerical Recipes, 6.2), each where it
    /// converges fast; the other tail is 1 minus it.
    static func regularizedGamma(_ a: Double, _ x: Double, upper: Bool) -> Double {
        let logPrefactor = a * Foundation.log(x) - x - Foundation.lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, n = a
            for _ in 0..<100_000 {
                n += 1
                term *= x / n
                sum += term
                if Swift.abs(term) < Swift.abs(sum) * 1e-16 { break }
            }
            let lower = sum * Foundation.exp(logPrefactor)
            return upper ? 1 - lower : lower
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, fraction = d
        for i in 1..<100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if Swift.abs(d) < tiny { d = tiny }
            c = b + an / c
            if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            fraction *= delta
            if Swift.abs(delta - 1) < 1e-16 { break }
        }
        let tail = Foundation.exp(logPrefactor) * fraction
        return upper ? tail : 1 - tail
    }

    /// Gamma(α, 1) draws of shape `shape` (α broadcast to it) whose gradient in α is the implicit one.
    static func standardGammaDraws(_ concentration: Tensor, shape: [Int], generator: RandomGenerator) -> Tensor {
        let alpha = concentration.expand(shape)
        let alphas = noGrad { alpha.detach().contiguous().toArray() }
        let draws = alphas.map { Swift.max(standardGamma($0, generator), Float.leastNormalMagnitude) }
        let slopes = zip(alphas, draws).map { Float(gradient(alpha: Double($0), x: Double($1))) }
        let device = concentration.device
        let slope = Tensor(slopes, shape: shape).to(device)
        return Tensor(draws, shape: shape).to(device).recording("standardGamma", inputs: [alpha]) { g in [g * slope] }
    }
}
