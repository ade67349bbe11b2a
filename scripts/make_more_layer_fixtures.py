"""Generates the PyTorch reference fixtures for the activations, RMSNorm, GLU, Unflatten and
ModuleDict that came after nn_layers.json (a file of their own, so that the older fixtures keep
their numbers).

    .venv-bench/bin/python scripts/make_more_layer_fixtures.py

Writes Tests/EmberTests/Fixtures/nn_more_layers.json.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4321)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "nn_more_layers.json")


def L(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


fixture = {}

# Activations on [2, 6]: random values, plus a column far out on both sides (±30), where a naive
# log(sigmoid(x)) underflows, and values on the thresholds' sides.
x = torch.randn(2, 6) * 2
x[0, 5], x[1, 5] = 30.0, -30.0
fixture["activation_input"] = L(x)
activations = {
    "logsigmoid": nn.LogSigmoid(), "softmin": nn.Softmin(dim=1), "celu": nn.CELU(alpha=0.7),
    "threshold": nn.Threshold(0.3, -2.0), "hardshrink": nn.Hardshrink(0.6), "softshrink": nn.Softshrink(0.4),
    "tanhshrink": nn.Tanhshrink(), "glu": nn.GLU(dim=1),
}
for name, module in activations.items():
    xi = x.clone().requires_grad_(True)
    out = module(xi)
    upstream = torch.randn(out.shape)
    out.backward(upstream)
    fixture[name] = dict(repr=repr(module), out_shape=list(out.shape), out=L(out), upstream=L(upstream),
                         grad=L(xi.grad))

# RMSNorm over two dims with a learned weight and the default eps, and over one dim without
# weight and with eps 1e-3 on inputs of small magnitude, where eps matters.
cases = []
for shape, normalized, eps, affine, scale in (([3, 4, 5], [4, 5], None, True, 1.0), ([2, 3, 5], [5], 1e-3, False, 0.05)):
    norm = nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            norm.weight.copy_(torch.randn(normalized))
    xi = (torch.randn(shape) * scale).requires_grad_(True)
    out = norm(xi)
    upstream = torch.randn(shape)
    out.backward(upstream)
    case = dict(repr=repr(norm), shape=shape, normalized_shape=normalized, eps=eps, affine=affine, x=L(xi),
                out=L(out), upstream=L(upstream), grad_x=L(xi.grad))
    if affine:
        case.update(weight=L(norm.weight), grad_weight=L(norm.weight.grad))
    cases.append(case)
fixture["rmsnorm"] = cases

fixture["unflatten_repr"] = repr(nn.Unflatten(1, (2, 3)))

# A ModuleDict: its state-dict keys and repr, in insertion order (not sorted).
heads = nn.ModuleDict({"digits": nn.Linear(4, 10), "parity": nn.Linear(4, 2)})
heads["aux"] = nn.Tanh()
fixture["module_dict"] = dict(keys=list(heads.state_dict().keys()), repr=repr(heads))

# Adaptive max pooling: uneven windows (overlapping), even ones (max pooling's kernel), 1-D; with ties and a NaN.
cases = []
for shape, size in (([2, 3, 7, 5], (3, 2)), ([1, 2, 6, 4], (3, 2)), ([2, 3, 9], 4)):
    xi = torch.randn(shape)
    xi.view(-1)[:2] = 3.0   # a tie for the maximum of the first window: the first wins
    xi = xi.requires_grad_(True)
    layer = nn.AdaptiveMaxPool2d(size, return_indices=True) if len(shape) == 4 else nn.AdaptiveMaxPool1d(size, return_indices=True)
    out, indices = layer(xi)
    upstream = torch.randn(out.shape)
    out.backward(upstream)
    plain = nn.AdaptiveMaxPool2d(size) if len(shape) == 4 else nn.AdaptiveMaxPool1d(size)
    cases.append(dict(repr=repr(plain), shape=shape, size=list(size) if isinstance(size, tuple) else [size], x=L(xi),
                      out=L(out), indices=[int(i) for i in indices.reshape(-1)], upstream=L(upstream), grad_x=L(xi.grad)))
nan_input = torch.tensor([[[[1.0, float("nan"), 3.0], [float("nan"), 0.5, 2.0]]]])
nan_out, nan_indices = nn.AdaptiveMaxPool2d((1, 2), return_indices=True)(nan_input)
fixture["adaptive_max_pool"] = dict(cases=cases, nan_indices=[int(i) for i in nan_indices.reshape(-1)])

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(OUT, os.path.getsize(OUT), "bytes")
