"""The training step of examples/pinn-oscillator in PyTorch on this machine, for `ember-bench pinn`.

Run: /opt/torchenv/bin/python scripts/bench_pytorch_pinn.py [steps] [threads]
Same network (Linear 1->32->32->1 with tanh), loss mean((u'' + u)^2) over 128 points plus the
initial conditions u(0) = 0, u'(0) = 1, with u' and u'' from torch.autograd.grad(create_graph=True),
Adam lr 3e-3. Prints ms per step (best of 3 runs after 20 warm-up steps).
"""
import math
import sys
import time

import torch
import torch.nn as nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
t = torch.linspace(0, 2 * math.pi, 128).reshape(128, 1).requires_grad_()
origin = torch.zeros(1, 1, requires_grad=True)


def derivative(u, x):
    return torch.autograd.grad(u.sum(), x, create_graph=True)[0]


def step():
    opt.zero_grad()
    u = model(t)
    u0 = model(origin)
    loss = (derivative(derivative(u, t), t) + u).square().mean() + u0.square().sum() \
        + (derivative(u0, origin) - 1).square().sum()
    loss.backward()
    opt.step()


print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
for _ in range(20):
    step()
best = math.inf
for _ in range(3):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    best = min(best, (time.perf_counter() - start) / steps)
print(f"step: {best * 1e3:.3f} ms over {steps} steps (best of 3 runs)")
