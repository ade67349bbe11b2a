"""PyTorch's side of `ember-bench conv3d`: milliseconds per training step of the same small video
classifier (Conv3d 3→32→64, Adam) on clips [4, 3, 16, 56, 56], and of each Conv3d's forward.

    .venv-bench/bin/python scripts/bench_pytorch_conv3d.py [threads]
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_pytorch_elementwise import seconds_per_call   # the same timing as Ember's secondsPerCall

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(1)
conv1, conv2 = nn.Conv3d(3, 32, 3, padding=1), nn.Conv3d(32, 64, 3, padding=1)
model = nn.Sequential(conv1, nn.ReLU(), nn.MaxPool3d((1, 2, 2)), conv2, nn.ReLU(), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
                      nn.Linear(64, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
clips, labels = torch.randn(4, 3, 16, 56, 56), torch.randint(0, 10, (4,))


def step():
    optimizer.zero_grad()
    F.cross_entropy(model(clips), labels).backward()
    optimizer.step()


print(f"PyTorch {torch.__version__} conv3d, {torch.get_num_threads()} threads (ms)")
print(f"{'training step':<20}{seconds_per_call(step, minimum=1) * 1e3:.1f}")
with torch.no_grad():
    pooled = F.max_pool3d(F.relu(conv1(clips)), (1, 2, 2))
    print(f"{'conv1 forward':<20}{seconds_per_call(lambda: conv1(clips)) * 1e3:.1f}")
    print(f"{'conv2 forward':<20}{seconds_per_call(lambda: conv2(pooled)) * 1e3:.1f}")
