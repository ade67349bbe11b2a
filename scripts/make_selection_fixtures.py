"""Generates the PyTorch reference fixtures for the value-dependent selection ops: nonzero,
masked_select, unique, bincount and median.

    .venv-bench/bin/python scripts/make_selection_fixtures.py

Writes Tests/EmberTests/Fixtures/selection.json.
"""
import json
import math
import os

import torch

torch.manual_seed(2468)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "selection.json")


def L(t):
    return ["nan" if math.isnan(v) else round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


def I(t):
    return [int(v) for v in t.reshape(-1).tolist()]


fixture = {}

x = torch.tensor([[0.0, 1.5, 0.0, -2.0], [0.0, 0.0, 0.0, 0.0], [3.0, 0.0, -0.5, 0.0]])
ints = torch.tensor([[[0, 2], [1, 0]], [[0, 0], [5, 7]]])
fixture["nonzero"] = [dict(input=L(x), dtype="float32", shape=list(x.shape), out=I(torch.nonzero(x)),
                           out_shape=list(torch.nonzero(x).shape)),
                      dict(input=I(ints), dtype="int64", shape=list(ints.shape), out=I(torch.nonzero(ints)),
                           out_shape=list(torch.nonzero(ints).shape))]

cases = []
for mask_shape in ([4], [3, 4], [3, 1]):
    xi = torch.randn(3, 4, requires_grad=True)
    mask = torch.rand(mask_shape) > 0.4
    out = torch.masked_select(xi, mask)
    up = torch.randn(out.shape)
    (out * up).sum().backward()
    cases.append(dict(x=L(xi), mask=I(mask.int()), mask_shape=mask_shape, out=L(out), upstream=L(up), grad=L(xi.grad)))
fixture["masked_select"] = cases

u = torch.tensor([[2.0, -1.0, 2.0], [float("nan"), 0.5, -1.0], [2.0, float("nan"), 0.5]])
values, inverse, counts = torch.unique(u, sorted=True, return_inverse=True, return_counts=True)
ui = torch.tensor([5, 3, 5, 5, -2, 3])
vi, ii, ci = torch.unique(ui, sorted=True, return_inverse=True, return_counts=True)
fixture["unique"] = [dict(input=L(u), dtype="float32", shape=list(u.shape), values=L(values), inverse=I(inverse),
                          counts=I(counts)),
                     dict(input=I(ui), dtype="int64", shape=list(ui.shape), values=I(vi), inverse=I(ii), counts=I(ci))]

b = torch.tensor([1, 4, 1, 0, 4, 4])
w = torch.randn(6)
fixture["bincount"] = dict(input=I(b), counts=I(torch.bincount(b)), minlength=8, counts_min=I(torch.bincount(b, minlength=8)),
                           weights=L(w), weighted=L(torch.bincount(b, weights=w)))

cases = []
odd = torch.randn(3, 5)   # no ties: which of several equal medians PyTorch picks is unspecified
even = torch.randn(4, 6)
even[2, 3] = float("nan")
for name, t, dim in (("odd rows, dim 1", odd, 1), ("even columns with a NaN, dim 0", even, 0), ("odd, dim 0", odd, 0)):
    xi = t.clone().requires_grad_(True)
    values, indices = torch.median(xi, dim=dim)
    up = torch.randn(values.shape)
    (torch.nan_to_num(values) * up).sum().backward()
    cases.append(dict(name=name, x=L(xi), shape=list(t.shape), dim=dim, values=L(values), indices=I(indices),
                      upstream=L(up), grad=L(xi.grad)))
fixture["median"] = cases
fixture["median_all"] = dict(x=L(odd), value=float(torch.median(odd)))
fixture["median_int"] = dict(x=I(ints), values=I(torch.median(ints, dim=2).values), indices=I(torch.median(ints, dim=2).indices))

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(OUT, os.path.getsize(OUT), "bytes")
