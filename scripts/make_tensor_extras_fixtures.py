"""Generates the PyTorch reference fixtures for Ember's vector and matrix norms, cross products,
cdist, kron, trace, lerp, logdet, searchsorted, bucketize and histc: values, and the gradients of
Σ out·w for the differentiable ones.

    .venv-bench/bin/python scripts/make_tensor_extras_fixtures.py

Writes Tests/EmberTests/Fixtures/tensor_extras.json (references in float64 from float32 values).
"""
import json
import math
import os

import torch

torch.manual_seed(5505)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "tensor_extras.json")


def L(t):
    return [("nan" if math.isnan(v) else "inf" if v == math.inf else "-inf" if v == -math.inf else round(float(v), 8))
            for v in t.detach().reshape(-1).tolist()]


def leaf(*shape):
    return torch.randn(*shape).double().requires_grad_(True)


def case(name, fn, inputs):
    """Output of fn(*inputs) and each input's gradient of Σ out·w (w fixed, float32 values)."""
    out = fn(*inputs)
    w = torch.randn(out.shape).float().double()
    (out * w).sum().backward()
    return dict(name=name, inputs=[dict(shape=list(t.shape), values=L(t)) for t in inputs], out_shape=list(out.shape),
                out=L(out), w=L(w), grads=[L(t.grad) for t in inputs])


LA = torch.linalg
fixture = {"differentiable": [
    case("vector_norm_2_all", lambda x: LA.vector_norm(x), [leaf(3, 4)]),
    case("vector_norm_3_dims", lambda x: LA.vector_norm(x, 3, dim=(0, 2)), [leaf(2, 3, 4)]),
    case("vector_norm_inf_keepdim", lambda x: LA.vector_norm(x, math.inf, dim=1, keepdim=True), [leaf(3, 5)]),
    case("vector_norm_-inf", lambda x: LA.vector_norm(x, -math.inf, dim=-1), [leaf(3, 5)]),
    case("vector_norm_-1.5", lambda x: LA.vector_norm(x, -1.5, dim=(1,)), [leaf(3, 4)]),
    case("vector_norm_1_keepdim_dims", lambda x: LA.vector_norm(x, 1, dim=(2, 0), keepdim=True), [leaf(2, 3, 4)]),
    case("matrix_norm_fro", lambda x: LA.matrix_norm(x), [leaf(2, 3, 4)]),
    case("matrix_norm_nuc", lambda x: LA.matrix_norm(x, "nuc"), [leaf(3, 4)]),
    case("matrix_norm_1", lambda x: LA.matrix_norm(x, 1), [leaf(2, 3, 3)]),
    case("matrix_norm_-1", lambda x: LA.matrix_norm(x, -1), [leaf(3, 4)]),
    case("matrix_norm_2", lambda x: LA.matrix_norm(x, 2, keepdim=True), [leaf(2, 4, 3)]),
    case("matrix_norm_-2", lambda x: LA.matrix_norm(x, -2), [leaf(3, 3)]),
    case("matrix_norm_inf", lambda x: LA.matrix_norm(x, math.inf), [leaf(3, 4)]),
    case("matrix_norm_-inf", lambda x: LA.matrix_norm(x, -math.inf), [leaf(2, 3, 4)]),
    case("cross", lambda a, b: LA.cross(a, b), [leaf(4, 3), leaf(4, 3)]),
    case("cross_dim0_broadcast", lambda a, b: LA.cross(a, b, dim=0), [leaf(3, 2, 1), leaf(3, 1, 4)]),
    case("cdist_2_small", lambda a, b: torch.cdist(a, b), [leaf(4, 3), leaf(5, 3)]),
    case("cdist_2_mm", lambda a, b: torch.cdist(a, b), [leaf(2, 30, 4), leaf(2, 6, 4)]),
    case("cdist_1", lambda a, b: torch.cdist(a, b, p=1), [leaf(3, 4), leaf(2, 4)]),
    case("cdist_3_batched", lambda a, b: torch.cdist(a, b, p=3), [leaf(2, 3, 2), leaf(1, 4, 2)]),
    case("cdist_inf", lambda a, b: torch.cdist(a, b, p=math.inf), [leaf(3, 4), leaf(2, 4)]),
    case("kron_2d", lambda a, b: torch.kron(a, b), [leaf(2, 3), leaf(3, 2)]),
    case("kron_mixed_rank", lambda a, b: torch.kron(a, b), [leaf(3), leaf(2, 2)]),
    case("trace", lambda a: torch.trace(a), [leaf(3, 4)]),
    case("lerp_tensor_weight", lambda a, b, w: torch.lerp(a, b, w), [leaf(3, 4), leaf(3, 4), leaf(4)]),
    case("logdet", lambda a: torch.logdet(a @ a.mT + torch.eye(3, dtype=torch.float64)), [leaf(2, 3, 3)]),
]}

fixture["lerp_scalar"] = dict(a=L(torch.tensor([1.0, 2.0, 3.0])), b=L(torch.tensor([5.0, -2.0, 0.5])),
                              out=L(torch.lerp(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([5.0, -2.0, 0.5]), 0.25)))
negative = torch.tensor([[[0.0, 1.0], [1.0, 0.0]], [[2.0, 0.0], [0.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]])
fixture["logdet_signs"] = dict(a=L(negative), out=L(torch.logdet(negative)))

sorted_1d = torch.tensor([1.0, 3.0, 3.0, 5.0, 7.0, 9.0])
values = torch.tensor([[0.5, 3.0, 6.0], [9.0, 10.0, 3.0]])
sorted_2d = torch.tensor([[1.0, 2.0, 4.0, 8.0], [-1.0, 0.0, 0.0, 1.0]])
values_2d = torch.tensor([[0.0, 2.0, 9.0], [0.0, -2.0, 0.5]])
fixture["searchsorted"] = dict(
    sorted_1d=L(sorted_1d), values=L(values),
    left=torch.searchsorted(sorted_1d, values).reshape(-1).tolist(),
    right=torch.searchsorted(sorted_1d, values, right=True).reshape(-1).tolist(),
    sorted_2d=L(sorted_2d), values_2d=L(values_2d),
    left_2d=torch.searchsorted(sorted_2d, values_2d).reshape(-1).tolist(),
    right_2d=torch.searchsorted(sorted_2d, values_2d, right=True).reshape(-1).tolist(),
    bucketize=torch.bucketize(values, sorted_1d).reshape(-1).tolist(),
    bucketize_right=torch.bucketize(values, sorted_1d, right=True).reshape(-1).tolist())

samples = torch.randn(500) * 2
fixture["histc"] = dict(x=L(samples), bins10=L(torch.histc(samples, bins=10, min=-3, max=3)),
                        own_range=L(torch.histc(samples, bins=7)))

with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", os.path.normpath(OUT))
