"""Generates the PyTorch reference fixtures for Ember's rearranging, joining and combinatorial ops:
rot90, fliplr/flipud, tile, repeat_interleave, diag_embed, hstack/vstack/dstack/column_stack,
block_diag, split with sizes, tensor_split, atleast_1d/2d/3d, cartesian_prod, combinations,
tril_indices/triu_indices, tensordot, take, cov and corrcoef; values and the gradients of Σ out·w.

    .venv-bench/bin/python scripts/make_rearranging_fixtures.py

Writes Tests/EmberTests/Fixtures/rearranging.json.
"""
import json
import os

import torch

torch.manual_seed(8808)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "rearranging.json")


def L(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(fn, *shapes):
    """fn on leaves of `shapes` (float32), its output and the gradients of Σ out·w."""
    leaves = [torch.randn(s).requires_grad_(True) for s in shapes]
    out = fn(*leaves)
    outs = out if isinstance(out, (list, tuple)) else [out]
    ws = [torch.randn(o.shape) for o in outs]
    total = sum((o * w).sum() for o, w in zip(outs, ws))
    total.backward()
    return dict(inputs=[L(x) for x in leaves], shapes=[list(s) for s in shapes],
                outs=[L(o) for o in outs], out_shapes=[list(o.shape) for o in outs], ws=[L(w) for w in ws],
                grads=[L(x.grad) if x.grad is not None else [0.0] * x.numel() for x in leaves])


def main():
    cases = {
        "rot90_1": case(lambda x: torch.rot90(x), (3, 4)),
        "rot90_2": case(lambda x: torch.rot90(x, 2, (1, 2)), (2, 3, 4)),
        "rot90_-1": case(lambda x: torch.rot90(x, -1, (2, 0)), (2, 3, 4)),
        "rot90_4": case(lambda x: torch.rot90(x, 4), (2, 3)),
        "fliplr": case(torch.fliplr, (3, 4, 2)),
        "flipud": case(torch.flipud, (3, 4)),
        "tile": case(lambda x: torch.tile(x, (2,)), (2, 3)),
        "tile_more": case(lambda x: torch.tile(x, (2, 1, 3)), (2, 3)),
        "repeat_interleave": case(lambda x: torch.repeat_interleave(x, 2), (2, 3)),
        "repeat_interleave_dim": case(lambda x: torch.repeat_interleave(x, 3, dim=1), (2, 3)),
        "repeat_interleave_counts": case(lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 2]), dim=1), (2, 3)),
        "diag_embed": case(lambda x: torch.diag_embed(x), (2, 3)),
        "diag_embed_offset": case(lambda x: torch.diag_embed(x, offset=1, dim1=0, dim2=2), (2, 3)),
        "diag_embed_negative": case(lambda x: torch.diag_embed(x, offset=-2), (3,)),
        "diag": case(lambda x: torch.diag(x, 1), (3,)),
        "hstack": case(lambda a, b: torch.hstack([a, b]), (2, 3), (2, 1)),
        "hstack_1d": case(lambda a, b: torch.hstack([a, b]), (3,), (2,)),
        "vstack": case(lambda a, b: torch.vstack([a, b]), (3,), (2, 3)),
        "dstack": case(lambda a, b: torch.dstack([a, b]), (2, 3), (2, 3)),
        "column_stack": case(lambda a, b: torch.column_stack([a, b]), (3,), (3, 2)),
        "block_diag": case(lambda a, b, c: torch.block_diag(a, b, c), (2, 3), (3,), ()),
        "split": case(lambda x: torch.split(x, [1, 3, 0, 1], dim=1), (2, 5)),
        "tensor_split": case(lambda x: torch.tensor_split(x, 3, dim=1), (2, 7)),
        "tensor_split_indices": case(lambda x: torch.tensor_split(x, [1, 4, 9, 2], dim=0), (6, 2)),
        "atleast": case(lambda a, b, c: [torch.atleast_1d(a), torch.atleast_2d(a), torch.atleast_3d(a),
                                         torch.atleast_2d(b), torch.atleast_3d(b), torch.atleast_3d(c)], (), (4,), (2, 3)),
        "cartesian_prod": case(lambda a, b, c: torch.cartesian_prod(a, b, c), (2,), (3,), (2,)),
        "combinations": case(lambda x: torch.combinations(x), (4,)),
        "combinations_3": case(lambda x: torch.combinations(x, r=3), (5,)),
        "combinations_replacement": case(lambda x: torch.combinations(x, r=2, with_replacement=True), (3,)),
        "combinations_none": case(lambda x: torch.combinations(x, r=5), (3,)),
        "combinations_replacement_5": case(lambda x: torch.combinations(x, r=5, with_replacement=True), (3,)),
        "repeat_interleave_one_count": case(lambda x: torch.repeat_interleave(x, torch.tensor([2]), dim=0), (2, 3)),
        "diag_embed_int_offset": case(lambda x: torch.diag_embed(x, offset=-1, dim1=2, dim2=0), (2, 3)),
        "tensordot": case(lambda a, b: torch.tensordot(a, b, dims=2), (2, 3, 4), (3, 4, 5)),
        "tensordot_pairs": case(lambda a, b: torch.tensordot(a, b, dims=([0, 2], [2, 1])), (3, 2, 4), (5, 4, 3)),
        "tensordot_0": case(lambda a, b: torch.tensordot(a, b, dims=0), (2,), (3,)),
        "take": case(lambda x: torch.take(x, torch.tensor([[0, -1], [5, 2], [5, 3]])), (2, 3)),
        "cov": case(lambda x: torch.cov(x), (3, 6)),
        "cov_population": case(lambda x: torch.cov(x, correction=0), (2, 5)),
        "cov_1d": case(lambda x: torch.cov(x), (7,)),
        "corrcoef": case(lambda x: torch.corrcoef(x), (4, 9)),
        "cov_one_variable": case(lambda x: torch.cov(x), (1, 5)),
        "corrcoef_one_variable": case(lambda x: torch.corrcoef(x), (1, 5)),
    }
    indices = {f"{name}_{r}_{c}_{o}": fn(r, c, o).tolist()
               for name, fn in [("tril", torch.tril_indices), ("triu", torch.triu_indices)]
               for r, c, o in [(3, 3, 0), (4, 3, 1), (3, 5, -1), (2, 4, 3), (3, 2, -5), (0, 3, 0)]}
    with open(OUT, "w") as f:
        json.dump(dict(cases=cases, indices=indices), f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
