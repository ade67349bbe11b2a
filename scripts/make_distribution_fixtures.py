"""Generates the PyTorch reference fixtures for Ember's distributions: log_prob, entropy, cdf, mean,
variance and kl_divergence of Normal, Uniform, Bernoulli, Categorical and MultivariateNormal, and
log_prob, entropy, mean, variance and cdf of Exponential, Laplace, Gamma, Beta, Poisson, LogNormal,
StudentT, Geometric, Binomial and Dirichlet with kl_divergence within each of those families, the same
scores of Cauchy, HalfNormal, Gumbel, Weibull and Chi2, a Gaussian mixture (MixtureSameFamily over
Independent Normals), TransformedDistribution through each transform, RelaxedBernoulli,
RelaxedOneHotCategorical, OneHotCategorical, NegativeBinomial and Multinomial, with gradients with
respect to the parameters; the gradient of gamma draws in their shape (_standard_gamma_grad); and
the KL divergences of Gumbel, HalfNormal, Cauchy, Chi2, OneHotCategorical and Independent normals;
ContinuousBernoulli, Pareto, Kumaraswamy and LowRankMultivariateNormal; the Bessel functions I₀, I₁ and
VonMises; a univariate Gaussian mixture's cdf.

    .venv-bench/bin/python scripts/make_distribution_fixtures.py

Writes Tests/EmberTests/Fixtures/distributions.json (references in float64 from float32 values).
"""
import json
import math
import os

import torch
from torch.distributions import (Bernoulli, Beta, Binomial, Categorical, Cauchy, Chi2, Dirichlet, Exponential, Gamma,
                                 Geometric, Gumbel, HalfNormal, Independent, Laplace, LogNormal, MixtureSameFamily,
                                 MultivariateNormal, Normal, Poisson, StudentT, Uniform, Weibull, kl_divergence)

torch.manual_seed(8642)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "distributions.json")


def L(t):
    """Values for JSON, infinities as "inf"/"-inf" and NaN as "nan"."""
    return ["nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else round(float(v), 8)
            for v in t.detach().reshape(-1).tolist()]


def leaf(t):
    return t.float().double().requires_grad_(True)


def grads(value, params):
    """The gradient of Σ value·w for a fixed float32 w, with respect to each parameter."""
    w = torch.randn(value.shape).double()
    g = torch.autograd.grad((value * w).sum(), params, allow_unused=True, retain_graph=True)
    return L(w), [L(x if x is not None else torch.zeros_like(p)) for x, p in zip(g, params)]


fixture = {}

loc, scale = leaf(torch.randn(3)), leaf(torch.rand(3) + 0.5)
x = torch.randn(2, 3).double()
n = Normal(loc, scale)
lp = n.log_prob(x)
w, (gl, gs) = grads(lp, [loc, scale])
q_loc, q_scale = leaf(torch.randn(3)), leaf(torch.rand(3) + 0.5)
kl = kl_divergence(n, Normal(q_loc, q_scale))
kw, (kgl, kgs, kgql, kgqs) = grads(kl, [loc, scale, q_loc, q_scale])
fixture["normal"] = dict(loc=L(loc), scale=L(scale), x=L(x), log_prob=L(lp), w=w, grad_loc=gl, grad_scale=gs,
                         entropy=L(n.entropy()), cdf=L(n.cdf(x)), q_loc=L(q_loc), q_scale=L(q_scale), kl=L(kl),
                         kl_w=kw, kl_grads=[kgl, kgs, kgql, kgqs])

low, high = leaf(torch.randn(3)), None
high = leaf(low.detach() + torch.rand(3) + 0.5)
u = Uniform(low, high, validate_args=False)
inside = low.detach() + (high.detach() - low.detach()) * torch.rand(3).double()
lp = u.log_prob(inside)
w, (gl, gh) = grads(lp, [low, high])
q = Uniform(low.detach() - 0.25, high.detach() + 1.0)
fixture["uniform"] = dict(low=L(low), high=L(high), x=L(inside), log_prob=L(lp), w=w, grad_low=gl, grad_high=gh,
                          entropy=L(u.entropy()), cdf=L(u.cdf(inside)), mean=L(u.mean), variance=L(u.variance),
                          kl=L(kl_divergence(u, q)))

logits = leaf(torch.randn(4))
b = Bernoulli(logits=logits, validate_args=False)   # soft labels are allowed, as in BCE
y = torch.tensor([1.0, 0.0, 1.0, 0.3], dtype=torch.float64)
lp = b.log_prob(y)
w, (gb,) = grads(lp + b.entropy(), [logits])
p = torch.rand(4).double() * 0.8 + 0.1
fixture["bernoulli"] = dict(logits=L(logits), y=L(y), log_prob=L(lp), entropy=L(b.entropy()), w=w, grad=gb,
                            probs=L(p), from_probs_log_prob=L(Bernoulli(probs=p, validate_args=False).log_prob(y)),
                            kl=L(kl_divergence(b, Bernoulli(probs=p))))
edge_p = torch.tensor([0.5, 0.0, 1.0, 0.3, 0.0], dtype=torch.float64)
edge_q = torch.tensor([0.0, 0.5, 0.5, 1.0, 0.0], dtype=torch.float64)
fixture["bernoulli"].update(edge_p=L(edge_p), edge_q=L(edge_q),
                            edge_kl=L(kl_divergence(Bernoulli(probs=edge_p), Bernoulli(probs=edge_q))),
                            edge_entropy=L(Bernoulli(probs=edge_p).entropy()))

logits = leaf(torch.randn(2, 5))
c = Categorical(logits=logits)
k = torch.tensor([[3, 0], [4, 4], [2, 2]])   # [3, 2]: a sample dim in front of the batch of 2
lp = c.log_prob(k)
w, (gc,) = grads(lp.sum(0) + c.entropy(), [logits])
probs = torch.rand(2, 5).double()
probs[0, 2] = 0.0   # a class of probability 0: no contribution to the entropy
cp = Categorical(probs=probs)
fixture["categorical"] = dict(logits=L(logits), k=L(k), log_prob=L(lp), entropy=L(c.entropy()), w=w, grad=gc,
                              probs=L(probs), probs_entropy=L(cp.entropy()),
                              # in float32: a class of probability 0 scores log ε of float32, as Ember's
                              probs_log_prob=L(Categorical(probs=probs.float()).log_prob(k)),
                              kl=L(kl_divergence(c, cp)))

loc = leaf(torch.randn(2, 3))
m = torch.randn(3, 3).double()
cov = leaf(m @ m.T + torch.eye(3, dtype=torch.float64))
mvn = MultivariateNormal(loc, covariance_matrix=cov)
x = torch.randn(4, 2, 3).double()
lp = mvn.log_prob(x)
w, (gl, gc) = grads(lp, [loc, cov])
m2 = torch.randn(3, 3).double()
cov2 = leaf(m2 @ m2.T + 0.5 * torch.eye(3, dtype=torch.float64))
loc2 = leaf(torch.randn(3))
kl = kl_divergence(mvn, MultivariateNormal(loc2, covariance_matrix=cov2))
kw, kg = grads(kl, [loc, cov, loc2, cov2])
fixture["mvn"] = dict(loc=L(loc), cov=L(cov), x=L(x), log_prob=L(lp), w=w, grad_loc=gl, grad_cov=gc,
                      entropy=L(mvn.entropy()), variance=L(mvn.variance), loc2=L(loc2), cov2=L(cov2), kl=L(kl),
                      kl_w=kw, kl_grads=kg)

# Exponential, Laplace, Gamma, Beta and Poisson (drawn after the others, so their values stay put):
# log_prob with parameter gradients, entropy, mean, variance and, where defined, cdf.
def scored(name, dist_fn, params, x, extra=()):
    dist = dist_fn(*params)
    lp = dist.log_prob(x)
    w, gs = grads(lp, list(params))
    case = dict(params=[L(p) for p in params], x=L(x), log_prob=L(lp), w=w, grads=gs, mean=L(dist.mean),
                variance=L(dist.variance))
    if name != "poisson":
        ent = dist.entropy()
        ew, egs = grads(ent, list(params))
        case.update(entropy=L(ent), entropy_w=ew, entropy_grads=egs)
    for e in extra:
        case[e] = L(getattr(dist, e)(x))
    fixture[name] = case


scored("exponential", Exponential, [leaf(torch.rand(3) * 2 + 0.2)], torch.rand(2, 3).double() * 3, ("cdf",))
scored("laplace", Laplace, [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3)], torch.randn(2, 3).double() * 2, ("cdf",))
scored("gamma", Gamma, [leaf(torch.tensor([0.5, 1.0, 2.5, 7.0])), leaf(torch.rand(4) * 2 + 0.3)],
       torch.cat([torch.rand(2, 4) * 4, torch.tensor([[0.0, 0.0, 1e-3, 20.0]])]).double())
scored("beta", Beta, [leaf(torch.tensor([0.5, 1.0, 2.0, 5.0])), leaf(torch.tensor([3.0, 1.0, 0.7, 5.0]))],
       torch.cat([torch.rand(2, 4) * 0.98 + 0.01, torch.tensor([[0.5, 0.0, 0.999, 0.25]])]).double())
scored("poisson", Poisson, [leaf(torch.tensor([0.5, 3.0, 12.0, 0.0]))],
       torch.tensor([[0.0, 2.0, 11.0, 0.0], [4.0, 0.0, 30.0, 0.0]]).double())

# LogNormal, StudentT, Geometric and Binomial scored the same way (drawn after the ones above, so those
# stay put); Dirichlet over an event dim; each family's KL divergence with gradients in both arguments.
scored("lognormal", lambda m, s: LogNormal(m, s, validate_args=False), [leaf(torch.randn(3) * 0.5), leaf(torch.rand(3) + 0.3)],
       torch.cat([torch.rand(2, 3) * 4 + 0.05, torch.tensor([[1e-3, 50.0, 1.0]])]).double(), ("cdf",))
scored("student_t", StudentT, [leaf(torch.tensor([0.8, 1.5, 3.0, 30.0])), leaf(torch.randn(4)), leaf(torch.rand(4) + 0.5)],
       torch.randn(2, 4).double() * 3)
scored("geometric", lambda p: Geometric(probs=p), [leaf(torch.tensor([0.2, 0.5, 0.9, 0.7]))],
       torch.tensor([[0.0, 3.0, 1.0, 0.0], [7.0, 0.0, 2.0, 11.0]]).double())
scored("binomial", lambda p: Binomial(total_count=10, probs=p), [leaf(torch.tensor([0.3, 0.5, 0.9, 0.05]))],
       torch.tensor([[0.0, 3.0, 10.0, 2.0], [5.0, 10.0, 9.0, 0.0]]).double())
counts = torch.tensor([5.0, 10.0, 1.0, 20.0], dtype=torch.float64)
mixed_p = torch.tensor([0.3, 0.5, 0.9, 0.05], dtype=torch.float64)
fixture["binomial_mixed"] = dict(total_count=L(counts), probs=L(mixed_p),
                                 entropy=[L(Binomial(total_count=int(n), probs=p).entropy())[0] for n, p in zip(counts, mixed_p)])

alpha = leaf(torch.tensor([[0.5, 1.0, 2.0], [3.0, 1.5, 4.0]]))
x = torch.distributions.Dirichlet(torch.ones(3)).sample((2, 2)).double()
x[0, 0] = torch.tensor([0.0, 0.25, 0.75], dtype=torch.float64)   # a zero entry where α = 1 scores finitely
dirichlet = Dirichlet(alpha)
lp = dirichlet.log_prob(x)
w, (g,) = grads(lp, [alpha])
ent = dirichlet.entropy()
ew, (eg,) = grads(ent, [alpha])
fixture["dirichlet"] = dict(alpha=L(alpha), x=L(x), log_prob=L(lp), w=w, grad=g, mean=L(dirichlet.mean),
                            variance=L(dirichlet.variance), entropy=L(ent), entropy_w=ew, entropy_grad=eg)


def kl_case(name, make, p_params, q_params, shape):
    params = p_params + q_params
    kl = kl_divergence(make(*p_params), make(*q_params))
    w, gs = grads(kl, params)
    fixture["kl_" + name] = dict(shape=shape, params=[L(p) for p in params], kl=L(kl), w=w, grads=gs)


pos = lambda: leaf(torch.rand(4) * 2 + 0.3)
kl_case("exponential", Exponential, [pos()], [pos()], [4])
kl_case("laplace", Laplace, [leaf(torch.randn(4)), pos()], [leaf(torch.randn(4)), pos()], [4])
kl_case("lognormal", LogNormal, [leaf(torch.randn(4)), pos()], [leaf(torch.randn(4)), pos()], [4])
kl_case("gamma", Gamma, [pos(), pos()], [pos(), pos()], [4])
kl_case("beta", Beta, [pos(), pos()], [pos(), pos()], [4])
kl_case("dirichlet", Dirichlet, [leaf(torch.rand(2, 3) * 3 + 0.2)], [leaf(torch.rand(2, 3) * 3 + 0.2)], [2, 3])
kl_case("poisson", Poisson, [pos()], [pos()], [4])
kl_case("geometric", lambda p: Geometric(probs=p), [leaf(torch.rand(4) * 0.8 + 0.1)], [leaf(torch.rand(4) * 0.8 + 0.1)], [4])
kl_case("binomial", lambda p: Binomial(total_count=8, probs=p), [leaf(torch.rand(4) * 0.8 + 0.1)],
        [leaf(torch.rand(4) * 0.8 + 0.1)], [4])

# Cauchy, HalfNormal, Gumbel, Weibull and Chi2 scored as above (drawn after everything before, so
# those values stay put); a mixture of diagonal Gaussians through Independent and MixtureSameFamily.
scored("cauchy", Cauchy, [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3)], torch.randn(2, 3).double() * 3, ("cdf",))
scored("half_normal", HalfNormal, [leaf(torch.rand(3) + 0.3)],
       torch.cat([torch.rand(2, 3) * 3, torch.tensor([[0.0, 1e-3, 5.0]])]).double(), ("cdf",))
scored("gumbel", Gumbel, [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3)], torch.randn(2, 3).double() * 2, ("cdf",))
scored("weibull", Weibull, [leaf(torch.rand(4) * 2 + 0.3), leaf(torch.tensor([0.5, 1.0, 1.5, 4.0]))],
       torch.rand(2, 4).double() * 3 + 0.01, ("cdf",))
scored("chi2", Chi2, [leaf(torch.tensor([1.0, 2.5, 4.0, 10.0]))], torch.rand(2, 4).double() * 8 + 0.05)

mix_logits = leaf(torch.randn(2, 3))
mix_loc = leaf(torch.randn(2, 3, 4))
mix_scale = leaf(torch.rand(2, 3, 4) + 0.4)
gmm = MixtureSameFamily(Categorical(logits=mix_logits), Independent(Normal(mix_loc, mix_scale), 1))
x = torch.randn(5, 2, 4).double()
lp = gmm.log_prob(x)
w, gs = grads(lp, [mix_logits, mix_loc, mix_scale])
fixture["mixture"] = dict(logits=L(mix_logits), loc=L(mix_loc), scale=L(mix_scale), x=L(x), log_prob=L(lp), w=w,
                          grads=gs, mean=L(gmm.mean), variance=L(gmm.variance),
                          independent_entropy=L(Independent(Normal(mix_loc, mix_scale), 1).entropy()))

# TransformedDistribution through each transform (drawn after everything above, so those stay put):
# log_prob with gradients in the base's and the transforms' parameters, and cdf (a negative affine
# scale flips it).
T = torch.distributions.transforms


def transformed_case(name, make, params, x, cdf=True):
    dist = make(*params)
    lp = dist.log_prob(x)
    w, gs = grads(lp, list(params))
    case = dict(params=[L(p) for p in params], x=L(x), log_prob=L(lp), w=w, grads=gs)
    if cdf:
        case["cdf"] = L(dist.cdf(x))
    fixture["transformed_" + name] = case


TD = torch.distributions.TransformedDistribution
transformed_case("tanh", lambda m, s: TD(Normal(m, s), [T.TanhTransform()]),
                 [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3)], torch.rand(2, 3).double() * 1.8 - 0.9)
transformed_case("affine_exp", lambda m, s, a, b: TD(Normal(m, s), [T.AffineTransform(a, b), T.ExpTransform()]),
                 [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3), leaf(torch.randn(3)), leaf(torch.tensor([0.5, -1.5, 2.0]))],
                 torch.rand(2, 3).double() * 3 + 0.05)
transformed_case("sigmoid", lambda m, s: TD(Normal(m, s), [T.SigmoidTransform()]),
                 [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3)], torch.rand(2, 3).double() * 0.98 + 0.01)
transformed_case("softplus_power", lambda r, e: TD(Exponential(r), [T.SoftplusTransform(), T.PowerTransform(e)]),
                 [leaf(torch.rand(3) + 0.5), leaf(torch.tensor([0.5, 2.0, -1.0]))], torch.rand(2, 3).double() * 2 + 0.2)
transformed_case("compose", lambda m, s, a, b: TD(Laplace(m, s), T.ComposeTransform([T.AffineTransform(a, b), T.SigmoidTransform()])),
                 [leaf(torch.randn(3)), leaf(torch.rand(3) + 0.3), leaf(torch.randn(3)), leaf(torch.tensor([-2.0, 0.7, 1.3]))],
                 torch.rand(2, 3).double() * 0.98 + 0.01)
transformed_case("squashed_policy", lambda m, s: TD(Independent(Normal(m, s), 1), [T.TanhTransform()]),
                 [leaf(torch.randn(2, 3)), leaf(torch.rand(2, 3) + 0.3)], torch.rand(4, 2, 3).double() * 1.8 - 0.9, cdf=False)

# The relaxed (Gumbel-softmax) distributions, one-hot categorical, negative binomial and multinomial.
from torch.distributions import (Multinomial, NegativeBinomial, OneHotCategorical, RelaxedBernoulli,
                                 RelaxedOneHotCategorical)
temperature = leaf(torch.tensor([0.5, 1.0, 2.0]))
rb_logits = leaf(torch.randn(3))
x = torch.rand(2, 3).double() * 0.98 + 0.01
rb = RelaxedBernoulli(temperature, logits=rb_logits)
lp = rb.log_prob(x)
w, gs = grads(lp, [temperature, rb_logits])
fixture["relaxed_bernoulli"] = dict(temperature=L(temperature), logits=L(rb_logits), x=L(x), log_prob=L(lp), w=w, grads=gs)

rc_temperature = leaf(torch.tensor(0.7))
rc_logits = leaf(torch.randn(2, 4))
x = torch.distributions.Dirichlet(torch.ones(4)).sample((3, 2)).double()
rc = RelaxedOneHotCategorical(rc_temperature, logits=rc_logits)
lp = rc.log_prob(x)
w, gs = grads(lp, [rc_temperature, rc_logits])
fixture["relaxed_one_hot"] = dict(temperature=L(rc_temperature), logits=L(rc_logits), x=L(x), log_prob=L(lp), w=w, grads=gs)

oh_logits = leaf(torch.randn(2, 4))
oh = OneHotCategorical(logits=oh_logits)
x = torch.nn.functional.one_hot(torch.tensor([[0, 3], [2, 2], [1, 0]]), 4).double()
lp = oh.log_prob(x)
w, gs = grads(lp, [oh_logits])
ent = oh.entropy()
ew, egs = grads(ent, [oh_logits])
fixture["one_hot_categorical"] = dict(logits=L(oh_logits), x=L(x), log_prob=L(lp), w=w, grads=gs, entropy=L(ent),
                                      entropy_w=ew, entropy_grads=egs, mean=L(oh.mean), variance=L(oh.variance))

nb_count = leaf(torch.tensor([1.0, 2.5, 4.0, 0.7]))
nb_logits = leaf(torch.tensor([-1.0, 0.3, 1.2, 0.0]))
x = torch.tensor([[0.0, 3.0, 1.0, 0.0], [7.0, 0.0, 12.0, 2.0]]).double()
nb = NegativeBinomial(nb_count, logits=nb_logits)
lp = nb.log_prob(x)
w, gs = grads(lp, [nb_count, nb_logits])
fixture["negative_binomial"] = dict(total_count=L(nb_count), logits=L(nb_logits), x=L(x), log_prob=L(lp), w=w, grads=gs,
                                    mean=L(nb.mean), variance=L(nb.variance), mode=L(nb.mode),
                                    probs_log_prob=L(NegativeBinomial(nb_count, probs=torch.sigmoid(nb_logits)).log_prob(x)))

mn_probs = leaf(torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]))
x = torch.tensor([[[2.0, 3.0, 1.0], [6.0, 0.0, 0.0]], [[0.0, 0.0, 6.0], [1.0, 4.0, 1.0]]]).double()
mn = Multinomial(6, probs=mn_probs)
lp = mn.log_prob(x)
w, gs = grads(lp, [mn_probs])
ent = mn.entropy()
ew, egs = grads(ent, [mn_probs])
fixture["multinomial"] = dict(probs=L(mn_probs), x=L(x), log_prob=L(lp), w=w, grads=gs, entropy=L(ent), entropy_w=ew,
                              entropy_grads=egs, mean=L(mn.mean), variance=L(mn.variance))

# The implicit reparameterization gradient of gamma draws, dx/dα, as PyTorch's _standard_gamma_grad
# gives it, on a grid of shapes and of draws around each shape's bulk (no random draws, so nothing
# above moves).
alphas, xs = [], []
for a in [0.05, 0.3, 1.0, 2.5, 7.0, 20.0, 150.0, 1e3, 1e5]:
    for f in [1e-6, 0.01, 0.3, 0.85, 0.95, 0.99, 1.0, 1.01, 1.05, 1.2, 2.0, 4.0]:
        x = a * f if a >= 1 else a * f * 5
        if (a - 1) * math.log(x) - x - math.lgamma(a) > -600:   # draws that can happen (a density above 1e-260)
            alphas.append(a)
            xs.append(x)
ga, gx = torch.tensor(alphas, dtype=torch.float64), torch.tensor(xs, dtype=torch.float64)


def implicit_grad(a, x):
    """dx/dα = −(∂P/∂α)/p in 40-digit arithmetic (mpmath, which comes with PyTorch through sympy): the
    exact values, against which PyTorch's approximation is off by up to 5e-4 relative in the far tails."""
    import mpmath
    mpmath.mp.dps = 40
    a, x = mpmath.mpf(a), mpmath.mpf(x)
    density = mpmath.exp((a - 1) * mpmath.log(x) - x - mpmath.loggamma(a))
    if x >= a + 1:   # the upper tail Q = 1 − P, which keeps its digits out there
        return float(mpmath.diff(lambda b: mpmath.gammainc(b, x, mpmath.inf, regularized=True), a) / density)
    return float(-mpmath.diff(lambda b: mpmath.gammainc(b, 0, x, regularized=True), a) / density)


fixture["gamma_grad"] = dict(alpha=L(ga), x=L(gx), grad=L(torch._standard_gamma_grad(ga, gx)),
                             exact=[implicit_grad(a, x) for a, x in zip(alphas, xs)])

# KL divergences of the later families (drawn after everything above, so those stay put), and between
# Independent wrappers of diagonal normals (a VAE's KL term).
from torch.distributions import OneHotCategorical as _OneHot
kl_case("gumbel", Gumbel, [leaf(torch.randn(4)), pos()], [leaf(torch.randn(4)), pos()], [4])
kl_case("half_normal", HalfNormal, [pos()], [pos()], [4])
kl_case("cauchy", Cauchy, [leaf(torch.randn(4)), pos()], [leaf(torch.randn(4)), pos()], [4])
kl_case("chi2", Chi2, [pos()], [pos()], [4])
kl_case("one_hot_categorical", lambda l: _OneHot(logits=l), [leaf(torch.randn(2, 4))], [leaf(torch.randn(2, 4))], [2, 4])
kl_case("independent_normal", lambda m, s: Independent(Normal(m, s), 1), [leaf(torch.randn(2, 3)), leaf(torch.rand(2, 3) + 0.3)],
        [leaf(torch.randn(2, 3)), leaf(torch.rand(2, 3) + 0.3)], [2, 3])

# ContinuousBernoulli (λ inside and outside the Taylor band around ½), Pareto and Kumaraswamy:
# log_prob with gradients, entropy with gradients, mean, variance, cdf (drawn after everything above).
from torch.distributions import ContinuousBernoulli, Kumaraswamy, Pareto
scored("continuous_bernoulli", lambda p: ContinuousBernoulli(probs=p), [leaf(torch.tensor([0.1, 0.4995, 0.7, 0.5003]))],
       torch.rand(2, 4).double(), ("cdf", "icdf"))
scored("pareto", Pareto, [leaf(torch.rand(4) + 0.5), leaf(torch.tensor([0.7, 1.5, 2.5, 4.0]))],
       torch.rand(2, 4).double() * 4 + 1.5, ("cdf",))
scored("kumaraswamy", Kumaraswamy, [leaf(torch.tensor([0.5, 1.0, 2.0, 5.0])), leaf(torch.tensor([3.0, 1.0, 0.7, 5.0]))],
       torch.rand(2, 4).double() * 0.88 + 0.1, ("cdf",))   # not nearer 0: 1 − x⁵ would round to 1 in float32

# LowRankMultivariateNormal over 3-vectors, rank 2, a batch of 2 (drawn after everything above): log_prob
# with gradients in loc, factor and diagonal, entropy with gradients, variance and covariance.
from torch.distributions import LowRankMultivariateNormal
lr_loc, lr_factor, lr_diag = leaf(torch.randn(2, 3)), leaf(torch.randn(2, 3, 2)), leaf(torch.rand(2, 3) + 0.3)
low_rank = LowRankMultivariateNormal(lr_loc, lr_factor, lr_diag)
x = torch.randn(4, 2, 3).double()
lp = low_rank.log_prob(x)
w, gs = grads(lp, [lr_loc, lr_factor, lr_diag])
ent = low_rank.entropy()
ew, egs = grads(ent, [lr_loc, lr_factor, lr_diag])
fixture["low_rank_mvn"] = dict(loc=L(lr_loc), factor=L(lr_factor), diag=L(lr_diag), x=L(x), log_prob=L(lp), w=w, grads=gs,
                               entropy=L(ent), entropy_w=ew, entropy_grads=egs, variance=L(low_rank.variance),
                               covariance=L(low_rank.covariance_matrix))

# The modified Bessel functions I₀, I₁ and their scaled forms with gradients (torch.special, float64),
# and VonMises: log_prob with gradients, variance (no random draws).
bx = leaf(torch.tensor([-40.0, -3.0, -0.5, 0.0, 1e-3, 0.7, 3.74, 3.76, 14.9, 15.1, 50.0, 80.0]))
fixture["bessel"] = dict(x=L(bx))
for name, fn in [("i0", torch.special.i0), ("i0e", torch.special.i0e), ("i1", torch.special.i1), ("i1e", torch.special.i1e)]:
    value = fn(bx)
    (grad,) = torch.autograd.grad(value.sum(), [bx])
    fixture["bessel"][name] = L(value)
    fixture["bessel"][name + "_grad"] = L(grad)
from torch.distributions import VonMises
vm_loc, vm_kappa = leaf(torch.tensor([0.0, 1.0, -2.0, 3.0])), leaf(torch.tensor([0.01, 1.0, 4.0, 60.0]))
x = torch.tensor([[0.1, 1.2, -2.5, 3.1], [-3.0, 0.0, 2.0, -3.1]]).double()
von_mises = VonMises(vm_loc, vm_kappa)
lp = von_mises.log_prob(x)
w, gs = grads(lp, [vm_loc, vm_kappa])
fixture["von_mises"] = dict(loc=L(vm_loc), kappa=L(vm_kappa), x=L(x), log_prob=L(lp), w=w, grads=gs, variance=L(von_mises.variance))

# The cdf of a mixture of univariate normals, with gradients in weights, means and scales (drawn after
# everything above).
mix1_logits, mix1_loc, mix1_scale = leaf(torch.randn(2, 3)), leaf(torch.randn(2, 3)), leaf(torch.rand(2, 3) + 0.4)
mixture1 = MixtureSameFamily(Categorical(logits=mix1_logits), Normal(mix1_loc, mix1_scale))
x = torch.randn(4, 2).double() * 1.5
cdf = mixture1.cdf(x)
w, gs = grads(cdf, [mix1_logits, mix1_loc, mix1_scale])
fixture["mixture_cdf"] = dict(logits=L(mix1_logits), loc=L(mix1_loc), scale=L(mix1_scale), x=L(x), cdf=L(cdf), w=w, grads=gs)

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", OUT)
