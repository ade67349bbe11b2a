"""Reference values for Ember's higher-order gradients (`Autograd.grad(..., createGraph: true)`),
computed by PyTorch in float64 from float32 inputs.

Run: /opt/torchenv/bin/python scripts/make_autograd_fixtures.py
Writes Tests/EmberTests/Fixtures/autograd.json. Per case, for the scalar L = f(inputs):
  first  = dL/d(inputs)                                  (create_graph=True)
  second = d(sum_i <first_i, v_i>)/d(inputs)             (Hessian-vector products, create_graph=True)
  third  = d(sum_i <second_i, w_i>)/d(inputs)
with v and w fixed random tensors; an input a gradient does not depend on gets zeros.
The Swift test builds the same f by case name.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(23)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures/autograd.json"


def values(t):
    return [round(v, 8) for v in t.detach().reshape(-1).tolist()]


def grads(output, inputs):
    found = torch.autograd.grad(output, inputs, create_graph=True, allow_unused=True) if output.requires_grad \
        else [None] * len(inputs)
    return [g if g is not None else torch.zeros_like(x) for x, g in zip(inputs, found)]


def case(name, fn, inputs, constants=None):
    """inputs: float tensors that get gradients; constants: tensors passed as they are (int64 too)."""
    constants = constants or {}
    leaves = {k: v.float().double().requires_grad_() for k, v in inputs.items()}
    loss = fn(**leaves, **constants)
    names = list(leaves)
    xs = [leaves[k] for k in names]
    first = grads(loss, xs)
    v = [torch.randn(x.shape, dtype=torch.float64) for x in xs]
    second = grads(sum((f * r).sum() for f, r in zip(first, v)), xs)
    w = [torch.randn(x.shape, dtype=torch.float64) for x in xs]
    third = grads(sum((s * r).sum() for s, r in zip(second, w)), xs)
    return {
        "name": name,
        "inputs": {k: {"shape": list(leaves[k].shape), "values": values(leaves[k])} for k in names},
        "constants": {k: {"shape": list(c.shape), "values": c.reshape(-1).tolist(),
                          "dtype": "int64" if c.dtype == torch.int64 else "float32"} for k, c in constants.items()},
        "order": names,
        "loss": float(loss.detach()),
        "first": [values(g) for g in first], "v": [values(r) for r in v],
        "second": [values(g) for g in second], "w": [values(r) for r in w],
        "third": [values(g) for g in third],
    }


def r(*shape):
    return torch.randn(*shape)


def composed_layer_norm(x, w, b, eps=1e-5):
    centered = x - x.mean(-1, keepdim=True)
    return centered * (centered.square().mean(-1, keepdim=True) + eps).rsqrt() * w + b


def composed_batch_norm(x, w, b, eps=1e-5):
    centered = x - x.mean(0, keepdim=True)
    return centered * (centered.square().mean(0, keepdim=True) + eps).rsqrt() * w + b


def check_native_agrees(native, composed, *shapes):
    """PyTorch's native layer_norm/batch_norm double backward treats the saved mean and rstd as
    constants, so their third derivatives are not the function's: the references below use the same
    function composed from elementary ops, after checking that it agrees with the native one to
    second order."""
    xs = [torch.randn(*s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for fn in (native, composed):
        out = fn(*xs).tanh().sum()
        g = torch.autograd.grad(out, xs, create_graph=True)
        h = torch.autograd.grad(sum(t.sum() for t in g), xs)
        if fn is native:
            want = (out, g, h)
        else:
            for a, b in zip([out, *g, *h], [want[0], *want[1], *want[2]]):
                assert torch.allclose(a, b, atol=1e-9), "composed and native normalization disagree"


check_native_agrees(lambda x, w, b: F.layer_norm(x, [6], w, b), composed_layer_norm, (3, 6), (6,), (6,))
check_native_agrees(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), composed_batch_norm, (6, 3), (3,), (3,))


def critic_penalty(x, w1, b1, w2, b2):
    """WGAN-GP: the mean of (‖∂D/∂x‖ − 1)² over the batch, D a LeakyReLU MLP."""
    x = x.detach().requires_grad_() if not x.requires_grad else x
    d = F.linear(F.leaky_relu(F.linear(x, w1, b1), 0.2), w2, b2)
    dx, = torch.autograd.grad(d.sum(), x, create_graph=True)
    return ((dx.norm(2, dim=1) - 1) ** 2).mean()


cases = [
    case("elementwise", lambda x: (x.exp() * x.sin() + x.pow(3) / (1 + x * x) + (x * x + 1).sqrt()
                                   + (x.abs() + 1).log() + x.cos().square() + (x * x + 1).rsqrt()
                                   + 1 / (x * x + 2)).sum(), {"x": r(3, 4)}),
    case("pow_tensor", lambda a, b: a.pow(b).sum() + (a * b).pow(2.0).sum(), {"a": torch.rand(5) + 0.5, "b": r(5)}),
    case("activations", lambda x, s: (x.sigmoid() * s).sum() + (x.tanh() * s * s).sum() + F.softplus(x).sum()
         + (F.gelu(x) * s).sum() + (F.silu(x) * s).sum() + (F.elu(x) * s).sum() + (F.leaky_relu(x, 0.1) * x).sum()
         + (x.relu() * x * s).sum() + (x.clamp(-0.5, 0.5) * x).sum() + (F.hardtanh(x) * s * x).sum(),
         {"x": r(4, 6) * 1.5, "s": r(4, 6)}),
    case("mlp_tanh", lambda x, w1, b1, w2, b2: F.linear(F.linear(x, w1, b1).tanh(), w2, b2).sum(),
         {"x": r(5, 2), "w1": r(8, 2), "b1": r(8), "w2": r(1, 8), "b2": r(1)}),
    case("mlp_mixed", lambda x, w1, w2, w3: F.linear(F.gelu(F.linear(F.softplus(x @ w1.t()), w2)).sigmoid(), w3).pow(2).mean(),
         {"x": r(4, 3), "w1": r(6, 3), "w2": r(5, 6), "w3": r(2, 5)}),
    case("softmax", lambda x, s: (x.softmax(1) * s).sum() + (x.log_softmax(0) * s * s).sum(), {"x": r(3, 5), "s": r(3, 5)}),
    case("cross_entropy_mean", lambda x, w, b, t: F.cross_entropy(F.linear(x, w, b), t),
         {"x": r(4, 3), "w": r(5, 3), "b": r(5)}, {"t": torch.tensor([1, 4, -100, 0])}),
    case("cross_entropy_none", lambda x, t: (F.cross_entropy(x, t, reduction="none") * torch.arange(1.0, 4.0)).sum(),
         {"x": r(3, 4)}, {"t": torch.tensor([3, 0, 2])}),
    case("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1).tanh().sum(),
         {"x": r(2, 2, 5, 5), "w": r(3, 2, 3, 3) * 0.5, "b": r(3)}),
    case("conv2d_groups", lambda x, w: (F.conv2d(x, w, groups=2) ** 2).sum(), {"x": r(1, 4, 4, 4), "w": r(2, 2, 2, 2)}),
    case("layer_norm", lambda x, w, b, s: (composed_layer_norm(x, w, b).tanh() * s).sum(),
         {"x": r(3, 6), "w": r(6), "b": r(6), "s": r(3, 6)}),
    case("norm", lambda x: x.norm(dim=1).sum() + x.norm(p=3) + x.norm(p=1, dim=0).sum(), {"x": r(3, 4)}),
    case("gradient_penalty", critic_penalty, {"x": r(6, 4), "w1": r(8, 4), "b1": r(8), "w2": r(1, 8), "b2": r(1)}),
    case("embedding_padding", lambda w, s, i: (F.embedding(i, w, padding_idx=2).tanh() * s).sum(),
         {"w": r(5, 3), "s": r(2, 3, 3)}, {"i": torch.tensor([[0, 2, 1], [4, 2, 0]])}),
    case("views_and_indexing", lambda x, i: x[:, 1:5:2].exp().sum() + torch.cat([x[:2], x[2:] * 2]).sigmoid().sum()
         + x.t().reshape(-1)[3:9].square().sum() + x.index_select(1, i).tanh().sum()
         + x.unsqueeze(0).expand(2, 4, 6).pow(3).sum() + x.permute(1, 0)[2].sin().sum(),
         {"x": r(4, 6)}, {"i": torch.tensor([0, 3, 3, 5])}),
    case("pooling_and_max", lambda x: (F.max_pool2d(x.tanh(), 2) ** 2).sum() + x.amax(dim=1).exp().sum()
         + F.avg_pool2d(x, 2).pow(3).sum(), {"x": r(1, 2, 4, 4)}),
    case("losses", lambda x, w, y: F.mse_loss(F.linear(x, w), y) + F.binary_cross_entropy_with_logits(F.linear(x, w), y.sigmoid()),
         {"x": r(4, 3), "w": r(2, 3), "y": r(4, 2)}),
    case("batch_norm_training", lambda x, w, b, s: (composed_batch_norm(x, w, b) * s).tanh().sum(),
         {"x": r(6, 3), "w": r(3), "b": r(3), "s": r(6, 3)}),
]

OUT.write_text(json.dumps({"cases": cases}, indent=1) + "\n")
print(f"wrote {len(cases)} cases to {OUT}")
