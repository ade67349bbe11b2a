"""Generates the PyTorch reference fixtures for Ember's `linearCrossEntropy` and
`LinearCrossEntropyLoss`: losses and gradients (input, linear weight, bias) for each reduction, with
class weights, label smoothing, ignored targets and a bias, from PyTorch's reference path
(`options=None`; its chunked path gives the same values where it applies, checked here); and the module's repr.

    .venv-bench/bin/python scripts/make_linear_cross_entropy_fixtures.py

Writes Tests/EmberTests/Fixtures/linear_cross_entropy.json.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3301)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "linear_cross_entropy.json")


def L(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


N, IN, C = 7, 5, 11
x = torch.randn(N, IN)
w = torch.randn(C, IN) * 0.5
b = torch.randn(C) * 0.3
target = torch.tensor([3, 0, 10, -100, 7, 3, 5])
class_weight = torch.rand(C) + 0.5
cases = []
for name, kwargs, with_bias in [
        ("plain", dict(), False),
        ("bias", dict(), True),
        ("weighted", dict(weight=class_weight), False),
        ("smoothed", dict(label_smoothing=0.2), True),
        ("weighted_smoothed", dict(weight=class_weight, label_smoothing=0.3), True)]:
    for reduction in ["mean", "sum", "none"]:
        xi, wi = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
        bi = b.clone().requires_grad_(True) if with_bias else None
        loss = F.linear_cross_entropy(xi, wi, target, linear_bias=bi, reduction=reduction, **kwargs)
        upstream = torch.randn(loss.shape) if reduction == "none" else torch.tensor(1.7)
        (loss * upstream).sum().backward()
        chunked = F.linear_cross_entropy(x, w, target, linear_bias=b if with_bias else None, reduction=reduction,
                                         options=nn.LinearCrossEntropyOptions(), **kwargs)
        assert torch.allclose(chunked, loss.detach(), atol=1e-5), (name, reduction)
        cases.append(dict(name=name, reduction=reduction, bias=with_bias, weighted="weight" in kwargs,
                          label_smoothing=kwargs.get("label_smoothing", 0.0), loss=L(loss), upstream=L(upstream),
                          x_grad=L(xi.grad), w_grad=L(wi.grad), b_grad=L(bi.grad) if with_bias else []))
module = nn.LinearCrossEntropyLoss(IN, C, bias=True, label_smoothing=0.1)
out = dict(n=N, in_features=IN, classes=C, x=L(x), w=L(w), b=L(b), target=target.tolist(), class_weight=L(class_weight),
           cases=cases, repr=str(module), keys=list(module.state_dict().keys()))
with open(OUT, "w") as f:
    json.dump(out, f)
print(OUT, os.path.getsize(OUT), "bytes")
