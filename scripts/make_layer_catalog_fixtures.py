"""Generates the PyTorch reference fixtures for the rest of torch.nn's layer catalogue in Ember:
Dropout1d/3d, AlphaDropout and FeatureAlphaDropout (the values a kept and a dropped element take),
RReLU (evaluation), Softmax2d, ChannelShuffle, LocalResponseNorm, the 3-D padding layers,
CosineSimilarity and PairwiseDistance as layers, MultiLabelMarginLoss and
TripletMarginWithDistanceLoss; outputs, input gradients and reprs.

    .venv-bench/bin/python scripts/make_layer_catalog_fixtures.py

Writes Tests/EmberTests/Fixtures/layer_catalog.json (references in float64 from float32 values).
"""
import collections
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5505)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "layer_catalog.json")


def L(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def leaf(t):
    return t.float().double().requires_grad_(True)


def run(module, *inputs):
    """Output and the gradients of Σ out·w (w fixed, float32 values) for the inputs that are leaves."""
    out = module(*inputs)
    w = torch.randn(out.shape).float().double()
    (out * w).sum().backward()
    case = dict(repr=repr(module), out_shape=list(out.shape), out=L(out), w=L(w))
    for i, x in enumerate(inputs):
        case[f"x{i}_shape"] = list(x.shape)
        case[f"x{i}"] = L(x)
        if x.grad is not None:
            case[f"grad{i}"] = L(x.grad)
    return case


fixture = {}

# Layers of one input, in evaluation mode where they are random in training.
single = [
    (nn.RReLU().eval(), leaf(torch.randn(2, 3, 4))),
    (nn.RReLU(0.1, 0.3).eval(), leaf(torch.randn(5, 4))),
    (nn.Softmax2d(), leaf(torch.randn(2, 3, 2, 2))),
    (nn.Softmax2d(), leaf(torch.randn(4, 2, 3))),
    (nn.ChannelShuffle(2), leaf(torch.randn(2, 6, 2, 2))),
    (nn.ChannelShuffle(3), leaf(torch.randn(1, 6, 5))),
    (nn.LocalResponseNorm(2), leaf(torch.randn(2, 5, 3, 3))),
    (nn.LocalResponseNorm(3, alpha=0.5, beta=0.6, k=2.0), leaf(torch.randn(2, 4, 6))),
    (nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=1.0), leaf(torch.randn(1, 7, 2, 2, 3))),
    (nn.ZeroPad3d((1, 0, 2, 1, 0, 1)), leaf(torch.randn(1, 2, 2, 3, 3))),
    (nn.ConstantPad3d(1, 2.5), leaf(torch.randn(2, 2, 2, 2))),
    (nn.ReflectionPad3d((2, 1, 1, 0, 1, 1)), leaf(torch.randn(1, 2, 3, 3, 4))),
    (nn.ReplicationPad3d((1, 2, 0, 1, 2, 0)), leaf(torch.randn(1, 1, 2, 3, 2))),
    (nn.CircularPad3d((1, 1, 1, 2, 1, 0)), leaf(torch.randn(1, 2, 2, 3, 3))),
]
fixture["single"] = [run(m, x) for m, x in single]

# Two-input layers.
pairs = [
    (nn.CosineSimilarity(), leaf(torch.randn(4, 5)), leaf(torch.randn(4, 5))),
    (nn.CosineSimilarity(dim=0, eps=1e-6), leaf(torch.randn(3, 2)), leaf(torch.randn(3, 2))),
    (nn.PairwiseDistance(), leaf(torch.randn(4, 5)), leaf(torch.randn(4, 5))),
    (nn.PairwiseDistance(p=1.0, eps=1e-3, keepdim=True), leaf(torch.randn(3, 6)), leaf(torch.randn(3, 6))),
]
fixture["pairs"] = [run(m, a, b) for m, a, b in pairs]

# MultiLabelMarginLoss: lists ended by -1, a repeated class, an empty list, an unbatched input.
labels = [
    (torch.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 1, 2], [2, 2, -1, 0]]), "mean"),
    (torch.tensor([[0, -1, 2, 3], [3, 1, 0, 2]]), "sum"),
    (torch.tensor([[1, 3, -1, 0], [0, -1, 0, 0], [2, 1, 0, 3]]), "none"),
    (torch.tensor([2, 0, -1, 1]), "mean"),
    (torch.tensor([3, 1, -1, 2]), "none"),
]
margin_cases = []
for target, reduction in labels:
    x = leaf(torch.randn(*target.shape))
    loss = F.multilabel_margin_loss(x, target, reduction=reduction)
    w = torch.randn(loss.shape).float().double()
    (loss * w).sum().backward()
    margin_cases.append(dict(x_shape=list(x.shape), x=L(x), target=target.reshape(-1).tolist(),
                             reduction=reduction, out_shape=list(loss.shape), out=L(loss), w=L(w), grad=L(x.grad)))
# Margins of exactly 0 (integer scores one apart), where PyTorch passes no gradient.
x = torch.tensor([[1.0, 0.0, 0.5], [2.0, 1.0, 3.0]], requires_grad=True)
loss = F.multilabel_margin_loss(x, torch.tensor([[0, -1, 1], [0, 2, -1]]), reduction="sum")
loss.backward()
margin_cases.append(dict(x_shape=[2, 3], x=L(x), target=[0, -1, 1, 0, 2, -1], reduction="sum", out_shape=[], out=L(loss),
                         w=[1.0], grad=L(x.grad)))
fixture["multilabel_margin"] = margin_cases
fixture["multilabel_margin_repr"] = repr(nn.MultiLabelMarginLoss())


def cosine_distance(a, b):
    return 1 - F.cosine_similarity(a, b)


triplets = []
for distance, margin, swap, reduction in [("default", 1.0, False, "mean"), ("default", 0.5, True, "sum"),
                                          ("cosine", 0.3, False, "none"), ("cosine", 0.8, True, "mean")]:
    a, p, n = leaf(torch.randn(5, 4)), leaf(torch.randn(5, 4)), leaf(torch.randn(5, 4))
    fn = cosine_distance if distance == "cosine" else None
    loss = nn.TripletMarginWithDistanceLoss(distance_function=fn, margin=margin, swap=swap, reduction=reduction)(a, p, n)
    w = torch.randn(loss.shape).float().double()
    (loss * w).sum().backward()
    triplets.append(dict(distance=distance, margin=margin, swap=swap, reduction=reduction, anchor=L(a), positive=L(p),
                         negative=L(n), out_shape=list(loss.shape), out=L(loss), w=L(w), grad_anchor=L(a.grad),
                         grad_positive=L(p.grad), grad_negative=L(n.grad)))
# A hinge of exactly 0 (L1 distances 1 and 2, margin 1), where PyTorch passes no gradient.
a, p, n = (torch.tensor([[0.0, 0.0]], requires_grad=True), torch.tensor([[1.0, 0.0]], requires_grad=True),
           torch.tensor([[1.0, 1.0]], requires_grad=True))
loss = F.triplet_margin_with_distance_loss(a, p, n, distance_function=lambda u, v: (u - v).abs().sum(-1), margin=1.0)
loss.backward()
fixture["triplet_tie"] = dict(out=L(loss), grad_anchor=L(a.grad), grad_positive=L(p.grad), grad_negative=L(n.grad))
fixture["triplet_distance"] = triplets


def alpha_values(layer, x, seeds=40):
    """The value every dropped element takes, and what each element becomes when kept, read from the
    layer's outputs under many seeds (the dropped value is the one shared by the most elements)."""
    outs = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        outs.append(layer(x).reshape(-1).tolist())
    dropped = collections.Counter(v for out in outs for v in out).most_common(1)[0][0]
    kept = []
    for i in range(x.numel()):
        values = {out[i] for out in outs if out[i] != dropped}
        assert len(values) == 1, "each element is either dropped or kept with one value"
        kept.append(values.pop())
    # Full float32 values (not rounded), and inputs that are exactly float32: compared bit for bit.
    return dict(repr=repr(layer), p=layer.p, x_shape=list(x.shape), x=x.reshape(-1).tolist(), dropped=dropped, kept=kept)


fixture["alpha"] = [
    alpha_values(nn.AlphaDropout(0.2).train(), torch.randn(6, 5)),
    alpha_values(nn.AlphaDropout(0.5).train(), torch.randn(3, 4)),
    alpha_values(nn.FeatureAlphaDropout(0.3).train(), torch.randn(4, 3, 2), seeds=80),
]
fixture["reprs"] = {name: repr(layer) for name, layer in [
    ("Dropout1d", nn.Dropout1d(0.2)), ("Dropout3d", nn.Dropout3d()), ("AlphaDropout", nn.AlphaDropout(0.1)),
    ("FeatureAlphaDropout", nn.FeatureAlphaDropout(0.25)), ("RReLU", nn.RReLU()),
]}

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", OUT)
