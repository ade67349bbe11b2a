"""Generates the PyTorch reference fixtures for Ember's element-wise math beyond the basics: the
inverse trigonometric and hyperbolic functions, log2/log10/exp2, lgamma/digamma/polygamma, frac, logit, sinc, deg2rad/rad2deg,
atan2, hypot, copysign, fmod, remainder, floor division, logaddexp(2), xlogy, the NaN and infinity
tests and nan_to_num. Forward values are PyTorch's float32 results on float32 inputs, edge values
(±0, ±1, ±∞, NaN, outside the domain) included; gradients are of Σ out·w in float32 at points
inside each function's domain.

    .venv-bench/bin/python scripts/make_math_fixtures.py

Writes Tests/EmberTests/Fixtures/math.json.
"""
import json
import math
import os

import torch

torch.manual_seed(6606)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "math.json")


def L(t):
    out = []
    for v in t.detach().reshape(-1).tolist():
        v = float(v)
        out.append("nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else v)))
    return out


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


def uniform(n, lo, hi):
    return torch.rand(n) * (hi - lo) + lo


EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.0, 1e-30, -1e-7, 3.0, 100.0, -100.0, 1e4,
         float("inf"), float("-inf"), float("nan")]

UNARY = {
    # name: (function, values for the forward check, range inside the domain for the gradient)
    "asin": (torch.asin, (-0.99, 0.99)),
    "acos": (torch.acos, (-0.99, 0.99)),
    "sinh": (torch.sinh, (-5.0, 5.0)),
    "cosh": (torch.cosh, (-5.0, 5.0)),
    "asinh": (torch.asinh, (-20.0, 20.0)),
    "acosh": (torch.acosh, (1.05, 20.0)),
    "atanh": (torch.atanh, (-0.99, 0.99)),
    "log2": (torch.log2, (0.05, 50.0)),
    "log10": (torch.log10, (0.05, 50.0)),
    "exp2": (torch.exp2, (-10.0, 10.0)),
    "frac": (torch.frac, (-7.0, 7.0)),
    "logit": (torch.logit, (0.02, 0.98)),
    "logit_eps": (lambda x: torch.logit(x, eps=0.1), (-0.5, 1.5)),
    "sinc": (torch.sinc, (-3.0, 3.0)),
    "deg2rad": (torch.deg2rad, (-400.0, 400.0)),
    "rad2deg": (torch.rad2deg, (-7.0, 7.0)),
    "lgamma": (torch.lgamma, (0.1, 20.0)),
    "digamma": (torch.digamma, (0.1, 20.0)),
    "polygamma1": (lambda x: torch.polygamma(1, x), (0.1, 10.0)),
    "polygamma3": (lambda x: torch.polygamma(3, x), (0.3, 10.0)),
    "nan_to_num": (torch.nan_to_num, (-3.0, 3.0)),
    "nan_to_num_values": (lambda x: torch.nan_to_num(x, nan=1.5, posinf=9.0, neginf=-8.0), (-3.0, 3.0)),
}

TESTS = {"isnan": torch.isnan, "isinf": torch.isinf, "isposinf": torch.isposinf, "isneginf": torch.isneginf,
         "isfinite": torch.isfinite}


# PyTorch's float32 polygamma is finite at the poles (trigamma(−1) comes out 1.3e15, not ∞) and NaN
# at ∞ for n ≥ 2 (not 0); Ember's, in double, gives the limits, so those edges are left out for it.
POLYGAMMA_EDGES = [1.0, -0.5, 0.5, 1.5, -2.5, 3.0, 100.0, 1e4, float("nan")]


def unary_case(name, fn, lo, hi):
    edges = POLYGAMMA_EDGES if name.startswith("polygamma") else EDGES
    x = torch.cat([f32(edges), uniform(150, lo * 1.2 - 0.5, hi * 1.2 + 0.5), uniform(40, -1.0, 1.0)])
    case = dict(x=L(x), out=L(fn(x)))
    g = uniform(64, lo, hi)
    if name.startswith("logit_eps"):
        g = torch.cat([g, f32([0.1, 0.9])])   # the clamp's bounds pass the gradient, as PyTorch's
    g.requires_grad_(True)
    out = fn(g)
    w = torch.randn(out.shape)
    (out * w).sum().backward()
    case.update(grad_x=L(g), w=L(w), grad=L(g.grad))
    return case


# Divisor pairs with every sign, zeros, exact multiples and large quotients.
def division_pairs():
    a = [5.5, -5.5, 5.5, -5.5, 6.0, -6.0, 0.0, -0.0, 1.0, -1.0, 0.3, -0.3, 1e10, -1e10, 7.0, float("inf"),
         float("nan"), 2.0, 0.0, -3.0]
    b = [2.0, 2.0, -2.0, -2.0, 3.0, 3.0, 2.5, 2.5, 0.0, 0.0, 0.1, 0.1, 3.0, 3.0, float("inf"), 2.0,
         1.0, float("nan"), -1.0, -0.75]
    ra, rb = uniform(120, -20, 20), uniform(120, -6, 6)
    return torch.cat([f32(a), ra]), torch.cat([f32(b), rb])


def binary_cases():
    cases = {}
    da, db = division_pairs()
    special = [0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), float("nan"), 2.5]
    sa = f32([x for x in special for _ in special])
    sb = f32([y for _ in special for y in special])
    for name, fn, a, b in [
        ("atan2", torch.atan2, sa, sb), ("hypot", torch.hypot, sa, sb), ("copysign", torch.copysign, sa, sb),
        ("logaddexp", torch.logaddexp, sa, sb), ("logaddexp2", torch.logaddexp2, sa, sb),
        ("xlogy", torch.xlogy, sa, sb),
        ("fmod", torch.fmod, da, db), ("remainder", torch.remainder, da, db),
        ("floor_divide", torch.floor_divide, da, db),
        ("div_trunc", lambda x, y: torch.div(x, y, rounding_mode="trunc"), da, db),
    ]:
        ra, rb = uniform(80, -30, 30), uniform(80, -30, 30)
        if name in ("hypot",):
            ra, rb = torch.cat([ra, f32([3e30, 1e-30])]), torch.cat([rb, f32([4e30, 1e-30])])
        if name in ("xlogy",):
            rb = rb.abs() + 0.01
        a2, b2 = torch.cat([a, ra]), torch.cat([b, rb])
        case = dict(a=L(a2), b=L(b2), out=L(fn(a2, b2)))
        # Gradients with broadcasting: a [6, 5] against b [5], away from kinks and zeros.
        ga = (uniform(30, 0.5, 4.0) * torch.where(torch.rand(30) < 0.5, -1.0, 1.0)).reshape(6, 5)
        gb = (uniform(5, 0.5, 4.0) * torch.where(torch.rand(5) < 0.5, -1.0, 1.0))
        if name == "xlogy":
            gb = gb.abs()
            ga = ga.clone()
            ga[0, 0] = 0.0
        ga.requires_grad_(name != "floor_divide")   # PyTorch defines no derivative for it
        gb.requires_grad_(name != "floor_divide")
        out = fn(ga, gb)
        w = torch.randn(out.shape)
        if out.requires_grad:
            (out * w).sum().backward()
        case.update(ga=L(ga), gb=L(gb), w=L(w), grad_a=L(ga.grad) if ga.grad is not None else [],
                    grad_b=L(gb.grad) if gb.grad is not None else [])
        cases[name] = case
    ia = torch.tensor([7, -7, 7, -7, 6, -6, 0, 13, -13, 1], dtype=torch.int64)
    ib = torch.tensor([2, 2, -2, -2, 3, 3, 5, 4, -4, 7], dtype=torch.int64)
    cases["int64"] = dict(a=ia.tolist(), b=ib.tolist(), fmod=torch.fmod(ia, ib).tolist(),
                          remainder=torch.remainder(ia, ib).tolist(), floor_divide=torch.floor_divide(ia, ib).tolist(),
                          div_trunc=torch.div(ia, ib, rounding_mode="trunc").tolist(),
                          fmod_scalar=torch.fmod(ia, 3).tolist(), remainder_scalar=torch.remainder(ia, 3).tolist())
    big = torch.tensor([-2**63, -2**63, 5, -5, 2**63 - 1], dtype=torch.int64)
    minus_one = torch.tensor([-1, 3, -1, -1, -1], dtype=torch.int64)
    # As strings: Foundation's JSON reader cannot read ±2⁶³ − 1 and −2⁶³ as integers.
    def S(t):
        return [str(v) for v in t.tolist()]

    cases["int64_overflow"] = dict(a=S(big), b=S(minus_one), fmod=S(torch.fmod(big, minus_one)),
                                   remainder=S(torch.remainder(big, minus_one)),
                                   floor_divide=S(torch.floor_divide(big, minus_one)))
    ints, other = torch.tensor([1, -3, 0, 4]), torch.tensor([2, 4, -5, 0])
    cases["promoted"] = dict(a=ints.tolist(), b=other.tolist(), atan2=L(torch.atan2(ints, other)),
                             hypot=L(torch.hypot(ints.float(), other.float())),
                             copysign=L(torch.copysign(ints, other)),
                             xlogy=L(torch.xlogy(ints, other.abs())), logaddexp=L(torch.logaddexp(ints.float(), other.float())),
                             isinf=torch.isinf(ints).float().tolist(), isfinite=torch.isfinite(ints).float().tolist(),
                             nan_to_num=torch.nan_to_num(ints).tolist())
    return cases


def edge_gradients():
    """Gradients where the formula has a special point: PyTorch's values, NaN and ±∞ included."""
    def grad1(fn, values):
        x = f32(values).requires_grad_(True)
        fn(x).sum().backward()
        return dict(x=L(x), grad=L(x.grad))

    def grad2(fn, a_values, b_values):
        a, b = f32(a_values).requires_grad_(True), f32(b_values).requires_grad_(True)
        fn(a, b).sum().backward()
        return dict(a=L(a), b=L(b), grad_a=L(a.grad), grad_b=L(b.grad))

    nan = float("nan")
    return dict(
        sinc=grad1(torch.sinc, [0.0, 1e-20, 1e-25, 1e-40, 1e-3, -2.0]),
        logit=grad1(torch.logit, [0.0, 1.0, 2.0, -0.5, 0.5, nan]),
        logit_eps=grad1(lambda x: torch.logit(x, eps=0.1), [0.0, 1.0, 0.1, 0.9, 0.05, nan]),
        copysign=grad2(torch.copysign, [0.0, -0.0, 2.0, -3.0], [-1.0, 1.0, -0.0, 2.0]),
        hypot=grad2(torch.hypot, [1e-39, 0.0, 3.0], [0.0, 0.0, 4.0]),
        div_trunc=grad2(lambda a, b: torch.div(a, b, rounding_mode="trunc"), [1.0, 3.0, float("inf"), 2.0],
                        [0.0, 1e-30, 2.0, 3.0]),
        fmod=grad2(torch.fmod, [5.5, -5.5, 1.0], [2.0, 2.0, 0.0]),
    )


def main():
    unary = {name: unary_case(name, fn, *rng) for name, (fn, rng) in UNARY.items()}
    x = torch.cat([f32(EDGES), uniform(20, -5, 5)])
    tests = dict(x=L(x), **{name: fn(x).float().tolist() for name, fn in TESTS.items()})
    with open(OUT, "w") as f:
        json.dump(dict(unary=unary, binary=binary_cases(), tests=tests, edge_gradients=edge_gradients()), f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
