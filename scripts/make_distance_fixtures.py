"""Reference values for Ember's similarity and distance functions and the losses built on them
(smooth L1, KL divergence, cosine embedding, margin ranking, triplet margin), then the likelihood and
margin losses (Poisson and Gaussian NLL, soft margin, multi-label soft margin, hinge embedding,
multi-class margin), computed by PyTorch.

Run: /opt/torchenv/bin/python scripts/make_distance_fixtures.py
Writes Tests/EmberTests/Fixtures/distance.json: per case the inputs, the output and the gradients of
sum(output * r) (r fixed and random; r = 1 for scalar outputs) for every float input.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(11)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures/distance.json"


def values(t):
    return [round(v, 7) for v in t.detach().reshape(-1).tolist()]


def case(name, fn, inputs, constant=(), **args):
    """inputs: name -> tensor; float ones not named in `constant` get gradients."""
    leaves = {k: (v.clone().requires_grad_(k not in constant) if v.is_floating_point() else v) for k, v in inputs.items()}
    out = fn(**leaves)
    r = torch.randn(out.shape) if out.dim() > 0 else torch.tensor(1.0)
    (out * r).sum().backward()
    return {
        "name": name, "args": args,
        "inputs": {k: {"shape": list(v.shape), "values": values(v)} for k, v in leaves.items()},
        "out_shape": list(out.shape), "out": values(out), "r": values(r),
        "grads": {k: values(v.grad) for k, v in leaves.items() if v.requires_grad},
    }


x1, x2, x3 = torch.randn(4, 5), torch.randn(4, 5), torch.randn(4, 5)
log_probs = torch.log_softmax(torch.randn(3, 6), 1)
probs = torch.softmax(torch.randn(3, 6), 1)
probs_with_zeros = probs * (torch.rand(3, 6) > 0.3)
labels = torch.tensor([1, -1, 1, -1])
cases = [
    case("normalize", lambda x: F.normalize(x, dim=1), {"x": x1}),
    case("normalize_p1_dim0", lambda x: F.normalize(x, p=1, dim=0), {"x": x2}),
    case("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=1), {"a": x1, "b": x2}),
    case("pairwise_distance", lambda a, b: F.pairwise_distance(a, b), {"a": x1, "b": x2}),
    case("pairwise_distance_p1_keep", lambda a, b: F.pairwise_distance(a, b, p=1, keepdim=True), {"a": x1, "b": x3}),
    case("smooth_l1", lambda a, b: F.smooth_l1_loss(a, b), {"a": x1 * 2, "b": x2}, beta=1.0),
    case("smooth_l1_beta_sum", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5, reduction="sum"), {"a": x1, "b": x3},
         beta=0.5, reduction="sum"),
    case("kl_div_batchmean", lambda a, b: F.kl_div(a, b, reduction="batchmean"), {"a": log_probs, "b": probs_with_zeros},
         constant=("b",), reduction="batchmean"),  # the target's gradient is NaN at 0 in PyTorch
    case("kl_div_mean_log_target", lambda a, b: F.kl_div(a, b, reduction="mean", log_target=True),
         {"a": log_probs, "b": torch.log(probs)}, reduction="mean", log_target=True),
    case("kl_div_none", lambda a, b: F.kl_div(a, b, reduction="none"), {"a": log_probs, "b": probs}, reduction="none"),
    case("cosine_embedding", lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.2), {"a": x1, "b": x2, "y": labels},
         margin=0.2),
    case("margin_ranking", lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5),
         {"a": x1[:, 0], "b": x2[:, 0], "y": labels}, margin=0.5),
    case("triplet_margin", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=1.0), {"a": x1, "p": x2, "n": x3},
         margin=1.0),
    case("triplet_margin_swap_p1_none", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                                            reduction="none"),
         {"a": x1, "p": x2, "n": x3}, margin=2.0, p=1.0, swap=True, reduction="none"),
]
# Likelihood and margin losses (appended: the draws above are unchanged).
counts = torch.poisson(torch.rand(4, 3) * 4)
rates = torch.rand(4, 3) + 0.2
variances = torch.rand(4, 3) + 0.1
signs = torch.tensor([[1.0, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])
multi_targets = (torch.rand(4, 5) > 0.5).float()
classes = torch.tensor([2, 0, 4, 1])
class_weight = torch.rand(5) + 0.5
cases += [
    case("poisson_nll_log_input", lambda a, b: F.poisson_nll_loss(a, b), {"a": x1[:, :3], "b": counts}, constant=("b",)),
    case("poisson_nll_rate_full_sum", lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True, reduction="sum"),
         {"a": rates, "b": counts}, constant=("b",), log_input=False, full=True, reduction="sum"),
    case("gaussian_nll", lambda a, b, v: F.gaussian_nll_loss(a, b, v), {"a": x1[:, :3], "b": x2[:, :3], "v": variances}),
    case("gaussian_nll_shared_var_full", lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True, reduction="none"),
         {"a": x1[:, :3], "b": x3[:, :3], "v": variances[:, :1]}, full=True, reduction="none"),
    case("soft_margin", lambda a, t: F.soft_margin_loss(a, t), {"a": x1[:, :3] * 2, "t": signs}, constant=("t",)),
    case("multilabel_soft_margin_weight", lambda a, t, w: F.multilabel_soft_margin_loss(a, t, weight=w),
         {"a": x2, "t": multi_targets, "w": class_weight}, constant=("t", "w")),
    case("hinge_embedding", lambda a, t: F.hinge_embedding_loss(a, t, margin=0.7), {"a": x3[:, :3], "t": signs},
         constant=("t",), margin=0.7),
    case("multi_margin", lambda a, y: F.multi_margin_loss(a, y), {"a": x1 * 0.4, "y": classes}),
    case("multi_margin_p2_weight_sum", lambda a, y, w: F.multi_margin_loss(a, y, p=2, margin=0.5, weight=w,
                                                                          reduction="sum"),
         {"a": x2 * 0.4, "y": classes, "w": class_weight}, constant=("w",), p=2, margin=0.5, reduction="sum"),
]
OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}))
print(f"wrote {len(cases)} cases to {OUT}")
