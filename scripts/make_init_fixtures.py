"""Generates the PyTorch reference fixtures for Ember's initializers beyond the fan-based ones and
for erfinv, which truncNormal uses: torch.erfinv's values and gradients (near and at ±1, outside the
domain, tiny inputs), nn.init.eye_ and nn.init.dirac_ (with groups, 1-D to 3-D kernels), and
nn.init.calculate_gain.

    .venv-bench/bin/python scripts/make_init_fixtures.py

Writes Tests/EmberTests/Fixtures/init.json.
"""
import json
import math
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "init.json")


def L(t):
    out = []
    for v in t.detach().reshape(-1).tolist():
        out.append("nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else v)))
    return out


fixture = {}

# erfinv in float32, as Ember computes it (PyTorch's is correctly rounded); the gradient where it is finite.
grid = [0.0, 1e-30, -1e-20, 1e-7, 0.1, -0.25, 0.5, 0.75, -0.9, 0.99, -0.999, 0.9999, 0.99999, 0.999999, -0.9999999,
        0.99999994, -0.99999994, 1.0, -1.0, 1.5, -2.0, float("nan")]
grid += torch.linspace(-0.995, 0.995, 41).tolist()
grid += torch.rand(2000, generator=torch.Generator().manual_seed(0)).mul(2).sub(1).tolist()   # for the last ulp
x = torch.tensor(grid, dtype=torch.float32)
fixture["erfinv_x"] = L(x)
fixture["erfinv"] = L(torch.erfinv(x))
inside = x.abs() < 1
xg = x[inside].clone().requires_grad_(True)
torch.erfinv(xg).sum().backward()
fixture["erfinv_grad_x"] = L(xg)
fixture["erfinv_grad"] = L(xg.grad)

eyes = []
for shape in [(3, 5), (4, 2), (3, 3)]:
    w = torch.empty(shape)
    nn.init.eye_(w)
    eyes.append(dict(shape=list(shape), values=L(w)))
fixture["eye"] = eyes

diracs = []
for shape, groups in [((4, 2, 3), 1), ((3, 5, 4), 1), ((6, 3, 3, 3), 2), ((4, 4, 2, 3), 4), ((2, 3, 3, 2, 3), 1),
                      ((6, 2, 1, 3, 3), 3)]:
    w = torch.empty(shape)
    nn.init.dirac_(w, groups=groups)
    diracs.append(dict(shape=list(shape), groups=groups, values=L(w)))
fixture["dirac"] = diracs

fixture["gain"] = {name: nn.init.calculate_gain(name) for name in
                   ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                    "sigmoid", "tanh", "relu", "selu"]}
fixture["gain_leaky"] = [[slope, nn.init.calculate_gain("leaky_relu", slope)] for slope in [0.01, 0.2, 1.0]]

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", OUT)
