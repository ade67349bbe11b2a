"""Generates the PyTorch reference fixtures for Ember's lazy layers (`torch.nn.LazyConv2d` and the
rest): three models built from lazy layers, materialized by a first batch and trained for two steps
(so the running statistics move), then their state dicts, their outputs in eval mode, and their
descriptions before and after materializing.

    .venv-bench/bin/python scripts/make_lazy_fixtures.py

Writes Tests/EmberTests/Fixtures/lazy.json.
"""
import json
import os
import warnings

import torch
import torch.nn as nn

warnings.filterwarnings("ignore")   # "Lazy modules are a new feature under heavy development"
torch.manual_seed(2025)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "lazy.json")


def L(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


models = {
    "planar": (lambda: nn.Sequential(
        nn.LazyConv2d(4, 3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.LazyConvTranspose2d(3, 2, stride=2), nn.LazyInstanceNorm2d(), nn.Flatten(), nn.LazyLinear(5)),
        [2, 3, 5, 4]),
    "sequence": (lambda: nn.Sequential(
        nn.LazyConv1d(4, 3, groups=2, bias=False), nn.LazyBatchNorm1d(momentum=None), nn.Tanh(),
        nn.LazyConvTranspose1d(2, 3, stride=2, output_padding=1), nn.LazyInstanceNorm1d(affine=False)),
        [3, 6, 9]),
    "volume": (lambda: nn.Sequential(
        nn.LazyConv3d(2, 2, dilation=2), nn.LazyBatchNorm3d(affine=False), nn.ReLU(),
        nn.LazyConvTranspose3d(2, (2, 1, 2), stride=(2, 1, 1)), nn.LazyInstanceNorm3d(track_running_stats=False)),
        [2, 3, 5, 5, 6]),
}
out = {}
for name, (build, shape) in models.items():
    model = build()
    before = str(model)
    x = torch.randn(*shape)
    model(x)   # materializes
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        model(x).square().mean().backward()
        optimizer.step()
    model.eval()
    state = model.state_dict()
    out[name] = dict(
        input_shape=shape, x=L(x), out=L(model(x)), out_shape=list(model(x).shape),
        description_before=before, description_after=str(model), keys=list(state.keys()),
        state={k: dict(shape=list(v.shape), values=L(v.float())) for k, v in state.items()})
with open(OUT, "w") as f:
    json.dump(out, f)
print(OUT, os.path.getsize(OUT), "bytes")
