import Foundation

/// Gradients through gamma draws (implicit reparameterization, Figurnov et al. 2018), which give
/// `Gamma`, `Chi2`, `Beta` and `Dirichlet` their `rsample`, as PyTorch's `_standard_gamma_grad` does.
/// A draw x of Gamma(α, 1) moves with α so that its cdf stays put: dx/dα = −(∂P(α, x)/∂α) / p(x; α).
///
/// Both tails of the regularized incomplete gamma function are e^(α log x − x − log Γ(α)) times a sum
/// S (the power series below x = α + 1) or a continued fraction F (above), so
///
///     d log x/dα = −(S·(log x − ψ(α)) + dS/dα)          below, with dS/dα summed term by term,
///     d log x/dα = F·(log x − ψ(α)) + dF/dα              above, divided by x·e^(…)/p(x) = 1 there,
///
/// (up to the common factor x·S or x·F); only the continued fraction's derivative is a central
/// difference, of a quantity of order 1. PyTorch approximates the same derivative by series and
/// rational fits, off by up to 5e-4 relative in the far tails. Draws are kept as logarithms, so that
/// α ≪ 1 (whose draws underflow float32 a third of the time at α = 0.01) keeps its values and gradients.
enum GammaReparameterization {
    /// d log x/dα at a draw x = e^logX of Gamma(α, 1).
    static func logGradient(alpha: Double, logX: Double) -> Double {
        guard alpha > 0, logX.isFinite else { return 0 }
        let x = Foundation.exp(logX)
        let psi = digamma(alpha)
        if x < alpha + 1 {
            // S = Σₖ xᵏ / (α(α+1)…(α+k)), dS/dα = −Σₖ tₖ·Σⱼ≤ₖ 1/(α+j).
            var term = 1 / alpha, harmonic = 1 / alpha
            var sum = term, derivative = -term * harmonic
            for k in 1..<1_000_000 {
                let next = alpha + Double(k)
                term *= x / next
                harmonic += 1 / next
                sum += term
                derivative -= term * harmonic
                if term < sum * 1e-17 && term * harmonic < Swift.abs(derivative) * 1e-17 { break }
            }
            // dx/dα = −(∂P/∂α)/p = −x·(S·(log x − ψ(α)) + dS/dα); divided by x.
            return -(sum * (logX - psi) + derivative)
        }
        // Q = e^(α log x − x − log Γ(α))·F, dx/dα = (∂Q/∂α)/p = x·(F·(log x − ψ(α)) + dF/dα).
        let step = 1e-4 * Swift.min(alpha, 1)
        let fraction = continuedFraction(alpha, x)
        let slope = (continuedFraction(alpha + step, x) - continuedFraction(alpha - step, x)) / (2 * step)
        return fraction * (logX - psi) + slope
    }

    /// dx/dα at a draw x of Gamma(α, 1).
    static func gradient(alpha: Double, x: Double) -> Double {
        guard x > 0 else { return 0 }
        return x * logGradient(alpha: alpha, logX: Foundation.log(x))
    }

    /// Lentz's evaluation of the continued fraction F with Q(a, x) = e^(a log x − x − log Γ(a))·F
    /// (Numerical Recipes, 6.2), for x ≥ a + 1 where it converges fast.
    static func continuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, fraction = d
        for i in 1..<1_000_000 {
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
        return fraction
    }

    /// P(a, x), or Q(a, x) = 1 − P(a, x) with `upper`: the series below x = a + 1, the continued
    /// fraction above, each where it converges fast; the other tail is 1 minus it.
    static func regularizedGamma(_ a: Double, _ x: Double, upper: Bool) -> Double {
        let logPrefactor = a * Foundation.log(x) - x - Foundation.lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, n = a
            for _ in 0..<1_000_000 {
                n += 1
                term *= x / n
                sum += term
                if term < sum * 1e-17 { break }
            }
            let lower = sum * Foundation.exp(logPrefactor)
            return upper ? 1 - lower : lower
        }
        let tail = Foundation.exp(logPrefactor) * continuedFraction(a, x)
        return upper ? tail : 1 - tail
    }

    /// log of a Gamma(α, 1) draw, in double precision: for α < 1 a draw at α + 1 times u^(1/α), whose
    /// log does not underflow however small α is.
    static func logStandardGamma(_ alpha: Float, _ generator: RandomGenerator) -> Double {
        guard alpha > 0 else { return alpha == 0 ? -.infinity : .nan }
        guard alpha < 1 else { return Foundation.log(Double(Swift.max(standardGamma(alpha, generator), Float.leastNonzeroMagnitude))) }
        let u = Swift.max(Double(generator.nextFloat()), Double.leastNormalMagnitude)
        return Foundation.log(Double(standardGamma(alpha + 1, generator))) + Foundation.log(u) / Double(alpha)
    }

    /// logs of Gamma(α, 1) draws of shape `shape` (α broadcast to it) whose gradient in α is the
    /// implicit one (computed only when α needs a gradient).
    static func logStandardGammaDraws(_ concentration: Tensor, shape: [Int], generator: RandomGenerator) -> Tensor {
        let alpha = concentration.expand(shape)
        let alphas = noGrad { alpha.detach().contiguous().toArray() }
        let logs = alphas.map { logStandardGamma($0, generator) }
        let device = concentration.device
        let drawn = Tensor(logs.map { Float($0) }, shape: shape).to(device)
        guard GradMode.isEnabled && concentration.requiresGrad else { return drawn }
        let slopes = zip(alphas, logs).map { Float(logGradient(alpha: Double($0), logX: $1)) }
        let slope = Tensor(slopes, shape: shape).to(device)
        return drawn.recording("standardGamma", inputs: [alpha]) { g in [g * slope] }
    }
}
