"""Generates the PyTorch reference fixtures for Ember's pruning (`torch.nn.utils.prune`): the masks
of L1-unstructured and Ln-structured pruning applied one after another to a Linear layer (each
counting only what the ones before left) and to a convolution's filters, global pruning over several
tensors with one already pruned, importance scores, the state-dict keys, the output and the
originals' gradients, `remove`, and Python's rounding of fractional amounts.

    .venv-bench/bin/python scripts/make_pruning_fixtures.py

Writes Tests/EmberTests/Fixtures/pruning.json.
"""
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils import prune

torch.manual_seed(4242)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "pruning.json")


def L(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def linear_sequence():
    fc = nn.Linear(6, 5)
    case = dict(weight=L(fc.weight), bias=L(fc.bias), steps=[])
    steps = [
        ("l1", "weight", dict(amount=0.3)),
        ("l1", "bias", dict(amount=3)),
        ("ln", "weight", dict(amount=0.4, n=2, dim=0)),
        ("l1", "weight", dict(amount=0.5)),
        ("ln", "weight", dict(amount=1, n=1, dim=1)),
    ]
    for method, name, kwargs in steps:
        if method == "l1":
            prune.l1_unstructured(fc, name, **kwargs)
        else:
            prune.ln_structured(fc, name, **kwargs)
        case["steps"].append(dict(method=method, name=name, **kwargs, integer=isinstance(kwargs["amount"], int),
                                  mask=L(getattr(fc, name + "_mask"))))
    case["keys"] = list(fc.state_dict().keys())
    case["state"] = {k: L(v) for k, v in fc.state_dict().items()}
    x = torch.randn(3, 6)
    w = torch.randn(3, 5)
    out = fc(x)
    (out * w).sum().backward()
    case.update(x=L(x), w=L(w), out=L(out), weight_orig_grad=L(fc.weight_orig.grad), bias_orig_grad=L(fc.bias_orig.grad))
    prune.remove(fc, "weight")
    case["removed_keys"] = list(fc.state_dict().keys())
    case["removed_weight"] = L(fc.weight)
    return case


def conv_sequence():
    conv = nn.Conv2d(3, 4, 2)
    case = dict(weight=L(conv.weight), steps=[])
    for kwargs in [dict(amount=0.5, n=float("inf"), dim=0), dict(amount=1, n=float("-inf"), dim=1)]:
        prune.ln_structured(conv, "weight", **kwargs)
        case["steps"].append(dict(method="ln", **{k: (str(v) if k == "n" else v) for k, v in kwargs.items()},
                                  mask=L(conv.weight_mask)))
    prune.l1_unstructured(conv, "weight", amount=0.25)
    case["steps"].append(dict(method="l1", amount=0.25, mask=L(conv.weight_mask)))
    return case


def global_pruning():
    a, b = nn.Linear(4, 3), nn.Linear(3, 2)
    case = dict(a_weight=L(a.weight), b_weight=L(b.weight), b_bias=L(b.bias))
    prune.l1_unstructured(a, "weight", amount=0.25)
    case["a_first_mask"] = L(a.weight_mask)
    prune.global_unstructured([(a, "weight"), (b, "weight"), (b, "bias")], pruning_method=prune.L1Unstructured, amount=0.3)
    case.update(a_mask=L(a.weight_mask), b_mask=L(b.weight_mask), b_bias_mask=L(b.bias_mask))
    return case


def importance():
    fc = nn.Linear(4, 3)
    scores = torch.rand(3, 4)
    prune.l1_unstructured(fc, "weight", amount=5, importance_scores=scores)
    first = L(fc.weight_mask)
    prune.ln_structured(fc, "weight", amount=1, n=2, dim=0, importance_scores=scores)
    return dict(weight=L(fc.weight), scores=L(scores), l1_mask=first, ln_mask=L(fc.weight_mask))


def global_with_scores():
    a, b = nn.Linear(3, 2), nn.Linear(2, 2)
    sa, sb = torch.rand(2, 3), torch.rand(2, 2)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=4,
                              importance_scores={(a, "weight"): sa, (b, "weight"): sb})
    return dict(a_weight=L(a.weight_orig), b_weight=L(b.weight_orig), a_scores=L(sa), b_scores=L(sb),
                a_mask=L(a.weight_mask), b_mask=L(b.weight_mask))


def rounding():
    out = []
    for size in [5, 7, 10, 13]:
        for fraction in [0.1, 0.3, 0.5, 0.7, 0.9, 0.25, 0.35, 0.45]:
            fc = nn.Linear(size, 1, bias=False)
            prune.l1_unstructured(fc, "weight", amount=fraction)
            out.append([size, fraction, int((fc.weight_mask == 0).sum())])
    return out


fixture = dict(linear=linear_sequence(), conv=conv_sequence(), global_=global_pruning(), importance=importance(),
               global_scores=global_with_scores(), rounding=rounding())
with open(OUT, "w") as f:
    json.dump(fixture, f)
print("wrote", OUT)
