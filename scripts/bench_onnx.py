"""Exports PyTorch's MNIST models to ONNX and times them in onnxruntime and in PyTorch itself, for
scripts/bench_onnx.sh, which times the same files in Ember.

    python scripts/bench_onnx.py OUT_DIR THREADS [batch ...]      (needs torch, onnx, onnxscript, onnxruntime)
"""
import os
import sys
import time
import warnings

import numpy as np
import onnxruntime
import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")


class MLP(nn.Module):
    """The seed program's MLP: 784-256-10."""
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(784, 256), nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.view(x.size(0), -1))))


class CNN(nn.Module):
    """PyTorch's MNIST example CNN."""
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        return F.log_softmax(self.fc2(F.relu(self.fc1(torch.flatten(x, 1)))), dim=1)


def best_seconds(body, minimum=0.2, rounds=5):
    """Seconds per call: repeats until a round lasts `minimum`, best of `rounds` (as ember-bench)."""
    body()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            body()
        if time.perf_counter() - start >= minimum:
            break
        n *= 2
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            body()
        best = min(best, (time.perf_counter() - start) / n)
    return best


out, threads = sys.argv[1], int(sys.argv[2])
batches = [int(b) for b in sys.argv[3:]] or [1, 64, 1000]
torch.set_num_threads(threads)
torch.manual_seed(0)
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
for name, model in [("mlp", MLP().eval()), ("cnn", CNN().eval())]:
    path = os.path.join(out, f"{name}.onnx")
    torch.onnx.export(model, (torch.randn(2, 1, 28, 28),), path, dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    print(f"{name}.onnx: onnxruntime {onnxruntime.__version__} and PyTorch {torch.__version__} (eager, no_grad), {threads} threads")
    for batch in batches:
        x = torch.randn(batch, 1, 28, 28)
        ort = best_seconds(lambda: session.run(None, {"input": x.numpy()}))
        with torch.no_grad():
            eager = best_seconds(lambda: model(x))
        print(f"  batch {batch:5d}: onnxruntime {ort * 1e3:9.3f} ms, PyTorch {eager * 1e3:9.3f} ms")
