"""PyTorch's side of `ember-bench linalg`: milliseconds per call of torch.linalg on the same shapes,
forward and forward + backward.

    .venv-bench/bin/python scripts/bench_pytorch_linalg.py [threads]
"""
import sys

import torch

from bench_pytorch_elementwise import seconds_per_call   # the same timing as Ember's secondsPerCall

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(1)


def matrix(*shape, spd=False):
    m = torch.randn(*shape)
    n = shape[-1]
    return m @ m.mT + n * torch.eye(n) if spd else m + n ** 0.5 * torch.eye(n)


spd512, general512, rhs = matrix(512, 512, spd=True), matrix(512, 512), torch.randn(512, 64)
small_right = torch.randn(10000, 4, 3)
small, spd256, tall = matrix(10000, 4, 4), matrix(256, 256, spd=True), torch.randn(512, 256)
cases = [
    ("inv 512", general512, torch.linalg.inv),
    ("solve 512, 64 rhs", general512, lambda a: torch.linalg.solve(a, rhs)),
    ("det 512", general512, lambda a: torch.linalg.slogdet(a).logabsdet),
    ("cholesky 512", spd512, torch.linalg.cholesky),
    ("eigh 256", spd256, lambda a: torch.linalg.eigh(a).eigenvalues),
    ("svd 512x256", tall, lambda a: torch.linalg.svd(a, full_matrices=False).S),
    ("qr 512x256", tall, lambda a: torch.linalg.qr(a).R),
    ("inv 10000x4x4", small, torch.linalg.inv),
    ("det 10000x4x4", small, torch.linalg.det),
    ("inv 1000x16x16", matrix(1000, 16, 16), torch.linalg.inv),
    ("inv 200x64x64", matrix(200, 64, 64), torch.linalg.inv),
    ("det 200x64x64", matrix(200, 64, 64), torch.linalg.det),
    ("trsolve 10000x4x4", small, lambda a: torch.linalg.solve_triangular(a, small_right, upper=False)),
]
print(f"PyTorch {torch.__version__} linear algebra, {torch.get_num_threads()} threads (ms per call: forward, forward + backward)")
for name, x, op in cases:
    with torch.no_grad():
        forward = seconds_per_call(lambda: op(x))
    leaf = x.clone().requires_grad_(True)

    def both():
        leaf.grad = None
        op(leaf).sum().backward()

    print(f"{name:<20}{forward * 1e3:.2f}  {seconds_per_call(both) * 1e3:.2f}")
