"""Generates the PyTorch reference fixtures for Ember's statistics and running extremes: nansum,
nanmean, quantile and nanquantile (every interpolation, NaN rows, keepdim), kthvalue, mode,
cummax/cummin (ties and NaN), logcumsumexp (entries far apart), aminmax, var_mean, std_mean,
count_nonzero and movedim; values, indices and the gradients of Σ out·w.

    .venv-bench/bin/python scripts/make_statistics_fixtures.py

Writes Tests/EmberTests/Fixtures/statistics.json.
"""
import json
import math
import os

import torch

torch.manual_seed(7707)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "statistics.json")
NAN = float("nan")


def L(t):
    out = []
    for v in t.detach().reshape(-1).tolist():
        v = float(v)
        out.append("nan" if math.isnan(v) else ("inf" if v == math.inf else ("-inf" if v == -math.inf else v)))
    return out


def graded(fn, x):
    """fn's output(s) on a leaf copy of x and the gradient of Σ first-output·w."""
    leaf = x.clone().requires_grad_(True)
    out = fn(leaf)
    values = out[0] if isinstance(out, tuple) else out
    w = torch.randn(values.shape)
    case = dict(x=L(x), x_shape=list(x.shape), out=L(values), out_shape=list(values.shape), w=L(w))
    if isinstance(out, tuple):
        case["indices"] = out[1].reshape(-1).tolist()
    if values.requires_grad:
        (values * w).nansum().backward()
        case["grad"] = L(leaf.grad)
    return case


def main():
    x = torch.randn(4, 5)
    with_nan = x.clone()
    with_nan[0, 1] = NAN
    with_nan[2, 0] = NAN
    with_nan[3] = NAN   # a row of NaN only
    nan_cases = []
    for dims, keepdim in [((), False), ((1,), False), ((0,), True), ((0, 1), True)]:
        nan_cases.append(dict(dims=list(dims), keepdim=keepdim,
                              nansum=graded(lambda t: torch.nansum(t, dim=dims or None, keepdim=keepdim), with_nan),
                              nanmean=graded(lambda t: torch.nanmean(t, dim=dims or None, keepdim=keepdim), with_nan)))

    # Distinct entries: with ties, which of two equal entries gets the gradient depends on the sort.
    q_input = torch.randperm(21).float().reshape(3, 7) * 0.5 - 4 + torch.rand(3, 7) * 0.1
    q_nan = q_input.clone()
    q_nan[1, 3] = NAN
    q_nan[2] = NAN
    quantiles = []
    for q in [0.3, [0.0, 0.25, 0.5, 0.9, 1.0]]:
        for dim, keepdim in [(None, False), (1, False), (0, True), (None, True)]:
            for interpolation in ["linear", "lower", "higher", "midpoint", "nearest"]:
                qt = torch.tensor(q)
                for nan_input in [False, True]:
                    source = q_nan if nan_input else q_input
                    for fn_name, fn in [("quantile", torch.quantile), ("nanquantile", torch.nanquantile)]:
                        if fn_name == "nanquantile" and not nan_input:
                            continue
                        case = graded(lambda t: fn(t, qt, dim=dim, keepdim=keepdim, interpolation=interpolation), source)
                        case.update(fn=fn_name, q=q, dim=dim, keepdim=keepdim, interpolation=interpolation)
                        quantiles.append(case)

    distinct = torch.randperm(24).float().reshape(4, 6) * 0.37 - 3
    kth = [dict(k=2, dim=1, keepdim=False, **graded(lambda t: torch.kthvalue(t, 2, dim=1), distinct)),
           dict(k=4, dim=0, keepdim=True, **graded(lambda t: torch.kthvalue(t, 4, dim=0, keepdim=True), distinct))]

    counts = torch.randint(0, 4, (3, 8)).float()
    modes = [dict(dim=1, keepdim=False, **graded(lambda t: torch.mode(t, dim=1), counts)),
             dict(dim=0, keepdim=True, **graded(lambda t: torch.mode(t, dim=0, keepdim=True), counts))]

    running = torch.randint(-3, 4, (3, 9)).float()
    running[1, 4] = NAN
    running[1, 7] = NAN
    running[2, 0] = NAN
    scans = dict(cummax1=graded(lambda t: torch.cummax(t, dim=1), running),
                 cummin1=graded(lambda t: torch.cummin(t, dim=1), running),
                 cummax0=graded(lambda t: torch.cummax(t, dim=0), running[:, :4].contiguous()))
    wide = torch.cat([torch.randn(2, 6) * 40, torch.tensor([[-200.0, -150.0, 0.0, 90.0, 90.0, -300.0],
                                                            [1e-3, 2e-3, -1e-3, 5.0, -80.0, 80.0]])])
    scans["logcumsumexp1"] = graded(lambda t: torch.logcumsumexp(t, dim=1), wide)
    # Runs of −∞ (log 0) after a finite entry: PyTorch's gradient there is 0.
    empty = torch.tensor([[1.0, 2.0, -math.inf, 3.0, -math.inf, -math.inf, -math.inf, 4.0],
                          [0.0, -math.inf, -math.inf, 1.0, 2.0, -math.inf, 5.0, -math.inf]])
    scans["logcumsumexp_neginf"] = graded(lambda t: torch.logcumsumexp(t, dim=1), empty)
    scans["logcumsumexp0"] = graded(lambda t: torch.logcumsumexp(t, dim=0), wide)

    y = torch.randn(3, 4, 5)
    y[0, 0, :2] = 0
    composites = dict(x=L(y), aminmax=[L(v) for v in torch.aminmax(y, dim=1)],
                      var_mean=[L(v) for v in torch.var_mean(y, dim=(0, 2))],
                      std_mean=[L(v) for v in torch.std_mean(y, dim=2, correction=0, keepdim=True)],
                      count_nonzero=torch.count_nonzero(torch.relu(y), dim=(1,)).tolist(),
                      count_all=int(torch.count_nonzero(torch.relu(y))),
                      movedim=L(torch.movedim(y, (0, 2), (2, 0)).contiguous()),
                      movedim_shape=list(torch.movedim(y, (0, 2), (2, 0)).shape),
                      movedim1=L(torch.movedim(y, 0, -1).contiguous()))
    with open(OUT, "w") as f:
        json.dump(dict(nan=nan_cases, quantiles=quantiles, kthvalue=kth, mode=modes, scans=scans,
                       composites=composites), f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
