"""Generates the PyTorch reference fixtures for Ember's weight averaging (torch.optim.swa_utils).

    /opt/torchenv/bin/python scripts/make_swa_fixtures.py

Writes Tests/EmberTests/Fixtures/swa.json:
- "averaged": AveragedModel (equal weights, and EMA with and without buffers) over a Linear + BatchNorm1d
  model whose state is replaced before each update; the averaged state dict after every update.
- "swalr": SWALR's learning rates epoch by epoch (cos and linear annealing, no annealing, and after
  another scheduler has moved the rate).
- "update_bn": the BatchNorm running statistics update_bn computes over a few batches.
"""
import json
import os

import torch
import torch.nn as nn
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn

torch.manual_seed(5)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "swa.json")


def L(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def state(module):
    return {k: L(v) for k, v in module.state_dict().items()}


def make_model():
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))


averaged = []
for name, kwargs in [("equal", {}), ("ema", {"multi_avg_fn": get_ema_multi_avg_fn(0.75)}),
                     ("ema_buffers", {"multi_avg_fn": get_ema_multi_avg_fn(0.75), "use_buffers": True})]:
    model = make_model()
    swa = AveragedModel(model, **kwargs)
    steps = []
    for step in range(4):
        # A new model state: random parameters, and running statistics from a training batch.
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn_like(p))
        model.train()
        model(torch.randn(6, 3))
        swa.update_parameters(model)
        steps.append({"model": state(model), "averaged": state(swa.module), "n_averaged": int(swa.n_averaged)})
    averaged.append({"name": name, "steps": steps})

swalr = []
for name, lr, make, before, epochs in [
        ("cos", 0.5, lambda o: SWALR(o, swa_lr=0.05, anneal_epochs=3), 0, 6),
        ("linear", 0.5, lambda o: SWALR(o, swa_lr=0.2, anneal_epochs=4, anneal_strategy="linear"), 0, 6),
        ("none", 0.5, lambda o: SWALR(o, swa_lr=0.05, anneal_epochs=0), 0, 3),
        ("after_cosine", 1.0, lambda o: SWALR(o, swa_lr=0.1, anneal_epochs=2), 4, 4)]:
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    for _ in range(before):
        optimizer.step()
        cosine.step()
    start = optimizer.param_groups[0]["lr"]
    scheduler = make(optimizer)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    swalr.append({"name": name, "lr": lr, "cosine_steps_before": before, "start": start, "rates": rates})

# SWALR works from the optimizer's current rate: made before another schedule has moved the rate, after
# the rate was changed by hand, and as the second stage of SequentialLR.
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
early = SWALR(optimizer, swa_lr=0.1, anneal_epochs=2)
rates = [optimizer.param_groups[0]["lr"]]
for epoch in range(7):
    optimizer.step()
    (cosine if epoch < 4 else early).step()
    rates.append(optimizer.param_groups[0]["lr"])
swalr.append({"name": "made_early", "lr": 1.0, "rates": rates})
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.5)
scheduler = SWALR(optimizer, swa_lr=0.05, anneal_epochs=4)
rates = [optimizer.param_groups[0]["lr"]]
for epoch in range(5):
    optimizer.step()
    scheduler.step()
    if epoch == 1:
        optimizer.param_groups[0]["lr"] *= 0.5
    rates.append(optimizer.param_groups[0]["lr"])
swalr.append({"name": "halved_by_hand", "lr": 0.5, "rates": rates})
optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
sequential = torch.optim.lr_scheduler.SequentialLR(
    optimizer, [torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10), SWALR(optimizer, swa_lr=0.1, anneal_epochs=2)],
    milestones=[4])
rates = [optimizer.param_groups[0]["lr"]]
for epoch in range(7):
    optimizer.step()
    sequential.step()
    rates.append(optimizer.param_groups[0]["lr"])
swalr.append({"name": "sequential", "lr": 1.0, "rates": rates})

model = make_model()
with torch.no_grad():
    model[1].running_mean.fill_(3.0)
batches = [(torch.randn(5, 3) * 2 + 1, torch.zeros(5)) for _ in range(3)]
model.eval()
update_bn(batches, model)
bn = {"state": state(model), "inputs": [L(x) for x, _ in batches], "training_after": model.training}

with open(OUT, "w") as f:
    json.dump({"averaged": averaged, "swalr": swalr, "update_bn": bn}, f, separators=(",", ":"))
print(OUT, os.path.getsize(OUT), "bytes")
