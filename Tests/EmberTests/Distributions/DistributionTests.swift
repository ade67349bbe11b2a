import Foundation
import Testing
@testable import Ember

/// The distributions against torch.distributions (distributions.json, from
/// scripts/make_distribution_fixtures.py): densities, entropies, CDFs, KL divergences and their
/// gradients; and the statistics of their samples.
@Suite("Distributions")
struct DistributionTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("distributions.json") }

    func close(_ actual: Tensor, _ expected: Any?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(actual.toArray(), floats(expected), atol: 1e-5, rtol: 1e-4, what, sourceLocation: sourceLocation)
    }

    /// Backpropagates Σ value·w.
    func backward(_ value: Tensor, _ w: Any?) { (value * Tensor(floats(w), shape: value.shape)).sum().backward() }

    /// Checks log_prob and its gradients in every parameter (transforms' included), and the cdf.
    func check(_ name: String, _ c: [String: Any], _ parameters: [Tensor], _ distribution: any Distribution, _ x: Tensor) {
        let logProb = distribution.logProb(x)
        close(logProb, c["log_prob"], "\(name) log_prob")
        backward(logProb, c["w"])
        for (i, p) in parameters.enumerated() {
            close(p.grad ?? Tensor.zeros(p.shape), (c["grads"] as! [Any])[i], "\(name) log_prob gradient \(i)")
        }
        if c["cdf"] != nil {
            let cdf = (distribution as? any CumulativeDistribution)?.cdf(x)
            #expect(cdf != nil, "\(name) has no cdf")
            close(cdf ?? Tensor.zeros([0]), c["cdf"], "\(name) cdf")
        }
    }

    /// Checks the entropy of a distribution made afresh from the fixture's parameters, and its
    /// gradient in each of them.
    func checkEntropy(_ name: String, _ c: [String: Any], _ fresh: () -> [Tensor], _ make: ([Tensor]) -> any Distribution) {
        let parameters = fresh()
        let entropy = make(parameters).entropy()
        close(entropy, c["entropy"], "\(name) entropy")
        backward(entropy, c["entropy_w"])
        for (i, p) in parameters.enumerated() {
            close(p.grad ?? Tensor.zeros(p.shape), (c["entropy_grads"] as! [Any])[i], "\(name) entropy gradient \(i)")
        }
    }

    @Test func normalMatchesPyTorch() {
        let c = object(fixture["normal"])
        let loc = tensor(c["loc"], [3], requiresGrad: true), scale = tensor(c["scale"], [3], requiresGrad: true)
        let normal = Normal(loc: loc, scale: scale)
        let x = tensor(c["x"], [2, 3])
        let logProb = normal.logProb(x)
        close(logProb, c["log_prob"], "log_prob")
        backward(logProb, c["w"])
        close(loc.grad!, c["grad_loc"], "log_prob grad loc")
        close(scale.grad!, c["grad_scale"], "log_prob grad scale")
        close(normal.entropy(), c["entropy"], "entropy")
        close(normal.cdf(x), c["cdf"], "cdf")

        let (p, q) = (Normal(loc: loc.detach().requiringGrad(true), scale: scale.detach().requiringGrad(true)),
                      Normal(loc: tensor(c["q_loc"], [3], requiresGrad: true), scale: tensor(c["q_scale"], [3], requiresGrad: true)))
        let kl = klDivergence(p, q)
        close(kl, c["kl"], "kl")
        backward(kl, c["kl_w"])
        let expected = c["kl_grads"] as! [Any]
        for (i, parameter) in [p.loc, p.scale, q.loc, q.scale].enumerated() {
            close(parameter.grad!, expected[i], "kl grad \(i)")
        }
    }

    @Test func normalSamplesHaveItsMomentsAndCarryGradients() {
        let loc = Tensor([1, -2] as [Float], requiresGrad: true), scale = Tensor([0.5, 3] as [Float], requiresGrad: true)
        let normal = Normal(loc: loc, scale: scale)
        let draws = normal.rsample([20000], generator: RandomGenerator(seed: 3))
        #expect(draws.shape == [20000, 2])
        let mean = draws.mean(dims: [0]).toArray(), std = draws.detach().std(dims: [0]).toArray()
        #expect(Swift.abs(mean[0] - 1) < 0.02 && Swift.abs(mean[1] + 2) < 0.1, "sample means \(mean)")
        #expect(Swift.abs(std[0] - 0.5) < 0.02 && Swift.abs(std[1] - 3) < 0.1, "sample deviations \(std)")
        draws.sum().backward()
        #expect(loc.grad!.toArray() == [20000, 20000], "d Σ(loc + scale·ε) / d loc")
        // d/d scale is Σ ε = (Σ draws − n·loc) / scale.
        let noiseSums = (draws.detach().sum(dims: [0]) - loc.detach() * 20000) / scale.detach()
        expectClose(scale.grad!.toArray(), noiseSums.toArray(), atol: 0.5, "d/d scale")
        #expect(!normal.sample([3]).requiresGrad && normal.sample().shape == [2])
    }

    @Test func uniformMatchesPyTorch() {
        let c = object(fixture["uniform"])
        let low = tensor(c["low"], [3], requiresGrad: true), high = tensor(c["high"], [3], requiresGrad: true)
        let uniform = Uniform(low: low, high: high)
        let x = tensor(c["x"], [3])
        let logProb = uniform.logProb(x)
        close(logProb, c["log_prob"], "log_prob")
        backward(logProb, c["w"])
        close(low.grad!, c["grad_low"], "grad low")
        close(high.grad!, c["grad_high"], "grad high")
        close(uniform.entropy(), c["entropy"], "entropy")
        close(uniform.cdf(x), c["cdf"], "cdf")
        close(uniform.mean, c["mean"], "mean")
        close(uniform.variance, c["variance"], "variance")
        let wider = Uniform(low: low.detach() - 0.25, high: high.detach() + 1)
        close(klDivergence(uniform, wider), c["kl"], "kl")
        #expect(klDivergence(wider, uniform).toArray().allSatisfy { $0 == .infinity })
        #expect(uniform.logProb(high.detach() + 1).toArray().allSatisfy { $0 == -.infinity })
        let draws = uniform.sample([20000], generator: RandomGenerator(seed: 4))
        #expect(draws.shape == [20000, 3])
        #expect((draws - low.detach()).amin().item() >= 0 && (high.detach() - draws).amin().item() > 0)
        expectClose(draws.mean(dims: [0]).toArray(), uniform.mean.toArray(), atol: 0.02, "sample mean")
        expectClose(draws.std(dims: [0]).square().toArray(), uniform.variance.toArray(), atol: 0.01, "sample variance")
        // Scores of the samples (sample dims in front of the batch); the interval is half-open.
        #expect(uniform.logProb(draws).shape == [20000, 3] && uniform.logProb(draws).toArray().allSatisfy { $0.isFinite })
        #expect(uniform.logProb(low.detach()).toArray().allSatisfy { $0.isFinite })
        #expect(uniform.logProb(high.detach()).toArray().allSatisfy { $0 == -.infinity })
        #expect(uniform.logProb(Tensor([Float.nan, 0, 0])).toArray()[0] == -.infinity)
    }

    @Test func bernoulliMatchesPyTorchAndSamplesItsFrequency() {
        let c = object(fixture["bernoulli"])
        let logits = tensor(c["logits"], [4], requiresGrad: true)
        let bernoulli = Bernoulli(logits: logits)
        let y = tensor(c["y"], [4])
        close(bernoulli.logProb(y), c["log_prob"], "log_prob")
        close(bernoulli.entropy(), c["entropy"], "entropy")
        backward(bernoulli.logProb(y) + bernoulli.entropy(), c["w"])
        close(logits.grad!, c["grad"], "grad")
        let fromProbs = Bernoulli(probs: tensor(c["probs"], [4]))
        close(fromProbs.logProb(y), c["from_probs_log_prob"], "from probs")
        close(klDivergence(bernoulli, fromProbs), c["kl"], "kl")
        let edgeP = Bernoulli(probs: tensor(c["edge_p"], [5])), edgeQ = Bernoulli(probs: tensor(c["edge_q"], [5]))
        close(klDivergence(edgeP, edgeQ), c["edge_kl"], "kl at probabilities 0 and 1")
        close(edgeP.entropy(), c["edge_entropy"], "entropy at probabilities 0 and 1")
        #expect(edgeP.mean.toArray() == floats(c["edge_p"]), "mean keeps the exact probabilities")
        let draws = Bernoulli(probs: Tensor([0.2, 0.9] as [Float])).sample([20000], generator: RandomGenerator(seed: 5))
        #expect(draws.shape == [20000, 2] && draws.toArray().allSatisfy { $0 == 0 || $0 == 1 })
        let frequency = draws.mean(dims: [0]).toArray()
        #expect(Swift.abs(frequency[0] - 0.2) < 0.015 && Swift.abs(frequency[1] - 0.9) < 0.015, "\(frequency)")
    }

    @Test func categoricalMatchesPyTorchAndSamplesItsFrequencies() {
        let c = object(fixture["categorical"])
        let logits = tensor(c["logits"], [2, 5], requiresGrad: true)
        let categorical = Categorical(logits: logits)
        let k = Tensor(ints(c["k"]), shape: [3, 2])
        close(categorical.logProb(k), c["log_prob"], "log_prob")
        close(categorical.entropy(), c["entropy"], "entropy")
        backward(categorical.logProb(k).sum(dims: [0]) + categorical.entropy(), c["w"])
        close(logits.grad!, c["grad"], "grad")
        let fromProbs = Categorical(probs: tensor(c["probs"], [2, 5]))
        close(fromProbs.entropy(), c["probs_entropy"], "entropy with a class of probability 0")
        close(fromProbs.logProb(k), c["probs_log_prob"], "log_prob from probs")
        close(klDivergence(categorical, fromProbs), c["kl"], "kl")

        let weights = Categorical(probs: Tensor([[0.1, 0.6, 0.3], [1, 0, 0]] as [[Float]]))
        let draws = weights.sample([4000, 2], generator: RandomGenerator(seed: 6))
        #expect(draws.shape == [4000, 2, 2] && draws.dtype == .int64)
        let first = draws.select(-1, 0).reshape([-1]).bincount(minlength: 3).toArray().map { $0 / 8000 }
        #expect(Swift.abs(first[0] - 0.1) < 0.015 && Swift.abs(first[1] - 0.6) < 0.02, "\(first)")
        #expect(draws.select(-1, 1).toIntArray().allSatisfy { $0 == 0 })
    }

    @Test func multivariateNormalMatchesPyTorch() {
        let c = object(fixture["mvn"])
        let loc = tensor(c["loc"], [2, 3], requiresGrad: true), cov = tensor(c["cov"], [3, 3], requiresGrad: true)
        let mvn = MultivariateNormal(loc: loc, covarianceMatrix: cov)
        #expect(mvn.batchShape == [2] && mvn.eventShape == [3])
        let logProb = mvn.logProb(tensor(c["x"], [4, 2, 3]))
        close(logProb, c["log_prob"], "log_prob")
        backward(logProb, c["w"])
        close(loc.grad!, c["grad_loc"], "grad loc")
        close(cov.grad!, c["grad_cov"], "grad covariance")
        close(mvn.entropy(), c["entropy"], "entropy")
        close(mvn.variance, c["variance"], "variance")

        let (pLoc, pCov) = (loc.detach().requiringGrad(true), cov.detach().requiringGrad(true))
        let p = MultivariateNormal(loc: pLoc, covarianceMatrix: pCov)
        let (loc2, cov2) = (tensor(c["loc2"], [3], requiresGrad: true), tensor(c["cov2"], [3, 3], requiresGrad: true))
        let kl = klDivergence(p, MultivariateNormal(loc: loc2, covarianceMatrix: cov2))
        close(kl, c["kl"], "kl")
        backward(kl, c["kl_w"])
        let expected = c["kl_grads"] as! [Any]
        for (i, parameter) in [pLoc, pCov, loc2, cov2].enumerated() {
            close(parameter.grad!, expected[i], "kl grad \(i)")
        }

        // Samples have the mean and the covariance, and rsample's gradients reach both.
        expectClose(mvn.covarianceMatrix.select(0, 1).toArray(), cov.toArray(), atol: 1e-5, "L·Lᵀ")
        let draws = mvn.sample([20000], generator: RandomGenerator(seed: 7)).select(1, 0)
        expectClose(draws.mean(dims: [0]).toArray(), loc.detach().select(0, 0).toArray(), atol: 0.05, "sample mean")
        let centered = draws - draws.mean(dims: [0], keepdim: true)
        expectClose((centered.mT.matmul(centered) / 20000).toArray(), cov.toArray(), atol: 0.1, rtol: 0.05, "sample covariance")
        let (rLoc, rCov) = (loc.detach().requiringGrad(true), cov.detach().requiringGrad(true))
        MultivariateNormal(loc: rLoc, covarianceMatrix: rCov).rsample([5], generator: RandomGenerator(seed: 8)).sum().backward()
        #expect(rLoc.grad!.toArray().allSatisfy { $0 == 5 } && rCov.grad!.abs().sum().item() > 0)
    }

    /// Exponential, Laplace, Gamma, Beta and Poisson: log_prob with its parameter gradients, entropy
    /// with its gradients, mean, variance and cdf against torch.distributions, edge values included
    /// (x = 0 with α < 1 and α = 1, x = 0 under a rate of 0).
    @Test func moreDistributionsMatchPyTorch() {
        let makers: [(String, [Int], ([Tensor]) -> any Distribution)] = [
            ("exponential", [3], { Exponential(rate: $0[0]) }),
            ("laplace", [3], { Laplace(loc: $0[0], scale: $0[1]) }),
            ("gamma", [4], { Gamma(concentration: $0[0], rate: $0[1]) }),
            ("beta", [4], { Beta(concentration1: $0[0], concentration0: $0[1]) }),
            ("poisson", [4], { Poisson(rate: $0[0]) }),
            ("lognormal", [3], { LogNormal(loc: $0[0], scale: $0[1]) }),
            ("student_t", [4], { StudentT(df: $0[0], loc: $0[1], scale: $0[2]) }),
            ("geometric", [4], { Geometric(probs: $0[0]) }),
            ("binomial", [4], { Binomial(totalCount: 10, probs: $0[0]) }),
            ("cauchy", [3], { Cauchy(loc: $0[0], scale: $0[1]) }),
            ("half_normal", [3], { HalfNormal(scale: $0[0]) }),
            ("gumbel", [3], { Gumbel(loc: $0[0], scale: $0[1]) }),
            ("weibull", [4], { Weibull(scale: $0[0], concentration: $0[1]) }),
            ("chi2", [4], { Chi2(df: $0[0]) }),
            ("continuous_bernoulli", [4], { ContinuousBernoulli(probs: $0[0]) }),
            ("pareto", [4], { Pareto(scale: $0[0], alpha: $0[1]) }),
            ("kumaraswamy", [4], { Kumaraswamy(concentration1: $0[0], concentration0: $0[1]) }),
        ]
        for (name, shape, make) in makers {
            let c = object(fixture[name])
            let fresh = { (c["params"] as! [Any]).map { tensor($0, shape, requiresGrad: true) } }
            let parameters = fresh()
            let distribution = make(parameters)
            let x = tensor(c["x"], [floats(c["x"]).count / shape[0], shape[0]])
            check(name, c, parameters, distribution, x)
            close(distribution.mean, c["mean"], "\(name) mean")
            close(distribution.variance, c["variance"], "\(name) variance")
            if c["entropy"] != nil { checkEntropy(name, c, fresh, make) }
        }
    }

    /// A mixture of three diagonal Gaussians over 4-vectors, batch of 2: log_prob with gradients in
    /// the weights, means and scales, mean, variance, and Independent's entropy.
    @Test func gaussianMixtureMatchesPyTorch() {
        let c = object(fixture["mixture"])
        let logits = tensor(c["logits"], [2, 3], requiresGrad: true)
        let loc = tensor(c["loc"], [2, 3, 4], requiresGrad: true), scale = tensor(c["scale"], [2, 3, 4], requiresGrad: true)
        let components = Independent(Normal(loc: loc, scale: scale), 1)
        #expect(components.batchShape == [2, 3] && components.eventShape == [4])
        close(components.entropy(), c["independent_entropy"], "Independent entropy")
        let gmm = MixtureSameFamily(mixture: Categorical(logits: logits), component: components)
        #expect(gmm.batchShape == [2] && gmm.eventShape == [4])
        let logProb = gmm.logProb(tensor(c["x"], [5, 2, 4]))
        close(logProb, c["log_prob"], "log_prob")
        backward(logProb, c["w"])
        for (i, p) in [logits, loc, scale].enumerated() { close(p.grad!, (c["grads"] as! [Any])[i], "log_prob gradient \(i)") }
        close(gmm.mean, c["mean"], "mean")
        close(gmm.variance, c["variance"], "variance")
        // Draws: [n, 2, 4], their moments the mixture's.
        let draws = gmm.sample([20_000], generator: RandomGenerator(seed: 4))
        #expect(draws.shape == [20_000, 2, 4])
        expectClose(draws.mean(dims: [0]).toArray(), gmm.mean.toArray(), atol: 0.05, rtol: 0, "sample mean")
        expectClose(draws.variance(dims: [0]).toArray(), gmm.variance.toArray(), atol: 0, rtol: 0.06, "sample variance")
    }

    /// The new reparameterized families: draws whose moments (the median, for Cauchy) match, and
    /// gradients that reach the parameters.
    @Test func newFamiliesSampleTheirMoments() {
        let generator = RandomGenerator(seed: 12)
        let n = 40_000
        let gumbel = Gumbel(loc: 1, scale: 2), weibull = Weibull(scale: 1.5, concentration: 2), half = HalfNormal(scale: 0.7)
        for (name, distribution) in [("gumbel", gumbel), ("weibull", weibull), ("half normal", half)] as [(String, any ReparameterizedDistribution)] {
            let draws = distribution.rsample([n], generator: generator)
            expectClose([draws.mean().item()], distribution.mean.toArray(), atol: 0, rtol: 0.02, "\(name) mean")
            expectClose([draws.variance().item()], distribution.variance.toArray(), atol: 0, rtol: 0.05, "\(name) variance")
        }
        let cauchy = Cauchy(loc: 3, scale: 0.5).sample([n], generator: generator)
        let median = cauchy.sort(dim: 0).values[n / 2].item()
        #expect(Swift.abs(median - 3) < 0.03, "Cauchy median \(median)")
        let chi2 = Chi2(df: 5).sample([n], generator: generator)
        expectClose([chi2.mean().item(), chi2.variance().item()], [5, 10], atol: 0, rtol: 0.05, "chi2 moments")
        let scale = Tensor(Float(2), requiresGrad: true)
        Weibull(scale: scale, concentration: Tensor(Float(3))).rsample([100], generator: generator).sum().backward()
        #expect((scale.grad?.item() ?? 0) > 0)
    }

    /// Weibull at the edge of its support: a value below 0 scores −∞ without NaN in the gradients of
    /// the other values; x = 0 with k = 1 is the exponential density at 0; cdf(0) and a base of 0 in
    /// `pow` give the exponent a gradient of 0 (PyTorch's convention), not NaN.
    @Test func weibullEdgesKeepGradientsFinite() {
        let scale = Tensor(Float(1.5), requiresGrad: true), k = Tensor(Float(2), requiresGrad: true)
        let logProb = Weibull(scale: scale, concentration: k).logProb(Tensor([-0.5, 1, 2] as [Float]))
        #expect(logProb.toArray()[0] == -.infinity)
        logProb[1..<3].sum().backward()
        #expect(scale.grad!.item().isFinite && k.grad!.item().isFinite)
        expectClose(Weibull(scale: 2, concentration: 1).logProb(Tensor([0] as [Float])).toArray(), [-Foundation.log(Float(2))], atol: 1e-6, "x = 0, k = 1")
        let k2 = Tensor(Float(1.5), requiresGrad: true)
        let cdf = Weibull(scale: Tensor(Float(1)), concentration: k2).cdf(Tensor([-1, 0] as [Float]))
        #expect(cdf.toArray() == [0, 0])
        cdf.sum().backward()
        #expect(k2.grad!.item() == 0)
        let exponent = Tensor([0.5, 1.5] as [Float], requiresGrad: true)
        Tensor([0, 2] as [Float]).pow(exponent).sum().backward()
        expectClose(exponent.grad!.toArray(), [0, Foundation.pow(2, 1.5) * Foundation.log(2)], atol: 1e-6, "pow exponent gradient")
    }

    @Test func dirichletMatchesPyTorch() {
        let c = object(fixture["dirichlet"])
        let alpha = tensor(c["alpha"], [2, 3], requiresGrad: true)
        let dirichlet = Dirichlet(concentration: alpha)
        #expect(dirichlet.batchShape == [2] && dirichlet.eventShape == [3])
        let logProb = dirichlet.logProb(tensor(c["x"], [2, 2, 3]))
        close(logProb, c["log_prob"], "log_prob")
        backward(logProb, c["w"])
        close(alpha.grad!, c["grad"], "log_prob gradient")
        close(dirichlet.mean, c["mean"], "mean")
        close(dirichlet.variance, c["variance"], "variance")
        let again = tensor(c["alpha"], [2, 3], requiresGrad: true)
        let entropy = Dirichlet(concentration: again).entropy()
        close(entropy, c["entropy"], "entropy")
        backward(entropy, c["entropy_w"])
        close(again.grad!, c["entropy_grad"], "entropy gradient")
    }

    /// Binomials of different trial counts in one batch: each entropy sums over its own support
    /// (PyTorch's needs one count; the fixture has each from a distribution of its own).
    @Test func binomialEntropyOfMixedCounts() {
        let c = object(fixture["binomial_mixed"])
        let binomial = Binomial(totalCount: tensor(c["total_count"], [4]), probs: tensor(c["probs"], [4], requiresGrad: true))
        close(binomial.entropy(), c["entropy"], "entropy")
        let probs = tensor(c["probs"], [4], requiresGrad: true)
        let counts = tensor(c["total_count"], [4])
        Binomial(totalCount: counts, probs: probs).entropy().sum().backward()
        let numerical = numericalGradient(of: { Binomial(totalCount: counts, probs: $0).entropy().sum() }, at: probs.detach(), h: 1e-3)
        expectClose(probs.grad!.toArray(), numerical, atol: 2e-2, rtol: 2e-2, "entropy gradient")
    }

    @Test func klDivergencesOfEachFamilyMatchPyTorch() {
        let families: [(String, Int, ([Tensor], [Tensor]) -> Tensor)] = [
            ("exponential", 1, { klDivergence(Exponential(rate: $0[0]), Exponential(rate: $1[0])) }),
            ("laplace", 2, { klDivergence(Laplace(loc: $0[0], scale: $0[1]), Laplace(loc: $1[0], scale: $1[1])) }),
            ("lognormal", 2, { klDivergence(LogNormal(loc: $0[0], scale: $0[1]), LogNormal(loc: $1[0], scale: $1[1])) }),
            ("gamma", 2, { klDivergence(Gamma(concentration: $0[0], rate: $0[1]), Gamma(concentration: $1[0], rate: $1[1])) }),
            ("beta", 2, { klDivergence(Beta(concentration1: $0[0], concentration0: $0[1]),
                                       Beta(concentration1: $1[0], concentration0: $1[1])) }),
            ("dirichlet", 1, { klDivergence(Dirichlet(concentration: $0[0]), Dirichlet(concentration: $1[0])) }),
            ("poisson", 1, { klDivergence(Poisson(rate: $0[0]), Poisson(rate: $1[0])) }),
            ("geometric", 1, { klDivergence(Geometric(probs: $0[0]), Geometric(probs: $1[0])) }),
            ("binomial", 1, { klDivergence(Binomial(totalCount: 8, probs: $0[0]), Binomial(totalCount: 8, probs: $1[0])) }),
            ("gumbel", 2, { klDivergence(Gumbel(loc: $0[0], scale: $0[1]), Gumbel(loc: $1[0], scale: $1[1])) }),
            ("half_normal", 1, { klDivergence(HalfNormal(scale: $0[0]), HalfNormal(scale: $1[0])) }),
            ("cauchy", 2, { klDivergence(Cauchy(loc: $0[0], scale: $0[1]), Cauchy(loc: $1[0], scale: $1[1])) }),
            ("chi2", 1, { klDivergence(Chi2(df: $0[0]), Chi2(df: $1[0])) }),
            ("one_hot_categorical", 1, { klDivergence(OneHotCategorical(logits: $0[0]), OneHotCategorical(logits: $1[0])) }),
            ("independent_normal", 2, {
                klDivergence(Independent(Normal(loc: $0[0], scale: $0[1]), 1), Independent(Normal(loc: $1[0], scale: $1[1]), 1))
            }),
        ]
        for (name, count, kl) in families {
            let c = object(fixture["kl_" + name])
            let parameters = (c["params"] as! [Any]).map { tensor($0, ints(c["shape"]), requiresGrad: true) }
            let value = kl(Array(parameters[..<count]), Array(parameters[count...]))
            close(value, c["kl"], "\(name) kl")
            backward(value, c["w"])
            for (i, p) in parameters.enumerated() {
                close(p.grad ?? Tensor.zeros(p.shape), (c["grads"] as! [Any])[i], "\(name) kl gradient \(i)")
            }
        }
        // More trials in p than in q: outcomes q cannot give, so +∞ (PyTorch's too).
        let more = klDivergence(Binomial(totalCount: Tensor([5, 3] as [Float]), probs: Tensor([0.5, 0.5] as [Float])),
                                Binomial(totalCount: 3, probs: Tensor([0.5, 0.5] as [Float])))
        #expect(more.toArray()[0] == .infinity && Swift.abs(more.toArray()[1]) < 1e-6)
    }

    /// Where the formulas meet 0·∞ or lose digits: no NaN gradient, values to float precision, and
    /// the logits spellings agree with the probabilities'.
    @Test func edgesKeepTheirValuesAndGradients() {
        // Geometric: p = 1 scores k = 0 as log 1 with gradient 1 (PyTorch's); a tiny p keeps its digits.
        let sure = Tensor([1] as [Float], requiresGrad: true)
        let logProb = Geometric(probs: sure).logProb(Tensor([0] as [Float]))
        logProb.sum().backward()
        #expect(logProb.item() == 0 && sure.grad!.item() == 1)
        for p in [1e-4, 1e-5, 1e-7] {
            let k = 1 / p
            let expected = Float(Foundation.log(p) + k * Foundation.log1p(-p))
            let actual = Geometric(probs: Float(p)).logProb(Tensor([Float(k)])).item()
            #expect(Swift.abs(actual - expected) < 2e-6 * Swift.abs(expected), "geometric p = \(p): \(actual) vs \(expected)")
        }
        let logits = Tensor([-1.5, 0.3, 2] as [Float])
        let counts = Tensor([0, 2, 5] as [Float])
        expectClose(Geometric(logits: logits).logProb(counts).toArray(), Geometric(probs: logits.sigmoid()).logProb(counts).toArray())
        expectClose(Binomial(totalCount: 6, logits: logits).logProb(counts).toArray(),
                    Binomial(totalCount: 6, probs: logits.sigmoid()).logProb(counts).toArray(), atol: 1e-4)

        // StudentT: df = 2 has an infinite variance and finite gradients.
        let df = Tensor([2, 4] as [Float], requiresGrad: true), scale = Tensor([1, 1] as [Float], requiresGrad: true)
        let variance = StudentT(df: df, loc: Tensor.zeros([2]), scale: scale).variance
        #expect(variance.toArray() == [.infinity, 2])
        (variance * Tensor([0, 1] as [Float])).sum().backward()
        #expect(df.grad!.toArray() == [0, -0.5] && scale.grad!.toArray() == [0, 4])

        // Binomial KL with sure outcomes: Bin(8, 1) ‖ Bin(8, ½) is 8·log 2; the reverse +∞.
        let half = Binomial(totalCount: 8, probs: Tensor([0.5] as [Float]))
        let certain = Binomial(totalCount: 8, probs: Tensor([1] as [Float]))
        #expect(Swift.abs(klDivergence(certain, half).item() - 8 * Float(M_LN2)) < 1e-5)
        #expect(klDivergence(half, certain).item() == .infinity)
        // Poisson KL from a rate of 0 is q's rate (PyTorch's is NaN).
        #expect(klDivergence(Poisson(rate: Tensor([0] as [Float])), Poisson(rate: Tensor([2.5] as [Float]))).item() == 2.5)
    }

    /// Binomial draws against the exact probabilities (χ² over the outcomes with 5 or more expected),
    /// just above the 40 trials counted one by one, far above, and at tiny p.
    @Test func binomialDrawsFollowTheirProbabilities() {
        let generator = RandomGenerator(seed: 7)
        let n = 20_000
        for (trials, p) in [(41, 0.03), (41, 0.97), (1000, 0.5), (1000, 0.002), (12, 0.4)] {
            let draws = Binomial(totalCount: trials, probs: Tensor([Float(p)])).sample([n], generator: generator).toArray()
            var observed = [Int](repeating: 0, count: trials + 1)
            for d in draws { observed[Int(d)] += 1 }
            var chi2 = 0.0, cells = 0, tail = (expected: 0.0, observed: 0)
            for k in 0...trials {
                let logP = lgamma(Double(trials + 1)) - lgamma(Double(k + 1)) - lgamma(Double(trials - k + 1))
                    + Double(k) * Foundation.log(p) + Double(trials - k) * Foundation.log1p(-p)
                let expected = Foundation.exp(logP) * Double(n)
                if expected >= 5 {
                    chi2 += Foundation.pow(Double(observed[k]) - expected, 2) / expected
                    cells += 1
                } else {
                    tail.expected += expected
                    tail.observed += observed[k]
                }
            }
            if tail.expected >= 5 { chi2 += Foundation.pow(Double(tail.observed) - tail.expected, 2) / tail.expected; cells += 1 }
            // χ² with cells − 1 degrees of freedom: its mean plus five standard deviations.
            let dof = Double(cells - 1)
            #expect(chi2 < dof + 5 * (2 * dof).squareRoot(), "Binomial(\(trials), \(p)): χ² \(chi2) over \(cells) cells")
        }
        let rare = Binomial(totalCount: 10, probs: Tensor([1e-9] as [Float])).sample([100_000], generator: generator)
        #expect(rare.sum().item() <= 2)   // 10⁻³ successes expected; 24-bit uniforms gave about 60
        // StudentT with df ≤ 2 (no variance): a Cauchy's draws fall within one scale of the centre half the time.
        let cauchy = StudentT(df: 1, loc: 3, scale: 2).sample([40_000], generator: generator)
        let inside = ((cauchy - 3).abs() - 2).lt(0).mean().item()
        #expect(Swift.abs(inside - 0.5) < 0.01)
    }

    /// 40,000 draws of each have the distribution's mean (within 4 standard errors) and variance,
    /// over shape parameters on both sides of the samplers' branches (α < 1, rates below and above 10).
    @Test func moreSamplesHaveTheirMoments() {
        let generator = RandomGenerator(seed: 99)
        let distributions: [any Distribution] = [
            Exponential(rate: Tensor([0.5, 4] as [Float])),
            Laplace(loc: Tensor([1, -2] as [Float]), scale: Tensor([0.5, 2] as [Float])),
            Gamma(concentration: Tensor([0.3, 1, 4.5] as [Float]), rate: Tensor([1, 2, 0.5] as [Float])),
            Beta(concentration1: Tensor([0.5, 2] as [Float]), concentration0: Tensor([0.5, 5] as [Float])),
            Poisson(rate: Tensor([0.7, 6, 40, 900] as [Float])),
            LogNormal(loc: Tensor([0, 1] as [Float]), scale: Tensor([0.25, 0.5] as [Float])),
            StudentT(df: Tensor([5, 30] as [Float]), loc: Tensor([1, -1] as [Float]), scale: Tensor([2, 0.5] as [Float])),
            Geometric(probs: Tensor([0.1, 0.6, 1] as [Float])),
            // 7 trials counted one by one; 1000 and 10⁶ through Knuth's beta splits.
            Binomial(totalCount: Tensor([7, 1000, 1_000_000] as [Float]), probs: Tensor([0.3, 0.02, 0.6] as [Float])),
            Dirichlet(concentration: Tensor([0.5, 2, 7] as [Float])),
        ]
        let n = 40_000
        for d in distributions {
            let draws = d.sample([n], generator: generator)
            #expect(draws.shape == [n] + d.batchShape + d.eventShape)
            let mean = draws.mean(dim: 0).toArray(), variance = draws.variance(dim: 0).toArray()
            for (i, (m, v)) in zip(d.mean.toArray(), d.variance.toArray()).enumerated() {
                let standardError = (v / Float(n)).squareRoot()
                // (A variance of 0, Geometric(1)'s, leaves room for rounding only.)
                #expect(Swift.abs(mean[i] - m) <= Swift.max(4 * standardError, 1e-6 * Swift.abs(m)),
                        "\(type(of: d)) mean \(i): \(mean[i]) vs \(m)")
                // The sample variance's error grows with the kurtosis: Gamma(0.3)'s excess kurtosis is 20,
                // so its standard error is 2.3 % at this n; 12 % is 5 of them.
                #expect(Swift.abs(variance[i] - v) <= 0.12 * v, "\(type(of: d)) variance \(i): \(variance[i]) vs \(v)")
            }
        }
        // Shapes far below 1: draws stay positive (PyTorch clamps to the smallest normal float), so a
        // beta draw is never 0/0 and never exactly 0 or 1.
        let tiny = Gamma(concentration: 0.01, rate: 1).sample([4000], generator: generator).toArray()
        #expect(tiny.allSatisfy { $0 >= Float.leastNormalMagnitude })
        let ratios = Beta(concentration1: 0.01, concentration0: 0.01).sample([4000], generator: generator).toArray()
        #expect(ratios.allSatisfy { $0 > 0 && $0 < 1 })
        let counts = Poisson(rate: Tensor([3] as [Float])).sample([1000], generator: generator).toArray()
        #expect(counts.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        let rate = Tensor([2] as [Float], requiresGrad: true)
        Exponential(rate: rate).rsample([10], generator: generator).sum().backward()
        #expect(rate.grad != nil && rate.grad!.item() < 0)   // larger rates, shorter waits
    }

    /// Values the distribution never takes score −∞ (PyTorch's validation raises there).
    @Test func valuesOutsideTheSupportScoreMinusInfinity() {
        let below = Tensor([-1] as [Float])
        #expect(Exponential(rate: 2).logProb(below).item() == -.infinity)
        #expect(Gamma(concentration: 1, rate: 1).logProb(below).item() == -.infinity)
        #expect(Poisson(rate: 3).logProb(below).item() == -.infinity)
        #expect(Beta(concentration1: 2, concentration0: 2).logProb(Tensor([-0.5, 1.5] as [Float])).toArray()
            == [-.infinity, -.infinity])
        #expect(LogNormal(loc: 0, scale: 1).logProb(Tensor([0, -1] as [Float])).toArray() == [-.infinity, -.infinity])
        #expect(LogNormal(loc: 0, scale: 1).cdf(Tensor([0, -1] as [Float])).toArray() == [0, 0])
        #expect(Geometric(probs: 0.5).logProb(below).item() == -.infinity)
        #expect(Binomial(totalCount: 4, probs: Tensor([0.5] as [Float])).logProb(Tensor([-1, 5] as [Float])).toArray()
            == [-.infinity, -.infinity])
        #expect(Dirichlet(concentration: Tensor([2, 2] as [Float])).logProb(Tensor([-0.5, 1.5] as [Float])).item() == -.infinity)
        // A sure success: no failures, log 1.
        #expect(Geometric(probs: 1).logProb(Tensor([0, 2] as [Float])).toArray() == [0, -.infinity])
    }

    @Test func mismatchedParametersStopWithBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Normal(loc: Tensor.zeros([3]), scale: Tensor.ones([2]))
        }
        #expect(stderr(result).contains("Normal: parameters of shapes [[3], [2]] do not broadcast"))
        let classes = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Categorical(logits: Tensor.zeros([2, 3])).logProb(Tensor([1, 0] as [Float]))
        }
        #expect(stderr(classes).contains("Categorical.logProb: expected int64 class indices, got float32 of shape [2]"))
        let dimensions = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let p = MultivariateNormal(loc: Tensor.zeros([2]), scaleTril: Tensor.eye(2))
            _ = klDivergence(p, MultivariateNormal(loc: Tensor.zeros([3]), scaleTril: Tensor.eye(3)))
        }
        #expect(stderr(dimensions).contains("klDivergence: multivariate normals of dimensions 2 and 3"))
        let vectors = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MultivariateNormal(loc: Tensor.zeros([3]), scaleTril: Tensor.eye(3)).logProb(Tensor.zeros([4, 1]))
        }
        #expect(stderr(vectors).contains("MultivariateNormal.logProb: expected vectors [..., 3], got shape [4, 1]"))
        let fewer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = klDivergence(Binomial(totalCount: 2, probs: Tensor([0.5] as [Float])), Binomial(totalCount: 3, probs: Tensor([0.5] as [Float])))
        }
        #expect(stderr(fewer).contains("klDivergence: a binomial p with fewer trials than q has no closed form"))
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dirichlet(concentration: Tensor(2))
        }
        #expect(stderr(scalar).contains("Dirichlet: expected concentrations [..., K] with K ≥ 1, got shape []"))
        let event = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dirichlet(concentration: Tensor.ones([2, 3])).logProb(Tensor.ones([2, 1]))
        }
        #expect(stderr(event).contains("Dirichlet.logProb: expected vectors [..., 3], got shape [2, 1]"))
        let endless = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Binomial(totalCount: Tensor([Float.infinity]), probs: Tensor([0.5] as [Float])).entropy()
        }
        #expect(stderr(endless).contains("Binomial.entropy: trial counts must be finite, got inf"))
    }
}
