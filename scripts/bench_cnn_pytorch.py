"""PyTorch's MNIST CNN training step on this machine, for comparison with `ember-bench cnn`.

Run: /opt/torchenv/bin/python scripts/bench_cnn_pytorch.py [steps] [threads]
Same network (examples/mnist/main.py, returning logits + cross_entropy), Adam lr 1e-3, batch 64,
random MNIST-shaped batches (data loading is not timed in either). Prints ms per step, the epoch
(938 steps) extrapolated, the step breakdown and Conv2d forward/backward GFLOP/s at the CNN's shapes.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_torch_steps import report, time_steps

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = torch.flatten(self.dropout1(F.max_pool2d(x, 2)), 1)
        return self.fc2(self.dropout2(F.relu(self.fc1(x))))


model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xs = torch.randn(8, 64, 1, 28, 28)
ys = torch.randint(0, 10, (8, 64))
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
report(*time_steps(model, opt, xs, ys, steps), steps, 938)


def per_call(fn, minimum=0.05, rounds=5):
    fn()
    n = 1
    while True:
        t = time.perf_counter(); [fn() for _ in range(n)]; t = time.perf_counter() - t
        if t >= minimum:
            break
        n *= 2
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter(); [fn() for _ in range(n)]; best = min(best, (time.perf_counter() - t) / n)
    return best


for name, in_c, out_c, size, input_grad in [("conv1", 1, 32, 28, False), ("conv2", 32, 64, 26, True)]:
    conv = nn.Conv2d(in_c, out_c, 3)
    x = torch.randn(64, in_c, size, size, requires_grad=input_grad)
    o = size - 2
    flops = 2.0 * 64 * out_c * o * o * in_c * 9
    with torch.no_grad():
        fwd = per_call(lambda: conv(x))
    g = torch.randn(64, out_c, o, o)

    def both():
        (conv(x) * g).sum().backward()
        conv.zero_grad()
        x.grad = None

    with torch.no_grad():
        extra = per_call(lambda: (conv(x) * g).sum())
    bwd = max(per_call(both) - extra, 1e-9)
    bflops = flops * (2 if input_grad else 1)
    print(f"{name:6s} [64, {in_c}, {size}, {size}] -> [64, {out_c}, {o}, {o}]: forward {fwd * 1e3:.2f} ms "
          f"({flops / fwd / 1e9:.1f} GFLOP/s), backward {bwd * 1e3:.2f} ms ({bflops / bwd / 1e9:.1f} GFLOP/s"
          f"{', dX + dW' if input_grad else ', dW only'})")
