"""Generates the PyTorch reference fixtures for Ember's 3-D layers: conv3d and conv_transpose3d (groups, stride, padding,
dilation, 'same' with odd totals, reflect and circular padding modes), max_pool3d (ties, NaN,
padding, dilation), avg_pool3d (with and without counting the padding), adaptive average and max
pooling to uneven sizes, BatchNorm3d and InstanceNorm3d; outputs, input and parameter gradients,
and the layers' reprs.

    .venv-bench/bin/python scripts/make_3d_fixtures.py

Writes Tests/EmberTests/Fixtures/nn_3d.json (references in float64 from float32 values).
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3303)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "nn_3d.json")


def L(t):
    return ["nan" if math.isnan(v) else round(float(v), 8) for v in t.detach().reshape(-1).tolist()]


def leaf(t):
    return t.float().double().requires_grad_(True)


def run(module, x):
    """Output and gradients of Σ out·w for a fixed float32 w: the input's and each parameter's."""
    module.zero_grad()
    out = module(x)
    w = torch.randn(out.shape).double()
    (out * w).sum().backward()
    params = {name: L(p) for name, p in module.named_parameters()}
    grads = {name: L(p.grad) for name, p in module.named_parameters()}
    return dict(repr=repr(module), x_shape=list(x.shape), x=L(x), out_shape=list(out.shape), out=L(out), w=L(w),
                grad_x=L(x.grad), params=params, grads=grads)


fixture = {}

conv_cases = [
    dict(args=(4, 6, (3, 2, 3)), kwargs=dict(stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
         shape=(2, 4, 5, 6, 7)),
    dict(args=(3, 2, (2, 3, 2)), kwargs=dict(padding="same", dilation=(2, 1, 1), bias=False), shape=(1, 3, 4, 5, 4)),
    dict(args=(2, 3, 3), kwargs=dict(padding=1, padding_mode="reflect"), shape=(2, 2, 4, 4, 5)),
    dict(args=(2, 2, (1, 3, 3)), kwargs=dict(padding=(0, 1, 1), padding_mode="circular", stride=(1, 2, 1)), shape=(1, 2, 3, 5, 4)),
    dict(args=(2, 3, 2), kwargs=dict(), shape=(2, 3, 3, 4)),   # unbatched
    # Odd 'same' totals in every dim (the extra slice at the back), and with replicate padding.
    dict(args=(2, 2, (2, 2, 4)), kwargs=dict(padding="same", bias=False), shape=(1, 2, 3, 4, 5)),
    dict(args=(2, 2, (2, 3, 2)), kwargs=dict(padding="same", padding_mode="replicate"), shape=(1, 2, 4, 3, 5)),
]
fixture["conv"] = []
for case in conv_cases:
    module = nn.Conv3d(*case["args"], **case["kwargs"]).double()
    fixture["conv"].append(run(module, leaf(torch.randn(case["shape"]))))

fixture["conv_transpose"] = [
    run(nn.ConvTranspose3d(4, 6, (3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 1), groups=2,
                           dilation=(1, 2, 1)).double(), leaf(torch.randn(2, 4, 3, 4, 3))),
    run(nn.ConvTranspose3d(2, 3, 2, stride=2).double(), leaf(torch.randn(1, 2, 2, 3, 3))),
    run(nn.ConvTranspose3d(2, 2, (2, 3, 1), padding=(1, 1, 0), bias=False, dilation=(2, 1, 1)).double(),
        leaf(torch.randn(2, 3, 3, 4))),   # unbatched
]
sized = nn.ConvTranspose3d(2, 2, 3, stride=2, padding=1).double()
sized_x = torch.randn(1, 2, 3, 3, 3).double()
fixture["conv_transpose_sized"] = dict(params={k: L(v) for k, v in sized.named_parameters()}, x=L(sized_x),
                                       out=L(sized(sized_x, output_size=(6, 5, 6))))

# Integers make ties: the first maximum in (d, h, w) order must win, as in PyTorch.
ties = torch.randint(0, 4, (2, 3, 5, 6, 7)).double()
pool_cases = [
    (nn.MaxPool3d((2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(1, 1, 2)), ties),
    (nn.MaxPool3d(2), torch.randn(1, 2, 4, 5, 6)),
    (nn.MaxPool3d((2, 2, 1), stride=(1, 1, 2), padding=(1, 0, 0), dilation=(2, 1, 1)), torch.randn(1, 2, 5, 4, 5)),
    (nn.AvgPool3d((3, 2, 3), stride=(2, 1, 2), padding=1), torch.randn(2, 2, 5, 4, 6)),
    (nn.AvgPool3d((3, 2, 3), stride=(2, 1, 2), padding=1, count_include_pad=False), torch.randn(2, 2, 5, 4, 6)),
    (nn.AdaptiveAvgPool3d((3, 2, 4)), torch.randn(2, 3, 7, 5, 9)),
    (nn.AdaptiveAvgPool3d(1), torch.randn(2, 3, 4, 5, 6)),
    (nn.AdaptiveMaxPool3d((3, 2, 4)), torch.randint(0, 3, (2, 3, 7, 5, 9)).double()),
    (nn.AdaptiveMaxPool3d((2, 2, 3)), torch.randn(3, 4, 6, 6)),   # unbatched, even windows
    (nn.AdaptiveAvgPool3d((4, 3, 2)), torch.randn(1, 2, 4, 7, 5)),  # depth already the output size
]
fixture["pool"] = [run(module, leaf(x)) for module, x in pool_cases]

# With NaNs the last one in (d, h, w) order wins, in 3-D and in 2-D (two in a row included).
nan = float("nan")
nan_cases = []
for x, kernel in ((torch.tensor([1.0, nan, 3.0, 0.0, nan, 2.0, 5.0, 4.0]).reshape(1, 1, 2, 2, 2), 2),
                  (torch.tensor([nan, nan, 1.0, 1.0, 2.0, 0.0, 1.0, 3.0]).reshape(1, 1, 2, 2, 2), (2, 2, 2)),
                  (torch.tensor([[nan, nan], [1.0, 1.0]]).reshape(1, 1, 2, 2), 2),
                  (torch.tensor([[nan, 1.0], [nan, 1.0]]).reshape(1, 1, 2, 2), 2),
                  (torch.tensor([[1.0, nan], [nan, 1.0]]).reshape(1, 1, 2, 2), 2),
                  (torch.tensor([[nan, nan, nan], [1.0, nan, 1.0], [0.0, 0.0, 0.0]]).reshape(1, 1, 3, 3), 3)):
    x = x.double().requires_grad_(True)
    out = (F.max_pool3d if x.dim() == 5 else F.max_pool2d)(x, kernel)
    out.sum().backward()
    nan_cases.append(dict(shape=list(x.shape), x=L(x), grad_x=L(x.grad)))
fixture["max_nan"] = nan_cases

norms = []
bn = nn.BatchNorm3d(3).double()
with torch.no_grad():
    bn.weight.copy_(torch.randn(3))
    bn.bias.copy_(torch.randn(3))
bn_case = run(bn, leaf(torch.randn(2, 3, 3, 4, 5) * 2 + 1))
bn_case.update(running_mean=L(bn.running_mean), running_var=L(bn.running_var))
bn.eval()
eval_x = torch.randn(2, 3, 2, 2, 3).double()
bn_case.update(eval_x=L(eval_x), eval_out=L(bn(eval_x)))
norms.append(bn_case)
inorm = nn.InstanceNorm3d(3, affine=True).double()
with torch.no_grad():
    inorm.weight.copy_(torch.randn(3))
    inorm.bias.copy_(torch.randn(3))
norms.append(run(inorm, leaf(torch.randn(2, 3, 3, 4, 5))))
norms.append(run(inorm, leaf(torch.randn(3, 2, 4, 3))))   # unbatched
fixture["norm"] = norms

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(OUT, os.path.getsize(OUT), "bytes")
