"""The training step of examples/mnist-autoencoder in PyTorch on this machine, for `ember-bench autoencoder`.

Run: /opt/torchenv/bin/python scripts/bench_pytorch_autoencoder.py [steps] [threads]
Same network (Conv2d 1->16->32 with stride 2, ConvTranspose2d 32->16->1 with stride 2 and
output_padding 1, sigmoid), MSE against the input, Adam lr 1e-3, batch 64, random images in [0, 1].
Prints ms per step, the epoch (938 steps) extrapolated and the step breakdown.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_torch_steps import report, time_steps

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
torch.manual_seed(1)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
    nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
    nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
xs = torch.rand(8, 64, 1, 28, 28)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
report(*time_steps(model, opt, xs, xs, steps, loss_fn=F.mse_loss), steps, 938)
