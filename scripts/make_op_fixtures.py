#!/usr/bin/env python3
"""Generates Tests/EmberTests/Fixtures/ops.json: PyTorch reference values for Ember's ops.

Run with: /opt/torchenv/bin/python scripts/make_op_fixtures.py

Every case lists its inputs as a leaf `base` tensor plus a `layout` that turns the base into the op's
input without copying, so strided views are exercised on both sides:
  c  the base itself (contiguous)
  t  base has the last two dims swapped; input = base.transpose(-1, -2)
  s  base has the last dim doubled;     input = base[..., ::2]
  e  base has dim 0 of size 1;          input = base.expand(shape)
The loss is sum(op(inputs) * weight) with a fixed random weight; grads are d loss / d base.
Inputs are drawn from a fixed seed and written into the JSON, so Ember never needs torch.
"""
import json
import os

import numpy as np
import torch

rng = np.random.default_rng(20240601)
torch.manual_seed(0)


def values(kind, n):
    if kind == "normal":
        return rng.standard_normal(n)
    if kind == "positive":
        return rng.uniform(0.5, 2.0, n)
    if kind == "distinct":
        # Distinct, at least 0.075 from 0 and ±0.6 and 0.15 apart: finite differences with h = 0.01
        # never cross a kink of relu/abs/clamp/max.
        return (rng.permutation(n) - n // 2 + 0.5) * 0.15
    raise ValueError(kind)


def base_shape(shape, layout):
    shape = list(shape)
    if layout == "t":
        shape[-1], shape[-2] = shape[-2], shape[-1]
    elif layout == "s":
        shape[-1] *= 2
    elif layout == "e":
        shape[0] = 1
    return shape


def apply_layout(base, layout, shape):
    if layout == "t":
        return base.transpose(-1, -2)
    if layout == "s":
        return base[..., ::2]
    if layout == "e":
        return base.expand(*shape)
    return base


def r(a):
    """Float32 values rounded to 7 significant digits (plain floats for JSON)."""
    return [float("%.7g" % v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


cases = []


def case(name, op, inputs, fn, args=None, grad=True):
    """inputs: list of (shape, kind, layout) or ("int", shape, values)."""
    json_inputs, leaves, xs = [], [], []
    for spec in inputs:
        if spec[0] == "int":
            _, shape, ints = spec
            t = torch.tensor(ints, dtype=torch.int64).reshape(shape)
            json_inputs.append({"int": True, "shape": list(shape), "base": [int(v) for v in ints]})
            leaves.append(None)
            xs.append(t)
            continue
        shape, kind, layout = spec
        bshape = base_shape(shape, layout)
        data = np.float32(values(kind, int(np.prod(bshape, dtype=np.int64))))
        base = torch.tensor(r(data), dtype=torch.float32).reshape(bshape).requires_grad_(grad)
        json_inputs.append({"shape": list(shape), "layout": layout, "baseShape": bshape, "base": r(base.detach())})
        leaves.append(base)
        xs.append(apply_layout(base, layout, shape))
    out = fn(*xs)
    extra = {}
    if isinstance(out, tuple):
        out, indices = out
        extra["indices"] = [int(v) for v in indices.reshape(-1)]
    entry = {"name": name, "op": op, "args": args or {}, "inputs": json_inputs,
             "outShape": list(out.shape), "out": r(out.detach().float())}
    entry.update(extra)
    if grad and out.requires_grad:
        weight = torch.tensor(r(np.float32(rng.standard_normal(out.numel()))), dtype=torch.float32).reshape(out.shape)
        (out * weight).sum().backward()
        entry["weight"] = r(weight)
        entry["grads"] = [None if leaf is None or leaf.grad is None else r(leaf.grad) for leaf in leaves]
    cases.append(entry)


# Unary math and activations, on contiguous, transposed and sliced inputs.
unary = {
    "neg": (lambda x: -x, "normal"),
    "exp": (torch.exp, "normal"),
    "log": (torch.log, "positive"),
    "sqrt": (torch.sqrt, "positive"),
    "rsqrt": (torch.rsqrt, "positive"),
    "abs": (torch.abs, "distinct"),
    "square": (torch.square, "normal"),
    "reciprocal": (torch.reciprocal, "positive"),
    "sin": (torch.sin, "normal"),
    "cos": (torch.cos, "normal"),
    "relu": (torch.relu, "distinct"),
    "sigmoid": (torch.sigmoid, "normal"),
    "tanh": (torch.tanh, "normal"),
    "gelu": (torch.nn.functional.gelu, "normal"),
    "sign": (torch.sign, "distinct"),
}
for name, (fn, kind) in unary.items():
    for layout in ["c", "t", "s"]:
        case(f"{name}_{layout}", name, [([3, 4], kind, layout)], fn)
case("leakyRelu", "leakyRelu", [([3, 4], "distinct", "t")], lambda x: torch.nn.functional.leaky_relu(x, 0.1),
     {"slope": 0.1})
# Scaled by 2.5 so that some inputs pass the threshold (the linear branch) but none sits within h of it.
case("softplus", "softplus", [([4, 5], "distinct", "c")],
     lambda x: torch.nn.functional.softplus(x * 2.5, beta=2, threshold=4), {"beta": 2.0, "threshold": 4.0, "prescale": 2.5})
case("clamp", "clamp", [([4, 6], "distinct", "s")], lambda x: torch.clamp(x, -0.6, 0.6), {"min": -0.6, "max": 0.6})
case("clamp_min", "clampMin", [([4, 6], "distinct", "c")], lambda x: torch.clamp(x, min=-0.6), {"min": -0.6})
case("pow_scalar3", "powScalar", [([3, 4], "normal", "t")], lambda x: x ** 3, {"p": 3.0})
case("pow_scalar_half", "powScalar", [([3, 4], "positive", "c")], lambda x: x ** 0.5, {"p": 0.5})
case("pow_scalar_m1.5", "powScalar", [([3, 4], "positive", "s")], lambda x: x ** -1.5, {"p": -1.5})

# Scalar arithmetic.
case("add_scalar", "addScalar", [([2, 3], "normal", "c")], lambda x: x + 1.5, {"s": 1.5})
case("rsub_scalar", "rsubScalar", [([2, 3], "normal", "t")], lambda x: 1.5 - x, {"s": 1.5})
case("mul_scalar", "mulScalar", [([2, 3], "normal", "s")], lambda x: x * -2.5, {"s": -2.5})
case("div_scalar", "divScalar", [([2, 3], "normal", "c")], lambda x: x / 4.0, {"s": 4.0})
case("rdiv_scalar", "rdivScalar", [([2, 3], "positive", "c")], lambda x: 3.0 / x, {"s": 3.0})

# Broadcasting binary ops, including strided and expanded operands.
binary = {
    "add": (lambda a, b: a + b, "normal", "normal"),
    "sub": (lambda a, b: a - b, "normal", "normal"),
    "mul": (lambda a, b: a * b, "normal", "normal"),
    "div": (lambda a, b: a / b, "normal", "positive"),
    "pow": (torch.pow, "positive", "normal"),
    "maximum": (torch.maximum, "distinct", "distinct"),
    "minimum": (torch.minimum, "distinct", "distinct"),
}
shape_pairs = [
    ("same", [3, 4], "c", [3, 4], "c"),
    ("row", [3, 4], "c", [4], "c"),
    ("col", [2, 3, 4], "t", [3, 1], "c"),
    ("outer", [3, 1], "c", [1, 4], "c"),
    ("rank0", [2, 3], "s", [], "c"),
    ("expanded", [3, 4], "e", [2, 3, 4], "s"),
]
for name, (fn, ka, kb) in binary.items():
    for tag, sa, la, sb, lb in shape_pairs:
        case(f"{name}_{tag}", name, [(sa, ka, la), (sb, kb, lb)], fn)

# Comparisons (0/1 float results, no gradient) and where.
cmp_a = [0.0, 1.0, 2.0, -1.0, 1.0, 3.0]
for name, fn in {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt,
                 "ge": torch.ge}.items():
    a = torch.tensor(cmp_a).reshape(2, 3)
    b = torch.tensor([1.0, 1.0, 3.0])
    cases.append({"name": f"cmp_{name}", "op": name, "args": {}, "inputs": [
        {"shape": [2, 3], "layout": "c", "baseShape": [2, 3], "base": cmp_a},
        {"shape": [3], "layout": "c", "baseShape": [3], "base": [1.0, 1.0, 3.0]}],
        "outShape": [2, 3], "out": r(fn(a, b).float())})
    case(f"cmp_{name}_scalar", name + "Scalar", [([3, 4], "distinct", "t")], lambda x, fn=fn: fn(x, 0.3).float(),
         {"s": 0.3}, grad=False)
case("where", "where", [([2, 3, 4], "distinct", "c"), ([3, 4], "normal", "t"), ([2, 1, 4], "normal", "c")],
     lambda c, a, b: torch.where(c > 0, a, b))

# Reductions.
case("sum_all", "sum", [([3, 4], "normal", "t")], torch.sum)
case("sum_dim0", "sumDims", [([3, 4], "normal", "s")], lambda x: x.sum(0), {"dims": [0], "keepdim": False})
case("sum_dims02_keep", "sumDims", [([2, 3, 4], "normal", "c")], lambda x: x.sum((0, 2), keepdim=True),
     {"dims": [0, 2], "keepdim": True})
case("sum_dim_neg1", "sumDims", [([2, 3, 4], "normal", "t")], lambda x: x.sum(-1), {"dims": [-1], "keepdim": False})
case("mean_all", "mean", [([3, 4], "normal", "e")], torch.mean)
case("mean_dim1_keep", "meanDims", [([2, 3, 4], "normal", "s")], lambda x: x.mean(1, keepdim=True),
     {"dims": [1], "keepdim": True})
case("var_dim1", "var", [([3, 5], "normal", "c")], lambda x: x.var(1), {"dims": [1], "unbiased": True, "keepdim": False})
case("var_dim0_biased_keep", "var", [([4, 3], "normal", "t")], lambda x: x.var(0, unbiased=False, keepdim=True),
     {"dims": [0], "unbiased": False, "keepdim": True})
case("var_all", "varAll", [([3, 4], "normal", "c")], lambda x: x.var())
case("std_dim1", "std", [([3, 5], "normal", "s")], lambda x: x.std(1), {"dims": [1], "unbiased": True, "keepdim": False})
case("std_all", "stdAll", [([3, 4], "normal", "c")], lambda x: x.std())
for name, fn in {"max": torch.max, "min": torch.min}.items():
    case(f"{name}_dim1", name + "Dim", [([3, 5], "distinct", "c")], lambda x, fn=fn: tuple(fn(x, 1)),
         {"dim": 1, "keepdim": False})
    case(f"{name}_dim0_keep", name + "Dim", [([2, 3, 4], "distinct", "t")], lambda x, fn=fn: tuple(fn(x, 0, keepdim=True)),
         {"dim": 0, "keepdim": True})
    case(f"{name}_all", name, [([3, 4], "distinct", "s")], fn)
case("argmax_dim1", "argmax", [([3, 5], "distinct", "t")], lambda x: (x.detach()[:, :1] * 0, x.argmax(1)),
     {"dim": 1}, grad=False)
case("argmax_all", "argmaxAll", [([3, 5], "distinct", "c")], lambda x: (x.detach()[:1, :1] * 0, x.argmax().reshape(1)),
     grad=False)

# Matrix products: 1-D and 2-D operands, batches with broadcasting, transposed operands.
matmuls = [
    ("dot", [4], "c", [4], "c"),
    ("vec_mat", [4], "c", [4, 3], "c"),
    ("mat_vec", [3, 4], "t", [4], "c"),
    ("mat_mat", [3, 4], "c", [4, 5], "c"),
    ("mat_mat_tt", [3, 4], "t", [4, 5], "t"),
    ("mat_mat_sliced", [3, 4], "s", [4, 2], "s"),
    ("batched", [2, 3, 4], "c", [2, 4, 5], "t"),
    ("batch_mat", [2, 3, 4], "t", [4, 5], "c"),
    ("broadcast_batch", [2, 1, 3, 4], "c", [3, 4, 2], "c"),
    ("expanded_batch", [2, 3, 4], "e", [2, 4, 2], "c"),
    ("batch_vec", [2, 3, 4], "c", [4], "c"),
]
for tag, sa, la, sb, lb in matmuls:
    case(f"matmul_{tag}", "matmul", [(sa, "normal", la), (sb, "normal", lb)], torch.matmul)
case("linear", "linear", [([5, 4], "normal", "c"), ([3, 4], "normal", "c"), ([3], "normal", "c")],
     torch.nn.functional.linear)
case("linear_3d", "linear", [([2, 5, 4], "normal", "c"), ([3, 4], "normal", "t"), ([3], "normal", "c")],
     torch.nn.functional.linear)

# Softmax family over last and non-last dims.
for dim in [0, 1, -1]:
    case(f"softmax_dim{dim}", "softmax", [([2, 3, 4], "normal", "c")], lambda x, d=dim: torch.softmax(x, d), {"dim": dim})
    case(f"logsoftmax_dim{dim}", "logSoftmax", [([2, 3, 4], "normal", "t")],
         lambda x, d=dim: torch.log_softmax(x, d), {"dim": dim})

# Joining.
case("cat_dim0", "cat", [([2, 3], "normal", "c"), ([1, 3], "normal", "c"), ([3, 3], "normal", "t")],
     lambda *xs: torch.cat(xs, 0), {"dim": 0})
case("cat_dim1", "cat", [([2, 3], "normal", "s"), ([2, 2], "normal", "c")], lambda *xs: torch.cat(xs, 1), {"dim": 1})
case("stack_dim0", "stack", [([2, 3], "normal", "c"), ([2, 3], "normal", "t")], lambda *xs: torch.stack(xs, 0), {"dim": 0})
case("stack_dim_last", "stack", [([2, 3], "normal", "s"), ([2, 3], "normal", "c")], lambda *xs: torch.stack(xs, -1),
     {"dim": -1})

# Indexing.
case("index_select_dim0", "indexSelect", [([4, 3], "normal", "c"), ("int", [5], [3, 0, 3, 1, 2])],
     lambda x, i: torch.index_select(x, 0, i), {"dim": 0})
case("index_select_dim1", "indexSelect", [([2, 3, 4], "normal", "t"), ("int", [3], [2, 2, 0])],
     lambda x, i: torch.index_select(x, 1, i), {"dim": 1})
case("gather_dim1", "gather", [([3, 4], "normal", "c"), ("int", [3, 2], [0, 3, 1, 1, 2, 0])],
     lambda x, i: torch.gather(x, 1, i), {"dim": 1})
case("gather_dim0", "gather", [([3, 4], "normal", "s"), ("int", [2, 4], [2, 0, 1, 1, 0, 0, 2, 1])],
     lambda x, i: torch.gather(x, 0, i), {"dim": 0})
cases.append({"name": "one_hot", "op": "oneHot", "args": {"classes": 4}, "inputs": [
    {"int": True, "shape": [2, 3], "base": [0, 3, 1, 2, 2, 0]}], "outShape": [2, 3, 4],
    "out": r(torch.nn.functional.one_hot(torch.tensor([[0, 3, 1], [2, 2, 0]]), 4).float())})

# Views: forward values and gradients routed back through them.
case("reshape_t", "reshape", [([3, 4], "normal", "t")], lambda x: x.reshape(2, 6), {"shape": [2, 6]})
case("permute", "permute", [([2, 3, 4], "normal", "c")], lambda x: x.permute(2, 0, 1), {"order": [2, 0, 1]})
case("slice_step", "slice", [([4, 6], "normal", "c")], lambda x: x[1:4, ::3] * 1, {"dim0": [1, 4, 1], "dim1": [0, 6, 3]})
case("narrow", "narrow", [([4, 6], "normal", "t")], lambda x: x.narrow(1, 1, 3), {"dim": 1, "start": 1, "length": 3})
case("unsqueeze_squeeze", "unsqueezeSqueeze", [([3, 4], "normal", "s")], lambda x: x.unsqueeze(1).squeeze(1) * x.unsqueeze(0)[0])
case("expand", "expand", [([3, 1], "normal", "c")], lambda x: x.expand(2, 3, 4), {"shape": [2, 3, 4]})
case("select", "select", [([3, 4], "normal", "c")], lambda x: x[1][:3] + x[:, 2], {})

# Sorting, rearranging, logsumexp and norms (appended: the cases above keep their random values).
case("sort_dim1", "sort", [([3, 5], "distinct", "t")], lambda x: tuple(torch.sort(x, 1)), {"dim": 1, "descending": False})
case("sort_dim0_desc", "sort", [([4, 2, 3], "distinct", "s")], lambda x: tuple(torch.sort(x, 0, descending=True)),
     {"dim": 0, "descending": True})
case("topk_last", "topk", [([3, 6], "distinct", "c")], lambda x: tuple(torch.topk(x, 3)), {"k": 3, "dim": -1, "largest": True})
case("topk_smallest_dim0", "topk", [([5, 3], "distinct", "t")], lambda x: tuple(torch.topk(x, 2, dim=0, largest=False)),
     {"k": 2, "dim": 0, "largest": False})
case("flip_01", "flip", [([2, 3, 4], "normal", "t")], lambda x: torch.flip(x, (0, 2)), {"dims": [0, 2]})
case("repeat", "repeat", [([2, 3], "normal", "s")], lambda x: x.repeat(2, 1, 3), {"counts": [2, 1, 3]})
case("tril", "tril", [([2, 3, 4], "normal", "c")], lambda x: torch.tril(x), {"diagonal": 0})
case("triu_1", "triu", [([4, 3], "normal", "t")], lambda x: torch.triu(x, 1), {"diagonal": 1})
case("tril_m1", "tril", [([3, 5], "normal", "c")], lambda x: torch.tril(x, -1), {"diagonal": -1})
case("logsumexp_dim1", "logsumexp", [([3, 5], "normal", "t")], lambda x: torch.logsumexp(x * 4, 1),
     {"dim": 1, "keepdim": False, "prescale": 4.0})
case("logsumexp_dim0_keep", "logsumexp", [([3, 4], "normal", "s")], lambda x: torch.logsumexp(x, 0, keepdim=True),
     {"dim": 0, "keepdim": True, "prescale": 1.0})
case("norm2_all", "norm", [([3, 4], "normal", "t")], lambda x: torch.linalg.vector_norm(x), {"p": 2.0})
case("norm2_dim1_keep", "norm", [([3, 4], "normal", "c")], lambda x: torch.linalg.vector_norm(x, 2, dim=1, keepdim=True),
     {"p": 2.0, "dim": 1, "keepdim": True})
case("norm1_dim0", "norm", [([3, 4], "distinct", "s")], lambda x: torch.linalg.vector_norm(x, 1, dim=0), {"p": 1.0, "dim": 0})
case("norm3_dim1", "norm", [([3, 4], "normal", "c")], lambda x: torch.linalg.vector_norm(x, 3, dim=1), {"p": 3.0, "dim": 1})
case("norm_inf_dim1", "norm", [([3, 4], "distinct", "t")], lambda x: torch.linalg.vector_norm(x, float("inf"), dim=1),
     {"p": "inf", "dim": 1})

# Einstein summation (appended).
einsums = [
    ("einsum_matmul", "ij,jk->ik", [([3, 4], "normal", "t"), ([4, 2], "normal", "c")]),
    ("einsum_attention", "bqd,bkd->bqk", [([2, 3, 4], "normal", "c"), ([2, 5, 4], "normal", "s")]),
    ("einsum_ellipsis_heads", "...qd,...kd->...qk", [([2, 2, 3, 4], "normal", "c"), ([2, 1, 5, 4], "normal", "c")]),
    ("einsum_implicit_outer", "i,j", [([3], "normal", "c"), ([4], "normal", "c")]),
    ("einsum_transpose_sum", "ijk->kj", [([2, 3, 4], "normal", "t")]),
    ("einsum_bilinear", "bi,ij,bj->b", [([2, 3], "normal", "c"), ([3, 4], "normal", "t"), ([2, 4], "normal", "c")]),
    ("einsum_batch_outer_keep", "bi,bj->bij", [([3, 2], "normal", "s"), ([3, 4], "normal", "c")]),
    ("einsum_sum_all", "ij->", [([3, 4], "normal", "c")]),
]
# Summed dims that broadcast from size 1 (appended after the cases above).
einsums += [
    ("einsum_broadcast_summed", "...ij,...jk->ik", [([1, 2, 3], "normal", "c"), ([5, 3, 4], "normal", "c")]),
    ("einsum_broadcast_size1_j", "ij,ij->", [([1, 3], "normal", "c"), ([2, 3], "normal", "t")]),
]
for name, equation, inputs in einsums:
    case(name, "einsum", inputs, lambda *xs, e=equation: torch.einsum(e, *xs), {"equation": equation})

# More unary math (appended): smooth functions with their gradients; rounding (zero gradient, so
# forward only), with inputs scaled by 3 to cross several integers.
more_unary = {
    "tan": (torch.tan, "distinct"),
    "atan": (torch.atan, "normal"),
    "erf": (torch.erf, "normal"),
    "log1p": (torch.log1p, "positive"),
    "expm1": (torch.expm1, "normal"),
}
for name, (fn, kind) in more_unary.items():
    for layout in ["c", "t"]:
        case(f"{name}_{layout}", name, [([3, 4], kind, layout)], fn)
for name in ["round", "floor", "ceil", "trunc"]:
    case(name, name, [([4, 5], "normal", "s")], lambda x, f=getattr(torch, name): f(x * 3), {"prescale": 3.0}, grad=False)

# Scans, rolls, diagonals, outer products and multi-dim extrema (appended).
case("cumsum_dim1", "cumsum", [([3, 5], "normal", "t")], lambda x: torch.cumsum(x, 1), {"dim": 1})
case("cumsum_dim0_long", "cumsum", [([9, 2], "normal", "c")], lambda x: torch.cumsum(x, 0), {"dim": 0})
case("diff_n2", "diff", [([3, 6], "normal", "s")], lambda x: torch.diff(x, n=2, dim=1), {"n": 2, "dim": 1})
case("roll_two_dims", "roll", [([3, 4], "normal", "t")], lambda x: torch.roll(x, (1, -2), (0, 1)),
     {"shifts": [1, -2], "dims": [0, 1]})
case("roll_flat", "roll", [([2, 3], "normal", "c")], lambda x: torch.roll(x, 4), {"shifts": [4], "dims": []})
case("diagonal_offset1", "diagonal", [([3, 4, 5], "normal", "c")], lambda x: torch.diagonal(x, 1, 1, 2),
     {"offset": 1, "dim1": 1, "dim2": 2})
case("diagonal_below", "diagonal", [([4, 3], "normal", "t")], lambda x: torch.diagonal(x, -1), {"offset": -1, "dim1": 0, "dim2": 1})
case("diag_vector_above", "diag", [([4], "normal", "c")], lambda x: torch.diag(x, 1), {"offset": 1})
case("diag_vector_below", "diag", [([3], "normal", "s")], lambda x: torch.diag(x, -2), {"offset": -2})
case("diag_matrix", "diag", [([3, 4], "normal", "t")], lambda x: torch.diag(x), {"offset": 0})
case("outer", "outer", [([3], "normal", "c"), ([4], "normal", "s")], lambda a, b: torch.outer(a, b))
case("amax_dims02", "amax", [([3, 4, 5], "distinct", "c")], lambda x: torch.amax(x, (0, 2)), {"dims": [0, 2], "keepdim": False})
case("amin_keep", "amin", [([3, 4], "distinct", "t")], lambda x: torch.amin(x, 1, keepdim=True), {"dims": [1], "keepdim": True})
case("amax_all", "amax", [([2, 3], "distinct", "s")], lambda x: torch.amax(x), {"dims": [], "keepdim": False})

# Einsum with a letter repeated in one operand: its diagonal (appended).
einsums = [
    ("einsum_trace", "ii", [([4, 4], "normal", "t")]),
    ("einsum_diagonal_batch", "bii->bi", [([2, 3, 3], "normal", "c")]),
    ("einsum_diagonal_product", "ij,jj->ij", [([2, 3], "normal", "c"), ([3, 3], "normal", "s")]),
]
for name, equation, inputs in einsums:
    case(name, "einsum", inputs, lambda *xs, e=equation: torch.einsum(e, *xs), {"equation": equation})

# Running and whole products (appended).
case("cumprod_dim1", "cumprod", [([3, 5], "positive", "t")], lambda x: torch.cumprod(x, 1), {"dim": 1})
case("prod_dim0_keep", "prod", [([5, 3], "normal", "c")], lambda x: torch.prod(x, 0, keepdim=True), {"dim": 0, "keepdim": True})
case("prod_dim1", "prod", [([2, 7], "normal", "s")], lambda x: torch.prod(x, 1), {"dim": 1, "keepdim": False})

# Out-of-place index_add and scatter_add (appended).
case("index_add_dim0", "indexAdd", [([4, 3], "normal", "c"), ("int", [5], [2, 0, 2, 3, 1]), ([5, 3], "normal", "t")],
     lambda x, i, s: x.index_add(0, i, s, alpha=0.5), {"dim": 0, "alpha": 0.5})
case("scatter_add_dim1", "scatterAdd", [([2, 4], "normal", "c"), ("int", [2, 3], [3, 0, 3, 1, 1, 2]), ([2, 3], "normal", "c")],
     lambda x, i, s: x.scatter_add(1, i, s), {"dim": 1})

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "ops.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"generator": "scripts/make_op_fixtures.py", "torch": torch.__version__, "cases": cases}, f,
              separators=(",", ":"))
print(f"wrote {len(cases)} cases to {os.path.normpath(path)} ({os.path.getsize(path)} bytes)")
