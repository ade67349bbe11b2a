import Foundation
import Testing
@testable import Ember

/// rsample of Gamma, Chi2, Beta and Dirichlet: the implicit gradient of a gamma draw against PyTorch's
/// `_standard_gamma_grad`, and pathwise gradients whose averages are the derivatives of the
/// distributions' moments. More of the Distributions suite.
extension DistributionTests {
    @Test func gammaDrawGradientsMatchPyTorch() {
        let c = object(fixture["gamma_grad"])
        let (alphas, xs, pyTorch) = (floats(c["alpha"]), floats(c["x"]), floats(c["grad"]))
        let exact = (c["exact"] as! [Any]).map { ($0 as! NSNumber).doubleValue }
        for (i, (alpha, x)) in zip(alphas, xs).enumerated() {
            let ours = GammaReparameterization.gradient(alpha: Double(alpha), x: Double(x))
            // PyTorch's series and rational fits are off by up to 5e-4 relative in the far tails; the
            // derivative of torch.special's incomplete gamma (float64) is the exact reference.
            expectClose([Float(ours)], [pyTorch[i]], atol: 1e-7, rtol: 1e-3, "dx/dα at α = \(alpha), x = \(x) against PyTorch")
            #expect(Swift.abs(ours - exact[i]) <= 1e-12 + 1e-5 * Swift.abs(exact[i]), "dx/dα at α = \(alpha), x = \(x): \(ours) vs \(exact[i])")
        }
        // The incomplete gamma function itself: P(1, x) = 1 − e^−x, P(a, x) + Q(a, x) = 1.
        for x in [0.01, 0.5, 2, 9] as [Double] {
            #expect(Swift.abs(GammaReparameterization.regularizedGamma(1, x, upper: false) - (1 - Foundation.exp(-x))) < 1e-14)
            let (p, q) = (GammaReparameterization.regularizedGamma(3.5, x, upper: false), GammaReparameterization.regularizedGamma(3.5, x, upper: true))
            #expect(Swift.abs(p + q - 1) < 1e-14)
        }
    }

    /// The averages of pathwise gradients are the derivatives of the moments: d E[X]/dα = 1/β and
    /// d E[X²]/dα = (2α + 1)/β² for a gamma, with d E[X]/dβ = −α/β²; for a beta d E[X]/dα = β/(α + β)²;
    /// for a Dirichlet d E[X₀]/dα₀ = (S − α₀)/S².
    @Test func reparameterizedDrawsDifferentiateTheMoments() {
        let draws = 40_000
        for (a, b) in [(0.4, 2.0), (3.0, 0.5), (25.0, 1.0)] as [(Float, Float)] {
            let (alpha, rate) = (Tensor(a).requiringGrad(), Tensor(b).requiringGrad())
            let x = Gamma(concentration: alpha, rate: rate).rsample([draws], generator: RandomGenerator(seed: 21))
            x.mean().backward()
            expectClose([alpha.grad!.item(), rate.grad!.item()], [1 / b, -a / (b * b)], rtol: 0.05, "Gamma(\(a), \(b)) mean")
            let alpha2 = Tensor(a).requiringGrad()
            Gamma(concentration: alpha2, rate: Tensor(b)).rsample([draws], generator: RandomGenerator(seed: 22)).square().mean().backward()
            expectClose([alpha2.grad!.item()], [(2 * a + 1) / (b * b)], rtol: 0.05, "Gamma(\(a), \(b)) second moment")
        }
        let df = Tensor(Float(3)).requiringGrad()
        Chi2(df: df).rsample([draws], generator: RandomGenerator(seed: 23)).mean().backward()
        expectClose([df.grad!.item()], [1], rtol: 0.05, "Chi2 mean is df")
        let (c1, c0) = (Tensor(Float(2)).requiringGrad(), Tensor(Float(5)).requiringGrad())
        Beta(concentration1: c1, concentration0: c0).rsample([draws], generator: RandomGenerator(seed: 24)).mean().backward()
        expectClose([c1.grad!.item(), c0.grad!.item()], [5.0 / 49, -2.0 / 49], rtol: 0.05, "Beta mean")
        // Tiny concentrations, whose gamma draws underflow float32 almost half the time: drawn in logs,
        // their pathwise gradients still average to d E[X]/dα = β/(α + β)² = 25.
        let (t1, t0) = (Tensor(Float(0.01)).requiringGrad(), Tensor(Float(0.01)).requiringGrad())
        Beta(concentration1: t1, concentration0: t0).rsample([draws], generator: RandomGenerator(seed: 26)).mean().backward()
        expectClose([t1.grad!.item(), t0.grad!.item()], [25, -25], rtol: 0.15, "Beta(0.01, 0.01) mean")
        let alpha = Tensor([0.5, 2, 4] as [Float]).requiringGrad()
        let simplex = Dirichlet(concentration: alpha).rsample([draws], generator: RandomGenerator(seed: 25))
        expectClose(simplex.sum(dims: [1]).toArray(), [Float](repeating: 1, count: draws), atol: 1e-5, "on the simplex")
        simplex.select(1, 0).mean().backward()
        expectClose(alpha.grad!.toArray(), [6 / 42.25, -0.5 / 42.25, -0.5 / 42.25], atol: 0.004, "Dirichlet mean")
    }
}
