"""Generates the PyTorch reference fixtures for Ember's EmbeddingBag: each mode over concatenated
bags with offsets (an empty bag, padding ids, repeated ids that tie for the maximum), rows of a 2-D
input, per-sample weights with include_last_offset; outputs, the weight's gradient (and the
per-sample weights'), reprs.

    .venv-bench/bin/python scripts/make_embedding_bag_fixtures.py

Writes Tests/EmberTests/Fixtures/embedding_bag.json (references in float64 from float32 weights).
"""
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(5150)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "embedding_bag.json")


def L(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


cases = []
# ids 3 repeats inside a bag (a tie for every maximum); bag 2 is empty; id 0 is the padding.
ids = torch.tensor([3, 1, 3, 0, 5, 6, 0, 2, 2, 7, 1])
offsets = torch.tensor([0, 3, 5, 5, 8])
rows = torch.tensor([[1, 4, 4], [0, 6, 2], [5, 5, 3], [0, 0, 0]])
specs = [
    dict(mode="mean", input=ids, offsets=offsets, padding_idx=0),
    dict(mode="sum", input=ids, offsets=offsets, padding_idx=None),
    dict(mode="max", input=ids, offsets=offsets, padding_idx=0),
    dict(mode="mean", input=rows, offsets=None, padding_idx=0),
    dict(mode="max", input=rows, offsets=None, padding_idx=None),
    dict(mode="sum", input=ids, offsets=torch.tensor([0, 3, 5, 5, 8, 11]), padding_idx=0, include_last_offset=True,
         per_sample_weights=True),
]
for spec in specs:
    bag = nn.EmbeddingBag(8, 3, mode=spec["mode"], padding_idx=spec["padding_idx"],
                          include_last_offset=spec.get("include_last_offset", False)).double()
    psw = torch.randn(spec["input"].shape).double().requires_grad_(True) if spec.get("per_sample_weights") else None
    out = bag(spec["input"], spec["offsets"], per_sample_weights=psw)
    w = torch.randn(out.shape).double()
    (out * w).sum().backward()
    case = dict(repr=repr(bag), mode=spec["mode"], padding_idx=spec["padding_idx"],
                include_last_offset=spec.get("include_last_offset", False), input=spec["input"].reshape(-1).tolist(),
                input_shape=list(spec["input"].shape),
                offsets=None if spec["offsets"] is None else spec["offsets"].tolist(), weight=L(bag.weight),
                out_shape=list(out.shape), out=L(out), w=L(w), grad_weight=L(bag.weight.grad))
    if psw is not None:
        case.update(per_sample_weights=L(psw), grad_per_sample_weights=L(psw.grad))
    cases.append(case)

with open(OUT, "w") as f:
    json.dump(cases, f)
print(OUT, os.path.getsize(OUT), "bytes")
