"""Generates the PyTorch reference fixtures for Ember's pooling options beyond the basics: ceil_mode
for max and average pooling in 1-D, 2-D and 3-D (with and without counting the padding),
divisor_override, LPPool1d/2d/3d, max pooling's indices (return_indices=True), MaxUnpool1d/2d/3d
(default and given output sizes, overlapping windows whose winners repeat), Tensor.scatter, and
fractional max pooling 2-D and 3-D with PyTorch's random samples passed in;
outputs, gradients and the layers' reprs.

    .venv-bench/bin/python scripts/make_pooling_fixtures.py

Writes Tests/EmberTests/Fixtures/pooling.json (references in float64 from float32 values).
"""
import json
import math
import os

import torch
import torch.nn as nn

torch.manual_seed(4404)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "pooling.json")


def L(t):
    return ["nan" if math.isnan(v) else round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def leaf(t):
    return t.float().double().requires_grad_(True)


def run(module, x):
    """Output and the input's gradient of Σ out·w for a fixed float32 w."""
    out = module(x)
    w = torch.randn(out.shape).float().double()
    (out * w).sum().backward()
    return dict(repr=repr(module), x_shape=list(x.shape), x=L(x), out_shape=list(out.shape), out=L(out), w=L(w),
                grad_x=L(x.grad))


fixture = {}

# Odd sizes, so that ceil mode adds a partial window (and the 2x2 kernel's last one runs past the end).
pool_cases = [
    (nn.MaxPool1d(2, ceil_mode=True), torch.randn(2, 3, 7)),
    (nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), torch.randn(2, 7)),
    (nn.AvgPool1d(3, stride=2, ceil_mode=True), torch.randn(2, 3, 8)),
    (nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), torch.randn(1, 2, 8)),
    (nn.MaxPool2d(2, ceil_mode=True), torch.randn(2, 2, 5, 7)),
    (nn.MaxPool2d((3, 2), stride=2, padding=1, dilation=(1, 2), ceil_mode=True), torch.randn(1, 2, 8, 9)),
    (nn.MaxPool2d(3, stride=2, ceil_mode=True), torch.randn(2, 6, 6)),
    (nn.AvgPool2d(3, stride=2, ceil_mode=True), torch.randn(2, 2, 6, 7)),
    (nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), torch.randn(1, 2, 6, 8)),
    (nn.AvgPool2d((2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False), torch.randn(1, 2, 7, 6)),
    (nn.AvgPool2d(3, stride=2, padding=1, divisor_override=4), torch.randn(1, 2, 5, 6)),
    (nn.AvgPool2d(2, ceil_mode=True, divisor_override=3), torch.randn(1, 1, 5, 5)),
    (nn.MaxPool3d(2, ceil_mode=True), torch.randn(1, 2, 3, 5, 5)),
    (nn.MaxPool3d((3, 2, 2), stride=(2, 2, 1), padding=(1, 0, 1), ceil_mode=True), torch.randn(1, 2, 6, 5, 4)),
    (nn.AvgPool3d(2, ceil_mode=True), torch.randn(1, 2, 3, 5, 5)),
    (nn.AvgPool3d((3, 2, 3), stride=2, padding=(1, 0, 1), ceil_mode=True, count_include_pad=False), torch.randn(1, 2, 6, 5, 6)),
    (nn.AvgPool3d(2, padding=1, divisor_override=5), torch.randn(1, 2, 3, 4, 3)),
    (nn.AvgPool3d((3, 2, 3), stride=2, padding=(1, 0, 1), ceil_mode=True), torch.randn(1, 2, 6, 5, 6)),
    # Ceil mode lets a window run up to stride - 1 past the padded input.
    (nn.MaxPool2d(3, stride=3, ceil_mode=True), torch.randn(1, 1, 2, 4)),
    (nn.AvgPool1d(3, stride=3, ceil_mode=True), torch.randn(1, 2, 2)),
    (nn.LPPool1d(2.0, 3, stride=2), torch.randn(2, 3, 9)),
    (nn.LPPool1d(3.0, 2, ceil_mode=True), torch.randn(2, 3, 7)),
    (nn.LPPool2d(2.0, 2), torch.randn(1, 2, 6, 6)),
    (nn.LPPool2d(1.5, (3, 2), stride=(2, 1), ceil_mode=True), torch.rand(1, 2, 6, 5) + 0.1),
    (nn.LPPool3d(2.0, 2, stride=(1, 2, 2)), torch.randn(1, 2, 3, 4, 4)),
]
fixture["pool"] = [run(module, leaf(x)) for module, x in pool_cases]

# Max pooling's indices and unpooling with them: values, indices, the unpooled output and the
# gradient that reaches the pooled values through the unpooling (Σ unpooled·w).
def unpool_case(pool, unpool, x, output_size=None):
    x = leaf(x)
    values, indices = pool(x)
    pooled = values.detach().requires_grad_(True)
    unpooled = unpool(pooled, indices, output_size=output_size)
    w = torch.randn(unpooled.shape).float().double()
    (unpooled * w).sum().backward()
    return dict(repr=repr(unpool), x_shape=list(x.shape), x=L(x), values=L(values), indices=indices.reshape(-1).tolist(),
                out_shape=list(values.shape), output_size=output_size, unpooled_shape=list(unpooled.shape),
                unpooled=L(unpooled), w=L(w), grad_values=L(pooled.grad))


fixture["unpool"] = [
    unpool_case(nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2), torch.randn(2, 3, 8)),
    unpool_case(nn.MaxPool1d(3, stride=2, ceil_mode=True, return_indices=True), nn.MaxUnpool1d(3, stride=2),
                torch.randn(2, 8), output_size=[8]),
    unpool_case(nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2), torch.randn(2, 2, 4, 6)),
    unpool_case(nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2), torch.randn(1, 2, 5, 5), output_size=[1, 2, 5, 5]),
    # Overlapping windows: a winner of two windows is unpooled once, and gets both gradients.
    unpool_case(nn.MaxPool2d(3, stride=2, padding=1, return_indices=True), nn.MaxUnpool2d(3, stride=2, padding=1),
                torch.randn(1, 1, 6, 6), output_size=[6, 6]),
    unpool_case(nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2), torch.randn(1, 2, 4, 4, 6)),
    # Ties everywhere: the first maximum in (d, h, w) order wins.
    unpool_case(nn.MaxPool3d(2, stride=(1, 2, 1), return_indices=True), nn.MaxUnpool3d(2, stride=(1, 2, 1)),
                torch.randint(0, 3, (1, 2, 3, 4, 4)).float(), output_size=[3, 4, 4]),
    unpool_case(nn.MaxPool3d((2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0), ceil_mode=True, return_indices=True),
                nn.MaxUnpool3d((2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0)), torch.randn(1, 2, 5, 5, 4), output_size=[5, 5, 4]),
]

# scatter: out[i][index[i][j]] = src[i][j] along dim 1 and dim 0 (distinct indices per line), and
# the gradients of Σ out·w for the tensor and src.
def scatter_case(dim, shape, index):
    x, src = leaf(torch.randn(shape)), leaf(torch.randn(index.shape))
    out = x.scatter(dim, index, src)
    w = torch.randn(out.shape).float().double()
    (out * w).sum().backward()
    return dict(dim=dim, shape=list(shape), x=L(x), index_shape=list(index.shape), index=index.reshape(-1).tolist(),
                src=L(src), out=L(out), w=L(w), grad_x=L(x.grad), grad_src=L(src.grad))


fixture["scatter"] = [
    scatter_case(1, (3, 5), torch.tensor([[4, 0, 2], [1, 3, 0], [2, 1, 4]])),
    scatter_case(0, (4, 3), torch.tensor([[3, 0, 1], [0, 2, 3]])),
    scatter_case(1, (2, 4, 3), torch.tensor([[[1, 2, 0], [3, 0, 2]], [[0, 1, 1], [2, 3, 0]]])),
]

# Fractional max pooling with PyTorch's own random samples passed in (float32, as the window starts
# are computed in the input's dtype): values, indices and the input's gradient. The tied case has
# small integers, so the first maximum of a window must win.
import torch.nn.functional as F
fractional = {}
for name, x, kernel, size in [
        ("2d", torch.randn(2, 3, 9, 11), (2, 3), (5, 4)),
        ("2d_ties", torch.randint(0, 3, (1, 2, 7, 7)).float(), 3, (4, 4)),
        ("2d_one_window", torch.randn(1, 1, 6, 5), (3, 2), (1, 2)),
        ("3d", torch.randn(1, 2, 5, 6, 7), 2, (3, 4, 3))]:
    x = x.requires_grad_(True)
    dims = x.dim() - 2
    samples = torch.rand(x.shape[0], x.shape[1], dims)
    pool = F.fractional_max_pool2d if dims == 2 else F.fractional_max_pool3d
    out, indices = pool(x, kernel, output_size=size, return_indices=True, _random_samples=samples)
    w = torch.randn(out.shape)
    (out * w).sum().backward()
    fractional[name] = dict(x=L(x), shape=list(x.shape), kernel=list(kernel) if isinstance(kernel, tuple) else [kernel] * dims,
                            size=list(size), samples=L(samples), out=L(out), indices=indices.reshape(-1).tolist(), w=L(w),
                            grad=L(x.grad))
fixture["fractional"] = fractional
fixture["fractional_reprs"] = [str(nn.FractionalMaxPool2d(3, output_ratio=0.5)), str(nn.FractionalMaxPool3d(2, output_size=3))]

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", os.path.normpath(OUT))
