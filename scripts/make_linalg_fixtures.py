"""Generates the PyTorch reference fixtures for Ember's linear algebra (Linalg): inv, solve,
solve_triangular, det, slogdet, cholesky, eigh, qr, svd, lstsq, pinv, matrix_power and matrix_rank.

    .venv-bench/bin/python scripts/make_linalg_fixtures.py

Writes Tests/EmberTests/Fixtures/linalg.json. Inputs are float32 values; the references are computed
in float64 from them, so that Ember's float32 results are compared with the exact answer. Eigenvectors
and singular vectors have arbitrary signs, so their losses use squares (sign-free) and the vectors are
compared by absolute value.
"""
import json
import os

import torch

torch.manual_seed(1357)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "linalg.json")


def L(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def f32(*shape, scale=1.0):
    """A float32-representable input, as float64."""
    return (torch.randn(*shape) * scale).double()


def leaf(t):
    """A leaf of float32-representable values (products of float32 values are not), as float64."""
    return t.float().double().requires_grad_(True)


def integers(*shape):
    """Small integers: products of these are exact, so rank-deficient matrices stay exactly so."""
    return torch.randint(-3, 4, shape).double()


def case(inputs, outputs, grads, **extra):
    out = {k: L(v) for k, v in inputs.items()}
    out.update({k + "_shape": list(v.shape) for k, v in inputs.items()})
    out.update({k: L(v) for k, v in outputs.items()})
    out.update({k + "_shape": list(v.shape) for k, v in outputs.items()})
    out.update({"grad_" + k: L(v) for k, v in grads.items()})
    out.update(extra)
    return out


def well_conditioned(*shape):
    n = shape[-1]
    return f32(*shape) + n * torch.eye(n, dtype=torch.float64)


def weights_like(t):
    """A float32 upstream gradient / loss weight for t."""
    return f32(*t.shape)


fixture = {}

# inv: a single matrix and a batch.
cases = []
for shape in ([3, 3], [2, 4, 4]):
    a = leaf(well_conditioned(*shape))
    out = torch.linalg.inv(a)
    up = weights_like(out)
    (out * up).sum().backward()
    cases.append(case(dict(a=a, upstream=up), dict(out=out), dict(a=a.grad)))
fixture["inv"] = cases

# solve: broadcast batches, a vector right side, and X·A = B.
cases = []
for a_shape, b_shape, left in (([2, 3, 3], [3, 2], True), ([3, 3], [3], True), ([2, 4, 4], [2, 4], True),
                               ([3, 3], [2, 3], False)):
    a, b = leaf(well_conditioned(*a_shape)), leaf(f32(*b_shape))
    out = torch.linalg.solve(a, b, left=left)
    up = weights_like(out)
    (out * up).sum().backward()
    cases.append(case(dict(a=a, b=b, upstream=up), dict(out=out), dict(a=a.grad, b=b.grad), left=left))
fixture["solve"] = cases

# solve_triangular: only the named triangle of A is read (the other holds noise).
cases = []
for upper, left, unit in ((True, True, False), (False, False, True), (False, True, False)):
    a = leaf(well_conditioned(2, 4, 4))
    b = leaf(f32(2, 4, 3) if left else f32(2, 3, 4))
    out = torch.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit)
    up = weights_like(out)
    (out * up).sum().backward()
    cases.append(case(dict(a=a, b=b, upstream=up), dict(out=out), dict(a=a.grad, b=b.grad),
                      upper=upper, left=left, unitriangular=unit))
fixture["solve_triangular"] = cases

# det and slogdet: a batch holding a singular matrix of rank n−1 and one with a negative determinant.
m = f32(3, 3, 3)
m[1] = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.5, -1.0]], dtype=torch.float64)
m[2] = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25], [0.5, -0.75, 2.0]], dtype=torch.float64)
a = leaf(m)
out = torch.linalg.det(a)
up = weights_like(out)
(out * up).sum().backward()


def cofactors(x):
    """The cofactor matrix from the minors: det's gradient, singular or not."""
    n = x.shape[-1]
    c = torch.empty_like(x)
    for i in range(n):
        for j in range(n):
            rows = [r for r in range(n) if r != i]
            cols = [k for k in range(n) if k != j]
            c[i, j] = (-1) ** (i + j) * torch.linalg.det(x[rows][:, cols])
    return c


# PyTorch 2.15 gives a zero gradient at an exactly singular matrix, where finite differences give its
# cofactors (nonzero at rank n−1): the reference is the cofactors, checked against PyTorch elsewhere.
grad = torch.stack([u * cofactors(x) for u, x in zip(up, a.detach())])
assert torch.allclose(grad[[0, 2]], a.grad[[0, 2]])
fixture["det"] = case(dict(a=a, upstream=up), dict(out=out), dict(a=grad))

a = leaf(f32(2, 4, 4) + 0.5 * torch.eye(4, dtype=torch.float64))
sign, logabsdet = torch.linalg.slogdet(a)
up = weights_like(logabsdet)
(logabsdet * up).sum().backward()
fixture["slogdet"] = case(dict(a=a, upstream=up), dict(sign=sign, logabsdet=logabsdet), dict(a=a.grad))



def unread_noise(n, upper):
    """Noise for the triangle a factorization does not read (the strict upper one when it reads the lower)."""
    noise = f32(2, n, n)
    return noise.tril(-1) if upper else noise.triu(1)


# cholesky: lower and upper factors of symmetric positive-definite matrices, noise in the unread triangle.
cases = []
for upper in (False, True):
    q = f32(2, 4, 4)
    a = leaf(q @ q.mT + torch.eye(4, dtype=torch.float64) + unread_noise(4, upper))
    out = torch.linalg.cholesky(a, upper=upper)
    up = weights_like(out)
    (out * up).sum().backward()
    cases.append(case(dict(a=a, upstream=up), dict(out=out), dict(a=a.grad), upper=upper))
fixture["cholesky"] = cases

# eigh: a sign-free loss Σ w·λ + Σ c·V², reading the lower (or upper) triangle (noise in the other).
cases = []
for upper in (False, True):
    q = f32(2, 4, 4)
    a = leaf(q + q.mT + unread_noise(4, upper))
    values, vectors = torch.linalg.eigh(a, UPLO="U" if upper else "L")
    w, c = weights_like(values), weights_like(vectors)
    ((values * w).sum() + (vectors * vectors * c).sum()).backward()
    cases.append(case(dict(a=a, w=w, c=c), dict(values=values, abs_vectors=vectors.abs()), dict(a=a.grad),
                      upper=upper))
fixture["eigh"] = cases

# qr: tall, wide and batched; LAPACK's Householder signs are fixed, so Q and R compare directly.
cases = []
for shape in ([5, 3], [3, 5], [2, 4, 4]):
    a = leaf(f32(*shape))
    q, r = torch.linalg.qr(a)
    gq, gr = weights_like(q), weights_like(r)
    ((q * gq).sum() + (r * gr).sum()).backward()
    cases.append(case(dict(a=a, gq=gq, gr=gr), dict(q=q, r=r), dict(a=a.grad)))
fixture["qr"] = cases

# svd: a sign-free loss Σ w·S + Σ c₁·U² + Σ c₂·Vᵀ².
cases = []
for shape in ([4, 3], [3, 5], [2, 3, 3]):
    a = leaf(f32(*shape))
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    w, cu, cv = weights_like(s), weights_like(u), weights_like(vh)
    ((s * w).sum() + (u * u * cu).sum() + (vh * vh * cv).sum()).backward()
    cases.append(case(dict(a=a, w=w, cu=cu, cv=cv), dict(s=s, abs_u=u.abs(), abs_vh=vh.abs()), dict(a=a.grad)))
fixture["svd"] = cases

# lstsq: a tall system (least squares) and a wide one (least norm).
cases = []
for a_shape, b_shape in (([6, 3], [6, 2]), ([2, 4], [2])):
    a, b = leaf(f32(*a_shape)), leaf(f32(*b_shape))
    out = torch.linalg.lstsq(a, b).solution   # least squares when tall, least norm when wide
    up = weights_like(out)
    (out * up).sum().backward()
    cases.append(case(dict(a=a, b=b, upstream=up), dict(out=out), dict(a=a.grad, b=b.grad)))
fixture["lstsq"] = cases

# pinv: a full-rank tall matrix (with gradient) and a rank-deficient one (values only).
a = leaf(f32(5, 3))
out = torch.linalg.pinv(a)
up = weights_like(out)
(out * up).sum().backward()
deficient = integers(4, 2) @ integers(2, 5)
fixture["pinv"] = dict(full=case(dict(a=a, upstream=up), dict(out=out), dict(a=a.grad)),
                       deficient=case(dict(a=deficient), dict(out=torch.linalg.pinv(deficient)), {}))

# matrix_power: positive, negative and zero exponents.
cases = []
for exponent in (3, -2, 0):
    a = leaf(well_conditioned(2, 3, 3) / 3)
    out = torch.linalg.matrix_power(a, exponent)
    up = weights_like(out)
    (out * up).sum().backward()
    cases.append(case(dict(a=a, upstream=up), dict(out=out), dict(a=a.grad if a.grad is not None else torch.zeros_like(a)),
                      exponent=exponent))
fixture["matrix_power"] = cases

ranks = torch.stack([integers(4, 2) @ integers(2, 5), f32(4, 5), integers(4, 1) @ integers(1, 5)])
fixture["matrix_rank"] = dict(a=L(ranks), a_shape=list(ranks.shape), ranks=[int(r) for r in torch.linalg.matrix_rank(ranks)])

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", OUT)
