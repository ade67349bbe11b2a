"""PyTorch's side of `ember-bench linear-ce`: a language model's output head, 2048 hidden vectors of
256 features against 32,000 classes through F.linear_cross_entropy, forward and backward, on the
whole logits (options=None) or chunked (LinearCrossEntropyOptions); step time and the peak RSS the
step adds to the process (torch itself takes a few hundred MB).

    .venv-bench/bin/python scripts/bench_pytorch_linear_cross_entropy.py whole|chunked [threads]
"""
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

mode = sys.argv[1] if len(sys.argv) > 1 else "whole"
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
torch.manual_seed(5)
rows, features, classes = 2048, 256, 32_000
x = torch.randn(rows, features, requires_grad=True)
weight = (torch.randn(classes, features) * 0.05).requires_grad_(True)
target = torch.tensor([(i * 7919) % classes for i in range(rows)])
options = nn.LinearCrossEntropyOptions() if mode == "chunked" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step():
    x.grad = None
    weight.grad = None
    F.linear_cross_entropy(x, weight, target, options=options).backward()


step()
start = time.perf_counter()
for _ in range(3):
    step()
seconds = (time.perf_counter() - start) / 3
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"PyTorch {torch.__version__} linear_cross_entropy {mode}: {rows} rows x {features} features -> {classes} classes, "
      f"{torch.get_num_threads()} threads: step {seconds * 1e3:.0f} ms, peak RSS {peak:.0f} MB ({peak - before:.0f} MB over the "
      f"process before the first step)")
