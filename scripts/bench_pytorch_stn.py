"""The training step of examples/mnist-stn (PyTorch's spatial transformer tutorial) in PyTorch on this
machine, for `ember-bench stn`.

Run: /opt/torchenv/bin/python scripts/bench_pytorch_stn.py [steps] [threads]
The tutorial's network (localisation conv net -> 2x3 affine matrix -> F.affine_grid + F.grid_sample ->
conv 1->10->20, dropout2d, fc 320->50->10, log_softmax), NLL loss, SGD lr 0.01, batch 64, random images
and labels. Prints ms per step, the epoch (938 steps) extrapolated and the step breakdown; then the
sampler alone.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_torch_steps import report, time_steps

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.localization = nn.Sequential(nn.Conv2d(1, 8, kernel_size=7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                                          nn.Conv2d(8, 10, kernel_size=5), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))

    def forward(self, x):
        theta = self.fc_loc(self.localization(x).view(-1, 10 * 3 * 3)).view(-1, 2, 3)
        x = F.grid_sample(x, F.affine_grid(theta, x.size(), align_corners=False), align_corners=False)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.01)
xs = torch.randn(8, 64, 1, 28, 28)
ys = torch.randint(0, 10, (8, 64))
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
report(*time_steps(model, opt, xs, ys, steps, loss_fn=F.nll_loss), steps, 938)

x = torch.randn(64, 1, 28, 28, requires_grad=True)
theta = (torch.eye(2, 3) + 0.1 * torch.randn(64, 2, 3)).requires_grad_()
best = float("inf")
for _ in range(5):
    start = time.perf_counter()
    for _ in range(20):
        F.grid_sample(x, F.affine_grid(theta, list(x.shape), align_corners=False), align_corners=False).sum().backward()
    best = min(best, (time.perf_counter() - start) / 20)
print(f"affine_grid + grid_sample [64, 1, 28, 28], forward + backward: {best * 1e6:.0f} µs")
