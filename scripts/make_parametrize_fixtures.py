"""Generates the PyTorch reference fixtures for Ember's parametrizations: weight_norm (dim 0 on a
Linear, dim None on a Conv2d) and spectral_norm (a Linear and a Conv2d, a training call that runs a
power iteration, then an evaluation call); state dicts with PyTorch's keys, outputs, the originals'
gradients and the updated power-iteration vectors.

    .venv-bench/bin/python scripts/make_parametrize_fixtures.py

Writes Tests/EmberTests/Fixtures/parametrize.json (references in float64 from float32 values).
"""
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

torch.manual_seed(1701)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "parametrize.json")


def L(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def case(module, x_shape, kind):
    module = module.double()
    state = {k: L(v) for k, v in module.state_dict().items()}
    keys = list(module.state_dict().keys())
    x = torch.randn(x_shape).double()
    out = module(x)
    w = torch.randn(out.shape).double()
    (out * w).sum().backward()
    grads = {name: L(p.grad) for name, p in module.named_parameters()}
    result = dict(kind=kind, keys=keys, state=state, x_shape=list(x_shape), x=L(x), out=L(out), w=L(w), grads=grads,
                  after={k: L(v) for k, v in module.state_dict().items() if k.endswith("_u") or k.endswith("_v")})
    module.eval()
    x2 = torch.randn(x_shape).double()
    result.update(eval_x=L(x2), eval_out=L(module(x2)))
    return result


fixture = [
    case(weight_norm(nn.Linear(5, 4)), (3, 5), "weight_norm_linear"),
    case(weight_norm(nn.Conv2d(2, 3, 2), dim=None), (2, 2, 4, 4), "weight_norm_conv_all"),
    case(spectral_norm(nn.Linear(6, 4)), (3, 6), "spectral_norm_linear"),
    case(spectral_norm(nn.Conv2d(2, 3, 3)), (2, 2, 5, 5), "spectral_norm_conv"),
]
with open(OUT, "w") as f:
    json.dump(fixture, f)
print(OUT, os.path.getsize(OUT), "bytes")
for c in fixture:
    print(c["kind"], c["keys"])
