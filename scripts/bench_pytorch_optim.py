"""PyTorch's optimizer steps over the seed MLP's parameters, for `ember-bench optim`.

Run: /opt/torchenv/bin/python scripts/bench_pytorch_optim.py [threads]
Prints microseconds per step() (best of 5 rounds), with PyTorch's default implementation on the CPU
(for-loop, foreach=False) and with foreach=True.
"""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(1)
makers = {
    "adam": lambda p, f: torch.optim.Adam(p, foreach=f), "adamw": lambda p, f: torch.optim.AdamW(p, foreach=f),
    "sgd_momentum": lambda p, f: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=f),
    "rmsprop": lambda p, f: torch.optim.RMSprop(p, foreach=f), "adagrad": lambda p, f: torch.optim.Adagrad(p, foreach=f),
    "adadelta": lambda p, f: torch.optim.Adadelta(p, foreach=f), "adamax": lambda p, f: torch.optim.Adamax(p, foreach=f),
    "nadam": lambda p, f: torch.optim.NAdam(p, foreach=f), "radam": lambda p, f: torch.optim.RAdam(p, foreach=f),
}


def per_step(optimizer, n):
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            optimizer.step()
        best = min(best, (time.perf_counter() - start) / n)
    return best


print(f"torch {torch.__version__}, {torch.get_num_threads()} threads (µs per step: foreach=False, foreach=True)")
for name, make in makers.items():
    times = []
    for foreach in (False, True):
        params = [torch.randn(s, requires_grad=True) for s in [(256, 784), (256,), (10, 256), (10,)]]
        for p in params:
            p.grad = torch.randn_like(p)
        optimizer = make(params, foreach)
        for _ in range(10):
            optimizer.step()
        times.append(per_step(optimizer, 100) * 1e6)
    print(f"{name:<14}{times[0]:.0f} {times[1]:.0f}")
