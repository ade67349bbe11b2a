import Foundation
import Testing
@testable import Ember

/// Transformed distributions and the families built on them or on Categorical (relaxed Bernoulli and
/// one-hot categorical, one-hot categorical, negative binomial, multinomial) against
/// torch.distributions (distributions.json), and the statistics of their samples: more of the
/// Distributions suite, with its fixture and helpers.
extension Normal {
    /// Code inside a distribution's own extension still calls the free `klDivergence` (the family
    /// requirement has another name).
    func divergenceFromStandard() -> Tensor { klDivergence(self, Normal(loc: 0, scale: 1)) }
}

extension DistributionTests {
    /// Normal through tanh, affine then exp (a negative scale flips the cdf), sigmoid; exponential
    /// through softplus then a power (a negative exponent); Laplace through a ComposeTransform; and a
    /// tanh-squashed diagonal Gaussian policy, whose log-Jacobian sums over the event.
    @Test func transformedDistributionsMatchPyTorch() {
        let makers: [(String, [Int], ([Tensor]) -> any Distribution)] = [
            ("tanh", [3], { TransformedDistribution(Normal(loc: $0[0], scale: $0[1]), TanhTransform()) }),
            ("affine_exp", [3], {
                TransformedDistribution(Normal(loc: $0[0], scale: $0[1]), [AffineTransform(loc: $0[2], scale: $0[3]), ExpTransform()])
            }),
            ("sigmoid", [3], { TransformedDistribution(Normal(loc: $0[0], scale: $0[1]), SigmoidTransform()) }),
            ("softplus_power", [3], {
                TransformedDistribution(Exponential(rate: $0[0]), [SoftplusTransform(), PowerTransform($0[1])])
            }),
            ("compose", [3], {
                TransformedDistribution(Laplace(loc: $0[0], scale: $0[1]),
                                        ComposeTransform([AffineTransform(loc: $0[2], scale: $0[3]), SigmoidTransform()]))
            }),
            ("squashed_policy", [2, 3], { TransformedDistribution(Independent(Normal(loc: $0[0], scale: $0[1]), 1), TanhTransform()) }),
        ]
        for (name, shape, make) in makers {
            let c = object(fixture["transformed_" + name])
            let parameters = (c["params"] as! [Any]).map { tensor($0, shape, requiresGrad: true) }
            let x = tensor(c["x"], [floats(c["x"]).count / Shape.count(shape)] + shape)
            check(name, c, parameters, make(parameters), x)
        }
    }

    /// A transformed distribution agrees with the closed forms it stands for: a normal through exp is
    /// the log-normal, through an affine map a normal of moved loc and scale.
    @Test func transformsReproduceClosedForms() {
        let (loc, scale) = (Tensor([0.3, -1, 2] as [Float]), Tensor([0.5, 1.5, 0.8] as [Float]))
        let x = Tensor([0.2, 1.7, 4] as [Float])
        let throughExp = TransformedDistribution(Normal(loc: loc, scale: scale), ExpTransform())
        expectClose(throughExp.logProb(x).toArray(), LogNormal(loc: loc, scale: scale).logProb(x).toArray(), "exp of a normal")
        expectClose(throughExp.cdf(x).toArray(), LogNormal(loc: loc, scale: scale).cdf(x).toArray(), "its cdf")
        let moved = TransformedDistribution(Normal(loc: loc, scale: scale), AffineTransform(loc: 1, scale: -2))
        let direct = Normal(loc: loc * -2 + 1, scale: scale * 2)
        expectClose(moved.logProb(x).toArray(), direct.logProb(x).toArray(), "affine map of a normal")
        expectClose(moved.cdf(x).toArray(), direct.cdf(x).toArray(), "its cdf, flipped by the negative scale")
        // Each transform's inverse undoes it, and its log-Jacobian is the log of a finite difference.
        let transforms: [(String, any DistributionTransform, Tensor)] = [
            ("exp", ExpTransform(), Tensor([-1, 0.5, 2] as [Float])),
            ("affine", AffineTransform(loc: 0.5, scale: -3), Tensor([-1, 0.5, 2] as [Float])),
            ("sigmoid", SigmoidTransform(), Tensor([-3, 0.5, 2] as [Float])),
            ("tanh", TanhTransform(), Tensor([-1, 0.25, 1.5] as [Float])),
            ("softplus", SoftplusTransform(), Tensor([-2, 0.5, 3] as [Float])),
            ("power", PowerTransform(-1.5), Tensor([0.5, 1, 2] as [Float])),
            ("compose", ComposeTransform([TanhTransform(), AffineTransform(loc: 2, scale: 3), ExpTransform()]),
             Tensor([-0.5, 0.1, 0.7] as [Float])),
        ]
        for (name, transform, x) in transforms {
            let y = transform(x)
            expectClose(transform.inverse(y).toArray(), x.toArray(), atol: 1e-4, "\(name) inverse")
            let h: Float = 1e-2
            let slope = (transform(x + h) - transform(x - h)) / (2 * h)
            expectClose(transform.logAbsDetJacobian(x, y).toArray(), slope.abs().log().toArray(), atol: 2e-3, rtol: 2e-3,
                        "\(name) log |Jacobian|")
        }
    }

    /// Transform parameters with batch dims of their own extend the batch, as in PyTorch (a scalar
    /// normal through an affine map with a loc of [3] is a batch of 3, drawn independently).
    @Test func transformParametersExtendTheBatch() {
        let shifted = TransformedDistribution(Normal(loc: 0, scale: 1), AffineTransform(loc: Tensor([0, 10, 20] as [Float]), scale: Tensor(Float(2))))
        #expect(shifted.batchShape == [3] && shifted.eventShape == [])
        let draws = shifted.rsample([4_000], generator: RandomGenerator(seed: 2))
        #expect(draws.shape == [4_000, 3])
        expectClose(draws.mean(dims: [0]).toArray(), [0, 10, 20], atol: 0.15, "each entry's own mean")
        let centered = draws - Tensor([0, 10, 20] as [Float])
        #expect(Swift.abs((centered.select(1, 0) * centered.select(1, 1)).mean().item()) < 0.3, "entries drawn independently")
        #expect(Independent(shifted, 1).eventShape == [3])
        let policy = TransformedDistribution(Independent(Normal(loc: Tensor.zeros([2, 3]), scale: Tensor.ones([2, 3])), 1),
                                             [TanhTransform(), AffineTransform(loc: Tensor.zeros([3]), scale: Tensor.ones([3]))])
        #expect(policy.batchShape == [2] && policy.eventShape == [3] && policy.sample([5]).shape == [5, 2, 3])
    }

    /// rsample carries gradients into the base's and the transforms' parameters, and its draws have
    /// the cdf's quantiles.
    @Test func reparameterizedDrawsFollowTheCDF() {
        let (loc, scale, shift) = (Tensor(Float(0.2)).requiringGrad(), Tensor(Float(0.7)).requiringGrad(), Tensor(Float(1)).requiringGrad())
        let squashed = TransformedDistribution(Normal(loc: loc, scale: scale), [TanhTransform(), AffineTransform(loc: shift, scale: Tensor(Float(2)))])
        let draws = squashed.rsample([20_000], generator: RandomGenerator(seed: 31))
        draws.mean().backward()
        #expect(loc.grad!.item() > 0 && scale.grad != nil && Swift.abs(shift.grad!.item() - 1) < 1e-5)
        let values = draws.detach().toArray().sorted()
        #expect(values.first! > -1 && values.last! < 3, "tanh keeps draws inside shift ± 2")
        for q in [0.1, 0.5, 0.9] as [Float] {
            let quantile = values[Int(q * Float(values.count))]
            expectClose(squashed.cdf(Tensor(quantile)).toArray(), [q], atol: 0.015, "cdf at the sample's \(q) quantile")
        }
    }

    /// The Gumbel-softmax families: PyTorch's log-densities with gradients in temperature and logits;
    /// draws inside the support with the frequencies of the distribution they relax.
    @Test func relaxedDistributionsMatchPyTorch() {
        let b = object(fixture["relaxed_bernoulli"])
        let (temperature, logits) = (tensor(b["temperature"], [3], requiresGrad: true), tensor(b["logits"], [3], requiresGrad: true))
        let bernoulli = RelaxedBernoulli(temperature: temperature, logits: logits)
        check("relaxed_bernoulli", b, [temperature, logits], bernoulli, tensor(b["x"], [2, 3]))

        let c = object(fixture["relaxed_one_hot"])
        let (t2, l2) = (tensor(c["temperature"], [], requiresGrad: true), tensor(c["logits"], [2, 4], requiresGrad: true))
        let relaxed = RelaxedOneHotCategorical(temperature: t2, logits: l2)
        #expect(relaxed.batchShape == [2] && relaxed.eventShape == [4])
        check("relaxed_one_hot", c, [t2, l2], relaxed, tensor(c["x"], [3, 2, 4]))

        // Cold draws are nearly one-hot, and pick each class about as often as the categorical does.
        let probs = Tensor([0.1, 0.6, 0.3] as [Float])
        let cold = RelaxedOneHotCategorical(temperature: Tensor(Float(0.1)), probs: probs).sample([20_000], generator: RandomGenerator(seed: 5))
        expectClose(cold.sum(dims: [1]).toArray(), [Float](repeating: 1, count: 20_000), atol: 1e-4, "on the simplex")
        #expect(cold.max(dim: 1).values.mean().item() > 0.95)
        expectClose(cold.argmax(dim: 1).oneHot(classes: 3).mean(dims: [0]).toArray(), probs.toArray(), atol: 0.015, "class frequencies")
        // Relaxed Bernoulli draws lie in (0, 1) and match its closed-form cdf.
        let gate = RelaxedBernoulli(temperature: Tensor(Float(0.5)), probs: Tensor(Float(0.3)))
        let draws = gate.sample([20_000], generator: RandomGenerator(seed: 6)).toArray().sorted()
        #expect(draws.first! > 0 && draws.last! < 1)
        for q in [0.2, 0.5, 0.8] as [Float] {
            expectClose(gate.cdf(Tensor(draws[Int(q * 20_000)])).toArray(), [q], atol: 0.015, "relaxed Bernoulli cdf at \(q)")
        }
        // 0 at and below the support, 1 at and above it, at any temperature.
        let edges = Tensor([-0.2, 0, 1, 1.5] as [Float])
        for t in [0.1, 0.5, 2] as [Float] {
            #expect(RelaxedBernoulli(temperature: Tensor(t), logits: Tensor(Float(0))).cdf(edges).toArray() == [0, 0, 1, 1])
        }
        let l3 = Tensor([0.5, -1, 2] as [Float]).requiringGrad()
        RelaxedOneHotCategorical(temperature: Tensor(Float(0.5)), logits: l3).rsample([4], generator: RandomGenerator(seed: 7))
            .select(1, 0).sum().backward()
        #expect(l3.grad!.abs().sum().item() > 0, "gradients reach the logits through rsample")
    }

    /// The continuous Bernoulli's inverse cdf against PyTorch, its draws' quantiles, and its gradient
    /// through rsample; Kumaraswamy's mode at its density's peak (PyTorch's formula gives NaN there);
    /// Pareto draws above the scale with its tail.
    @Test func continuousBernoulliParetoAndKumaraswamySample() {
        let c = object(fixture["continuous_bernoulli"])
        let bernoulli = ContinuousBernoulli(probs: tensor((c["params"] as! [Any])[0], [4]))
        let u = tensor(c["x"], [2, 4])
        close(bernoulli.icdf(u), c["icdf"], "continuous Bernoulli icdf")
        expectClose(bernoulli.cdf(bernoulli.icdf(u)).toArray(), u.toArray(), atol: 1e-5, "cdf undoes icdf")
        let lambda = Tensor([0.2, 0.8] as [Float]).requiringGrad()
        let draws = ContinuousBernoulli(probs: lambda).rsample([20_000], generator: RandomGenerator(seed: 41))
        expectClose(draws.mean(dims: [0]).toArray(), ContinuousBernoulli(probs: lambda.detach()).mean.toArray(), atol: 0.01, "sample mean")
        draws.mean(dims: [0]).sum().backward()
        #expect(lambda.grad!.toArray().allSatisfy { $0 > 0 }, "a larger λ moves draws up")

        let kumaraswamy = Kumaraswamy(concentration1: Tensor([2, 3] as [Float]), concentration0: Tensor([5, 2] as [Float]))
        expectClose(kumaraswamy.mode.toArray(), [1.0 / 3, 0.736806], atol: 1e-5, "mode")
        let grid = Tensor((1...9_999).map { Float($0) / 10_000 }).unsqueeze(1)
        let peaks = kumaraswamy.logProb(grid).argmax(dim: 0).toIntArray().map { Float($0 + 1) / 10_000 }
        expectClose(peaks, kumaraswamy.mode.toArray(), atol: 2e-4, "the density peaks at the mode")
        #expect(Kumaraswamy(concentration1: 0.5, concentration0: 2).mode.item().isNaN)

        // Outside the supports: −∞ densities, cdfs of 0 and 1, and finite gradients.
        let (a, b) = (Tensor(Float(2)).requiringGrad(), Tensor(Float(0.5)).requiringGrad())
        let edges = Kumaraswamy(concentration1: a, concentration0: b)
        let outside = Tensor([-0.5, 0, 1, 1.5] as [Float])
        #expect(edges.logProb(outside).toArray().allSatisfy { $0 == -.infinity })
        #expect(edges.cdf(outside).toArray() == [0, 0, 1, 1])
        edges.logProb(Tensor([0.3, 1.5] as [Float])).maskedFill(Tensor([0, 1] as [Float]), 0).sum().backward()
        #expect(a.grad!.item().isFinite && b.grad!.item().isFinite)
        let rounded = edges.rsample([100_000], generator: RandomGenerator(seed: 45))
        #expect(edges.logProb(rounded).toArray().allSatisfy { $0.isFinite }, "draws rounded to 1 are kept inside")
        let scale = Tensor(Float(2)).requiringGrad()
        let low = Pareto(scale: scale, alpha: Tensor(Float(3)))
        #expect(low.logProb(Tensor([-1, 0, 1] as [Float])).toArray().allSatisfy { $0 == -.infinity })
        #expect(low.cdf(Tensor([-1, 0, 1, 4] as [Float])).toArray() == [0, 0, 0, 0.875])
        low.logProb(Tensor([1, 3] as [Float])).maskedFill(Tensor([1, 0] as [Float]), 0).sum().backward()
        #expect(scale.grad!.item().isFinite)

        let pareto = Pareto(scale: 2, alpha: 3)
        #expect(pareto.mode.item() == 2 && pareto.batchShape == [] && pareto.eventShape == [])
        let tail = pareto.sample([40_000], generator: RandomGenerator(seed: 42)).toArray()
        #expect(tail.allSatisfy { $0 >= 2 })
        let beyond = Float(tail.filter { $0 > 4 }.count) / Float(tail.count)
        #expect(Swift.abs(beyond - 0.125) < 0.006, "P(X > 4) = (2/4)³, got \(beyond)")
    }

    /// A low-rank plus diagonal Gaussian: PyTorch's log-density and entropy with gradients in loc,
    /// factor and diagonal, and the full-covariance normal's values; draws with its covariance.
    @Test func lowRankMultivariateNormalMatchesPyTorch() {
        let c = object(fixture["low_rank_mvn"])
        let parameters = [tensor(c["loc"], [2, 3], requiresGrad: true), tensor(c["factor"], [2, 3, 2], requiresGrad: true),
                          tensor(c["diag"], [2, 3], requiresGrad: true)]
        let normal = LowRankMultivariateNormal(loc: parameters[0], covFactor: parameters[1], covDiag: parameters[2])
        #expect(normal.batchShape == [2] && normal.eventShape == [3] && normal.dimension == 3 && normal.rank == 2)
        check("low_rank_mvn", c, parameters, normal, tensor(c["x"], [4, 2, 3]))
        close(normal.variance, c["variance"], "variance")
        close(normal.covarianceMatrix, c["covariance"], "covariance")
        checkEntropy("low_rank_mvn", c, {
            [tensor(c["loc"], [2, 3], requiresGrad: true), tensor(c["factor"], [2, 3, 2], requiresGrad: true),
             tensor(c["diag"], [2, 3], requiresGrad: true)]
        }) { LowRankMultivariateNormal(loc: $0[0], covFactor: $0[1], covDiag: $0[2]) }
        // The same as the full-covariance normal, which factors the d×d matrix.
        let full = MultivariateNormal(loc: parameters[0].detach(), covarianceMatrix: normal.covarianceMatrix.detach())
        let x = tensor(c["x"], [4, 2, 3])
        close(full.logProb(x), c["log_prob"], "full covariance log_prob")
        // Draws of one distribution have its covariance.
        let one = LowRankMultivariateNormal(loc: Tensor.zeros([3]), covFactor: tensor(c["factor"], [2, 3, 2])[0],
                                            covDiag: tensor(c["diag"], [2, 3])[0])
        let draws = one.sample([40_000], generator: RandomGenerator(seed: 43))
        let empirical = draws.mT.matmul(draws) / 40_000
        expectClose(empirical.toArray(), one.covarianceMatrix.toArray(), atol: 0.08, rtol: 0.05, "sample covariance")
    }

    /// I₀, I₁ and their scaled forms with gradients against torch.special, across the series and the
    /// asymptotic ranges; VonMises against PyTorch, its entropy against the integral of −p·log p, and
    /// its draws' circular mean and mean resultant length I₁(κ)/I₀(κ).
    @Test func besselFunctionsAndVonMisesMatchPyTorch() {
        let b = object(fixture["bessel"])
        let count = floats(b["x"]).count
        let functions: [(String, (Tensor) -> Tensor)] = [("i0", { $0.i0() }), ("i0e", { $0.i0e() }), ("i1", { $0.i1() }), ("i1e", { $0.i1e() })]
        for (name, function) in functions {
            let x = tensor(b["x"], [count], requiresGrad: true)
            let y = function(x)
            expectClose(y.toArray(), floats(b[name]), atol: 1e-6, rtol: 1e-5, name)
            y.sum().backward()
            expectClose(x.grad!.toArray(), floats(b[name + "_grad"]), atol: 1e-6, rtol: 1e-5, "\(name) gradient")
        }
        let c = object(fixture["von_mises"])
        let (loc, kappa) = (tensor(c["loc"], [4], requiresGrad: true), tensor(c["kappa"], [4], requiresGrad: true))
        let vonMises = VonMises(loc: loc, concentration: kappa)
        let x = tensor(c["x"], [2, 4])
        let logProb = vonMises.logProb(x)
        close(logProb, c["log_prob"], "von Mises log_prob")
        backward(logProb, c["w"])
        close(loc.grad!, (c["grads"] as! [Any])[0], "von Mises loc gradient")
        close(kappa.grad!, (c["grads"] as! [Any])[1], "von Mises concentration gradient")
        close(vonMises.variance, c["variance"], "circular variance")
        // Entropy: −∫ p log p over one turn (a Riemann sum of 20,000 points is exact to 1e-6 for a smooth periodic density).
        let grid = Tensor((0..<20_000).map { Float($0) / 20_000 * 2 * Float.pi - Float.pi }).unsqueeze(1)
        let density = vonMises.logProb(grid).detach()
        let integral = -(density.exp() * density).sum(dims: [0]) * (2 * Float.pi / 20_000)
        expectClose(vonMises.entropy().detach().toArray(), integral.toArray(), atol: 1e-4, "entropy")
        // Draws: in [−π, π), centred on loc, with mean resultant length I₁/I₀.
        let centred = VonMises(loc: Tensor([2.5, -1] as [Float]), concentration: Tensor([0.5, 8] as [Float]))
        #expect(centred.mean.toArray() == [2.5, -1] && centred.mode.toArray() == [2.5, -1])
        let draws = centred.sample([40_000], generator: RandomGenerator(seed: 44))
        #expect(draws.toArray().allSatisfy { $0 >= -Float.pi && $0 < Float.pi })
        let resultant = (draws - Tensor([2.5, -1] as [Float])).cos().mean(dims: [0])
        expectClose(resultant.toArray(), (1 - centred.variance).toArray(), atol: 0.01, "mean resultant length")
        expectClose((draws - Tensor([2.5, -1] as [Float])).sin().mean(dims: [0]).toArray(), [0, 0], atol: 0.01, "centred on loc")
        // Large κ keeps its digits: 1 − I₁/I₀ = 1/(2κ) + 1/(8κ²) + …, and the entropy ½ log(2πe/κ) + …;
        // the sampler (normal there) ends; κ = 0 has a slope of cos(x − loc) (log I₀ is flat at 0).
        let tight = VonMises(loc: Tensor([0, 0] as [Float]), concentration: Tensor([1e6, 1e8] as [Float]))
        expectClose(tight.variance.toArray(), [5.000_001_25e-7, 5e-9], rtol: 1e-5, "variance at large κ")
        expectClose(tight.entropy().toArray(), [1e6, 1e8].map { Float(0.5 * Foundation.log(2 * Double.pi * M_E / $0)) }, atol: 1e-5,
                    "entropy at large κ")
        let pinned = tight.sample([1_000], generator: RandomGenerator(seed: 46))
        #expect(pinned.abs().amax(dims: [0]).toArray()[1] < 1e-3 && pinned.variance(dims: [0]).toArray()[0] < 2e-6)
        #expect(VonMises(loc: 1, concentration: .infinity).sample([3]).toArray() == [1, 1, 1])
        let flat = Tensor(Float(0)).requiringGrad()
        VonMises(loc: Tensor(Float(0.3)), concentration: flat).logProb(Tensor(Float(1.3))).backward()
        expectClose([flat.grad!.item()], [Float(Foundation.cos(1.0))], "slope in κ at κ = 0")
        // The variance's and entropy's gradients against central differences.
        for kappa in [0.3, 2, 40] as [Float] {
            let k = Tensor(kappa).requiringGrad()
            let (v, h) = (VonMises(loc: Tensor(Float(0)), concentration: k).variance, VonMises(loc: Tensor(Float(0)), concentration: k).entropy())
            (v + h * 10).backward()
            let step: Float = 1e-2
            let at = { (x: Float) -> Float in
                let d = VonMises(loc: 0, concentration: x)
                return d.variance.item() + d.entropy().item() * 10
            }
            expectClose([k.grad!.item()], [(at(kappa + step) - at(kappa - step)) / (2 * step)], atol: 2e-3, rtol: 2e-3, "gradient at κ = \(kappa)")
        }
    }

    /// A mixture of univariate normals is a CumulativeDistribution: Σ w_k·F_k(x), with gradients in the
    /// weights, means and scales. (A mixture of vector-valued components has no `cdf`: it does not compile.)
    @Test func mixtureCDFMatchesPyTorch() {
        let c = object(fixture["mixture_cdf"])
        let parameters = [tensor(c["logits"], [2, 3], requiresGrad: true), tensor(c["loc"], [2, 3], requiresGrad: true),
                          tensor(c["scale"], [2, 3], requiresGrad: true)]
        let mixture = MixtureSameFamily(mixture: Categorical(logits: parameters[0]), component: Normal(loc: parameters[1], scale: parameters[2]))
        let cdf = mixture.cdf(tensor(c["x"], [4, 2]))
        close(cdf, c["cdf"], "mixture cdf")
        backward(cdf, c["w"])
        for (i, p) in parameters.enumerated() { close(p.grad!, (c["grads"] as! [Any])[i], "mixture cdf gradient \(i)") }
    }

    @Test func oneHotCategoricalMatchesPyTorch() {
        let c = object(fixture["one_hot_categorical"])
        let logits = tensor(c["logits"], [2, 4], requiresGrad: true)
        let distribution = OneHotCategorical(logits: logits)
        check("one_hot_categorical", c, [logits], distribution, tensor(c["x"], [3, 2, 4]))
        close(distribution.mean, c["mean"], "mean")
        close(distribution.variance, c["variance"], "variance")
        checkEntropy("one_hot_categorical", c, { [tensor(c["logits"], [2, 4], requiresGrad: true)] }) { OneHotCategorical(logits: $0[0]) }
        let draws = OneHotCategorical(probs: Tensor([0.2, 0.8] as [Float])).sample([10_000], generator: RandomGenerator(seed: 3))
        #expect(draws.shape == [10_000, 2] && draws.sum(dims: [1]).toArray().allSatisfy { $0 == 1 })
        expectClose(draws.mean(dims: [0]).toArray(), [0.2, 0.8], atol: 0.015, "frequencies")
    }

    @Test func negativeBinomialMatchesPyTorch() {
        let c = object(fixture["negative_binomial"])
        let (count, logits) = (tensor(c["total_count"], [4], requiresGrad: true), tensor(c["logits"], [4], requiresGrad: true))
        let distribution = NegativeBinomial(totalCount: count, logits: logits)
        let x = tensor(c["x"], [2, 4])
        check("negative_binomial", c, [count, logits], distribution, x)
        close(distribution.mean, c["mean"], "mean")
        close(distribution.variance, c["variance"], "variance")
        close(distribution.mode, c["mode"], "mode")
        close(NegativeBinomial(totalCount: count.detach(), probs: logits.detach().sigmoid()).logProb(x), c["probs_log_prob"], "from probs")
        // Gamma–Poisson draws have its mean r·p/(1 − p) and variance r·p/(1 − p)².
        let drawn = NegativeBinomial(totalCount: Tensor(Float(3)), probs: Tensor(Float(0.4))).sample([40_000], generator: RandomGenerator(seed: 9))
        expectClose([drawn.mean().item(), drawn.variance().item()], [2, 10.0 / 3], rtol: 0.05, "sample moments")
        #expect(drawn.toArray().allSatisfy { $0 >= 0 && $0 == $0.rounded() })
    }

    @Test func multinomialMatchesPyTorch() {
        let c = object(fixture["multinomial"])
        let probs = tensor(c["probs"], [2, 3], requiresGrad: true)
        let distribution = Multinomial(totalCount: 6, probs: probs)
        #expect(distribution.batchShape == [2] && distribution.eventShape == [3])
        check("multinomial", c, [probs], distribution, tensor(c["x"], [2, 2, 3]))
        close(distribution.mean, c["mean"], "mean")
        close(distribution.variance, c["variance"], "variance")
        checkEntropy("multinomial", c, { [tensor(c["probs"], [2, 3], requiresGrad: true)] }) { Multinomial(totalCount: 6, probs: $0[0]) }
        let draws = Multinomial(totalCount: 10, probs: Tensor([0.5, 0.2, 0.3] as [Float])).sample([5_000, 2], generator: RandomGenerator(seed: 4))
        #expect(draws.shape == [5_000, 2, 3] && draws.sum(dims: [2]).toArray().allSatisfy { $0 == 10 })
        expectClose(draws.mean(dims: [0, 1]).toArray(), [5, 2, 3], atol: 0.08, "mean counts")
    }

    @Test func klDivergenceIsCallableInsideAFamily() {
        expectClose(Normal(loc: 1, scale: 1).divergenceFromStandard().toArray(), [0.5], "KL(N(1, 1) ‖ N(0, 1)) = ½")
    }

    @Test func missingClosedFormsAndBadShapesStopWithAMessage() async {
        let mean = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TransformedDistribution(Normal(loc: 0, scale: 1), ExpTransform()).mean
        }
        #expect(stderr(mean).contains("TransformedDistribution<Normal> has no closed-form mean (PyTorch raises NotImplementedError too); "
            + "estimate it from samples: sample([n]).mean(dims: [0])"))
        let mixture = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MixtureSameFamily(mixture: Categorical(logits: Tensor.zeros([2])), component: Normal(loc: Tensor.zeros([2]), scale: Tensor.ones([2])))
                .entropy()
        }
        #expect(stderr(mixture).contains("MixtureSameFamily has no closed-form entropy"))
        let components = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MixtureSameFamily(mixture: Categorical(logits: Tensor.zeros([3])), component: Normal(loc: Tensor.zeros([2]), scale: Tensor.ones([2])))
        }
        #expect(stderr(components).contains("MixtureSameFamily: the components' batch shape [2] must be the mixture's [] followed by its 3 classes"))
        let independent = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Independent(Normal(loc: Tensor.zeros([2]), scale: Tensor.ones([2])), 2)
        }
        #expect(stderr(independent).contains("Independent: cannot reinterpret 2 dims of the batch shape [2]"))
        let reinterpreted = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let normal = Normal(loc: Tensor.zeros([2, 3]), scale: Tensor.ones([2, 3]))
            _ = klDivergence(Independent(normal, 1), Independent(normal, 2))
        }
        #expect(stderr(reinterpreted).contains("klDivergence: Independent distributions that reinterpret 1 and 2 batch dims have no closed form"))
        let oneHot = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = OneHotCategorical(logits: Tensor.zeros([3])).logProb(Tensor([1] as [Int]))
        }
        #expect(stderr(oneHot).contains("OneHotCategorical.logProb: expected one-hot vectors [..., 3], got shape [1]"))
        let temperature = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RelaxedOneHotCategorical(temperature: Tensor.ones([3]), logits: Tensor.zeros([3]))
        }
        #expect(stderr(temperature).contains("ExpRelaxedCategorical: temperature of shape [3] must broadcast to the batch shape []"))
        let widened = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TransformedDistribution(Normal(loc: Tensor.zeros([1]), scale: Tensor.ones([1])), AffineTransform(loc: Tensor.zeros([3]), scale: Tensor(Float(1))))
        }
        #expect(stderr(widened).contains("TransformedDistribution: the transforms' parameters broadcast the base's batch and event shapes [1] and [] to [3]"))
        let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Multinomial(totalCount: -1, probs: Tensor.ones([3]))
        }
        #expect(stderr(negative).contains("Multinomial: totalCount must be 0 or more, got -1"))
        let lowRank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LowRankMultivariateNormal(loc: Tensor.zeros([3]), covFactor: Tensor.zeros([4, 2]), covDiag: Tensor.ones([3]))
        }
        #expect(stderr(lowRank).contains("LowRankMultivariateNormal: expected loc [..., d], covFactor [..., d, r] and covDiag [..., d], "
            + "got shapes [3], [4, 2] and [3]"))
        let lowRankValue = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LowRankMultivariateNormal(loc: Tensor.zeros([3]), covFactor: Tensor.zeros([3, 2]), covDiag: Tensor.ones([3])).logProb(Tensor.zeros([2]))
        }
        #expect(stderr(lowRankValue).contains("LowRankMultivariateNormal.logProb: expected vectors [..., 3], got shape [2]"))
        let bessel = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2] as [Int]).i0()
        }
        #expect(stderr(bessel).contains("Bessel functions: need a float32 tensor, got int64 of shape [2]"))
        let counts = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Multinomial(totalCount: 4, probs: Tensor.ones([3])).logProb(Tensor.ones([2]))
        }
        #expect(stderr(counts).contains("Multinomial.logProb: expected count vectors [..., 3], got shape [2]"))
    }
}
