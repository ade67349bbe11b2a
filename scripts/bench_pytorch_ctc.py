"""PyTorch's side of `ember-bench ctc`: milliseconds per call of F.ctc_loss on the same shapes and
lengths, through log_softmax, forward and forward + backward.

    .venv-bench/bin/python scripts/bench_pytorch_ctc.py [threads]
"""
import sys

import torch
import torch.nn.functional as F

from bench_pytorch_elementwise import seconds_per_call   # the same timing as Ember's secondsPerCall

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(1)
frames, batch, classes, longest = 200, 32, 29, 60
logits = torch.randn(frames, batch, classes)
target_lengths = [20 + (n * 13) % (longest - 20 + 1) for n in range(batch)]
input_lengths = [frames - (n * 7) % 40 for n in range(batch)]
labels = torch.randint(1, classes, (batch, longest))


def loss(x):
    return F.ctc_loss(x.log_softmax(-1), labels, input_lengths, target_lengths)


print(f"PyTorch {torch.__version__} CTC loss {frames}x{batch}x{classes}, {torch.get_num_threads()} threads "
      "(ms per call: forward, forward + backward)")
with torch.no_grad():
    forward = seconds_per_call(lambda: loss(logits))
leaf = logits.clone().requires_grad_(True)


def both():
    leaf.grad = None
    loss(leaf).backward()


print(f"{'ctc':<20}{forward * 1e3:.2f}  {seconds_per_call(both) * 1e3:.2f}")
