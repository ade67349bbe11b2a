"""Generates the PyTorch reference fixtures for Ember's CTC loss: torch.nn.functional.ctc_loss of
log_softmax(logits) with padded and concatenated targets, repeated labels, empty targets, short
inputs, a long sequence, an impossible alignment (with and without zero_infinity), another blank, and one unbatched
sequence; each reduction, and the gradient with respect to the logits.

    .venv-bench/bin/python scripts/make_ctc_fixtures.py

Writes Tests/EmberTests/Fixtures/ctc.json (references in float64 from float32 logits).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(2718)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "ctc.json")


def L(t):
    """Values for JSON, infinities as "inf" and NaN as "nan"."""
    def one(v):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return round(float(v), 8)
    return [one(v) for v in t.detach().reshape(-1).tolist()]


def case(shape, targets, input_lengths, target_lengths, blank=0, zero_infinity=False):
    logits = torch.randn(shape).double().requires_grad_(True)
    out = {"shape": list(shape), "logits": L(logits), "targets": targets.reshape(-1).tolist(),
           "targets_shape": list(targets.shape), "input_lengths": input_lengths, "target_lengths": target_lengths,
           "blank": blank, "zero_infinity": zero_infinity}
    for reduction in ["none", "sum", "mean"]:
        logits.grad = None
        loss = F.ctc_loss(logits.log_softmax(-1), targets, input_lengths, target_lengths, blank=blank,
                          reduction=reduction, zero_infinity=zero_infinity)
        w = torch.randn(loss.shape).double() if reduction == "none" else torch.ones(())
        if reduction == "none":
            out["w"] = L(w)
        (loss * w).sum().backward()
        out[reduction] = L(loss)
        out["grad_" + reduction] = L(logits.grad)
    return out


fixture = {
    # Padded targets: repeats (a blank must separate them), an empty target, a target that fills its input.
    "padded": case((12, 4, 6), torch.tensor([[1, 2, 3, 0, 0], [4, 4, 5, 4, 4], [0, 0, 0, 0, 0], [2, 5, 1, 1, 1]]),
                   [12, 10, 7, 3], [3, 5, 0, 3]),
    "concatenated": case((9, 3, 5), torch.tensor([1, 2, 2, 3, 4, 1]), [9, 8, 6], [3, 1, 2]),
    # Sequence 1 needs at least 5 frames for [3, 3, 3] and has 4: its loss is infinite.
    "impossible": case((6, 2, 4), torch.tensor([[1, 2, 1], [3, 3, 3]]), [6, 4], [3, 3]),
    "impossible_zeroed": case((6, 2, 4), torch.tensor([[1, 2, 1], [3, 3, 3]]), [6, 4], [3, 3], zero_infinity=True),
    "last_blank": case((7, 2, 5), torch.tensor([[0, 1, 3], [2, 2, 0]]), [7, 6], [3, 2], blank=4),
    "unbatched": case((8, 5), torch.tensor([3, 1, 3]), [8], [3]),
    # Long enough that unshifted sums of exponentials would underflow float32 (log-likelihoods near −400).
    "long": case((150, 2, 10), torch.randint(1, 10, (2, 50)), [150, 131], [50, 37]),
}

with open(OUT, "w") as f:
    json.dump(fixture, f)
print("wrote", OUT)
