"""Generates the PyTorch reference fixtures for Ember's `AdaptiveLogSoftmaxWithLoss`: two
configurations (with and without a head bias, two div values), their state dicts, the target
log-probabilities, loss and gradients of a batch that reaches every cluster, a batch that leaves one
cluster out, one unbatched sample, every class's log-probabilities and `predict`.

    .venv-bench/bin/python scripts/make_adaptive_softmax_fixtures.py

Writes Tests/EmberTests/Fixtures/adaptive_softmax.json.
"""
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(4096)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "adaptive_softmax.json")


def L(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


configs = {
    "biased": dict(in_features=16, n_classes=30, cutoffs=[5, 12, 20], div_value=2.0, head_bias=True),
    "default": dict(in_features=12, n_classes=9, cutoffs=[3], div_value=4.0, head_bias=False),
}
out = {}
for name, config in configs.items():
    asm = nn.AdaptiveLogSoftmaxWithLoss(**config)
    with torch.no_grad():   # larger weights, so predict also picks classes outside the shortlist
        for p in asm.parameters():
            p.mul_(3)
    x = torch.randn(10, config["in_features"], requires_grad=True)
    # Every cluster is reached, some more than once, in no particular order.
    target = torch.tensor([0, 29, 7, 13, 4, 21, 12, 19, 2, 25] if name == "biased" else [0, 8, 2, 4, 1, 7, 5, 3, 6, 2])
    result = asm(x, target)
    result.loss.backward()
    grads = {k: L(p.grad) for k, p in asm.named_parameters()}
    # A batch whose targets all lie in the shortlist and the first cluster (no other tail runs).
    partial_target = target.clamp(max=config["cutoffs"][0])
    partial = asm(x.detach(), partial_target)
    single = asm(x.detach()[3], target[3])
    full = asm.log_prob(x.detach())
    out[name] = dict(
        config=config, x=L(x), target=target.tolist(),
        keys=list(asm.state_dict().keys()),
        state={k: dict(shape=list(v.shape), values=L(v)) for k, v in asm.state_dict().items()},
        output=L(result.output), loss=result.loss.item(), grads=grads, x_grad=L(x.grad),
        partial_target=partial_target.tolist(), partial_output=L(partial.output), partial_loss=partial.loss.item(),
        single_output=single.output.item(), single_loss=single.loss.item(),
        log_prob=L(full), predict=asm.predict(x.detach()).tolist(), argmax=full.argmax(1).tolist(),
        description=str(asm))
with open(OUT, "w") as f:
    json.dump(out, f)
print(OUT, os.path.getsize(OUT), "bytes")
