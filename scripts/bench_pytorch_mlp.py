"""PyTorch's side of the MLP comparison: the seed MLP (784-256-10), Adam lr 1e-3, batch 64, with the
60,000 MNIST training images preloaded as one normalized tensor (no DataLoader), as a carefully
written PyTorch loop would do. Prints seconds per epoch and the step breakdown.

Run: python scripts/bench_pytorch_mlp.py [epochs] [threads]
"""
import gzip
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Datasets" / "MNIST"


def idx(name):
    data = gzip.open(ROOT / name).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x.view(x.size(0), -1))))


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    images = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    images = ((images - 0.1307) / 0.3081).reshape(-1, 784).contiguous()
    labels = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    model = MLP()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    n = images.shape[0]
    best = float("inf")
    for epoch in range(epochs):
        order = torch.randperm(n)
        phases = [0.0, 0.0, 0.0, 0.0]
        start = time.perf_counter()
        for s in range(0, n, 64):
            t0 = time.perf_counter()
            index = order[s:s + 64]
            x, y = images[index], labels[index]
            t1 = time.perf_counter()
            loss = criterion(model(x), y)
            t2 = time.perf_counter()
            optimizer.zero_grad()
            loss.backward()
            t3 = time.perf_counter()
            optimizer.step()
            t4 = time.perf_counter()
            phases[0] += t1 - t0; phases[1] += t2 - t1; phases[2] += t3 - t2; phases[3] += t4 - t3
        seconds = time.perf_counter() - start
        best = min(best, seconds)
        steps = (n + 63) // 64
        print(f"pytorch epoch {epoch + 1}: {seconds:.3f} s ({seconds / steps * 1e6:.0f} µs/step); step breakdown (µs): "
              f"gather {phases[0] / steps * 1e6:.1f}, forward {phases[1] / steps * 1e6:.1f}, "
              f"backward {phases[2] / steps * 1e6:.1f}, optimizer {phases[3] / steps * 1e6:.1f}")
    print(f"pytorch {torch.__version__}, {threads} threads: best epoch {best:.3f} s")


if __name__ == "__main__":
    main()
