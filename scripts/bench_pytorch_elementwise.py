"""PyTorch's side of the element-wise comparison: the ops of `ember-bench elementwise`, on the same
shapes (64x256 and 1024x1024), timed the same way (calls repeated until a batch lasts 50 ms, best of
5 batches), under torch.no_grad. Prints microseconds per call in the same table layout.

Run: python scripts/bench_pytorch_elementwise.py [threads]
"""
import sys
import time

import torch


def seconds_per_call(body, minimum=0.05, rounds=5):
    body()
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            body()
        elapsed = time.perf_counter() - start
        if elapsed >= minimum:
            break
        iterations *= 10 if elapsed < minimum / 10 else 2
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iterations):
            body()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best


def operands(rows, cols):
    return (torch.randn(rows, cols), torch.randn(rows, cols), torch.randn(cols), torch.rand(rows, cols) + 0.01)


OPS = [
    ("add", lambda o: o[0] + o[1]),
    ("add bias row", lambda o: o[0] + o[2]),
    ("mul", lambda o: o[0] * o[1]),
    ("relu", lambda o: torch.relu(o[0])),
    ("sigmoid", lambda o: torch.sigmoid(o[0])),
    ("tanh", lambda o: torch.tanh(o[0])),
    ("gelu", lambda o: torch.nn.functional.gelu(o[0])),
    ("silu", lambda o: torch.nn.functional.silu(o[0])),
    ("elu", lambda o: torch.nn.functional.elu(o[0])),
    ("exp", lambda o: torch.exp(o[0])),
    ("log", lambda o: torch.log(o[3])),
    ("sum", lambda o: o[0].sum()),
    ("sum dim 0", lambda o: o[0].sum(0)),
    ("softmax", lambda o: torch.softmax(o[0], 1)),
    ("log_softmax", lambda o: torch.log_softmax(o[0], 1)),
    ("transpose copy", lambda o: o[0].t().contiguous()),
    ("rand", lambda o: torch.rand(o[0].shape)),
    ("randn", lambda o: torch.randn(o[0].shape)),
]


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    print(f"PyTorch {torch.__version__}, {threads} threads: element-wise ops (µs per call, best of 5)")
    print(f"{'op':<16}{'64×256':<12}1M")
    small, large = operands(64, 256), operands(1024, 1024)
    with torch.no_grad():
        for name, op in OPS:
            s = seconds_per_call(lambda: op(small))
            l = seconds_per_call(lambda: op(large))
            print(f"{name:<16}{s * 1e6:<12.2f}{l * 1e6:.1f}")


if __name__ == "__main__":
    main()
