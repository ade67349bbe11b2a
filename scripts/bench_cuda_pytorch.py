"""PyTorch's side of the GPU comparison: the seed MLP (784-256-10), Adam lr 1e-3, batch 64, the 60,000
MNIST training images preloaded on the GPU as one normalized tensor, batches gathered on the GPU.
Three loops, as the issue measured them: eager with the default Adam, eager with fused Adam, and the
whole step captured in a CUDA graph (capturable Adam, static input buffers). Prints seconds per
epoch for each.

Run: python scripts/bench_cuda_pytorch.py [epochs]
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


def model():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).cuda()


def timed_epochs(x, epochs, step):
    """Seconds of each epoch of 64-image batches drawn on the GPU, `step(index)` running one."""
    times = []
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], device="cuda")
        torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, x.shape[0] - 63, 64):
            step(perm[i:i + 64])
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def run_eager(x, y, epochs, fused):
    torch.manual_seed(0)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=fused)
    loss_fn = nn.CrossEntropyLoss()

    def step(index):
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x[index]), y[index]).backward()
        opt.step()
    return timed_epochs(x, epochs, step)


def run_graph(x, y, epochs):
    torch.manual_seed(0)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, capturable=True)
    loss_fn = nn.CrossEntropyLoss()
    static_x, static_y = x[:64].clone(), y[:64].clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(static_x), static_y).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = loss_fn(net(static_x), static_y)
        static_loss.backward()
        opt.step()

    def step(index):
        static_x.copy_(x[index])
        static_y.copy_(y[index])
        graph.replay()
    return timed_epochs(x, epochs, step)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    images = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255).view(-1, 784)
    x = ((images - 0.1307) / 0.3081).cuda()
    y = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64)).cuda()
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}")
    for name, times in [("eager, Adam", run_eager(x, y, epochs, False)),
                        ("eager, fused Adam", run_eager(x, y, epochs, True)),
                        ("CUDA graph, capturable Adam", run_graph(x, y, epochs))]:
        best = min(times[1:] if len(times) > 1 else times)
        print(f"pytorch {name:30s} s/epoch: best {best:.3f}  all " + " ".join(f"{t:.3f}" for t in times))


if __name__ == "__main__":
    main()
