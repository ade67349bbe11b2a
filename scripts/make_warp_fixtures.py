"""Reference values for Ember's affineGrid and gridSample, and for RandomRotation's warp, computed by
PyTorch (F.affine_grid, F.grid_sample) and torchvision (F.rotate on tensors).

Run: TORCHVISION_DIR=/tmp/tv /opt/torchenv/bin/python scripts/make_warp_fixtures.py
(torchvision's Python code is loaded as in make_image_fixtures.py.)
Writes Tests/EmberTests/Fixtures/warp.json: per case the inputs, the output, and the gradients of
sum(output * r) (r fixed and random) with respect to the input and the grid (or theta); for the
rotations, the image, angle, interpolation and fill, and the rotated image.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(17)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures/warp.json"


def values(t):
    return [round(v, 7) for v in t.detach().reshape(-1).tolist()]


def grid_case(name, shape, grid_shape, mode, padding, align, spread=1.3):
    x = torch.randn(*shape, requires_grad=True)
    # Points across the image and somewhat beyond, so every padding mode matters.
    grid = ((torch.rand(*grid_shape) * 2 - 1) * spread).requires_grad_()
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "kind": "grid_sample", "shape": list(shape), "grid_shape": list(grid_shape), "mode": mode,
            "padding": padding, "align_corners": align, "x": values(x), "grid": values(grid), "out_shape": list(out.shape),
            "out": values(out), "r": values(r), "grad_x": values(x.grad), "grad_grid": values(grid.grad)}


def affine_case(name, n, size, align):
    theta = (torch.eye(2, 3).expand(n, 2, 3) + 0.3 * torch.randn(n, 2, 3)).clone().requires_grad_()
    grid = F.affine_grid(theta, list(size), align_corners=align)
    r = torch.randn(grid.shape)
    (grid * r).sum().backward()
    return {"name": name, "kind": "affine_grid", "size": list(size), "align_corners": align, "theta": values(theta),
            "out_shape": list(grid.shape), "out": values(grid), "r": values(r), "grad_theta": values(theta.grad)}


cases = [
    affine_case("affine_grid", 2, (2, 3, 4, 5), False),
    affine_case("affine_grid_align", 2, (2, 1, 3, 6), True),
    affine_case("affine_grid_single_column", 1, (1, 1, 4, 1), False),
]
for mode in ("bilinear", "nearest"):
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            cases.append(grid_case(f"{mode}_{padding}_{'align' if align else 'centres'}", (2, 3, 5, 6), (2, 4, 3, 2),
                                   mode, padding, align))
cases.append(grid_case("bilinear_far_reflection", (1, 2, 4, 3), (1, 5, 5, 2), "bilinear", "reflection", False, spread=4.0))
cases.append(grid_case("bilinear_one_pixel", (1, 1, 1, 1), (1, 2, 2, 2), "bilinear", "reflection", True))

# A spatial-transformer step end to end: gradients reach theta through the grid.
x = torch.randn(2, 1, 6, 6, requires_grad=True)
theta = (torch.eye(2, 3).expand(2, 2, 3) + 0.2 * torch.randn(2, 2, 3)).clone().requires_grad_()
out = F.grid_sample(x, F.affine_grid(theta, [2, 1, 6, 6], align_corners=False), align_corners=False)
r = torch.randn(out.shape)
(out * r).sum().backward()
cases.append({"name": "spatial_transformer", "kind": "stn", "shape": [2, 1, 6, 6], "x": values(x), "theta": values(theta),
              "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad),
              "grad_theta": values(theta.grad)})



from torchvision_loader import import_torchvision  # noqa: E402

import_torchvision()
import torchvision.transforms.functional as TF  # noqa: E402
from torchvision.transforms import InterpolationMode  # noqa: E402

# RandomRotation's warp: TF.rotate on tensors, as RandomRotation calls it (fill given per channel).
for name, shape, angle, mode, fill in [("rotate_nearest", (3, 7, 9), 30.0, "nearest", 0.0),
                                       ("rotate_bilinear", (3, 7, 9), -47.5, "bilinear", 0.0),
                                       ("rotate_bilinear_fill", (2, 8, 6), 100.0, "bilinear", 0.5),
                                       ("rotate_nearest_fill", (1, 6, 6), 90.0, "nearest", 0.25),
                                       ("rotate_batch", (2, 1, 5, 7), 12.0, "bilinear", 0.0)]:
    image = torch.rand(*shape)
    channels = shape[-3]
    out = TF.rotate(image, angle, interpolation=InterpolationMode(mode), fill=[fill] * channels)
    cases.append({"name": name, "kind": "rotate", "shape": list(shape), "angle": angle, "mode": mode, "fill": fill,
                  "x": values(image), "out_shape": list(out.shape), "out": values(out)})



def explicit_grid_case(name, shape, points, mode, padding, align):
    """grid_sample at given points (exact borders, far-out reflections), with both gradients."""
    x = torch.randn(*shape, requires_grad=True)
    grid = torch.tensor(points, dtype=torch.float32).reshape(shape[0], 1, -1, 2).requires_grad_()
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "kind": "grid_sample", "shape": list(shape), "grid_shape": list(grid.shape), "mode": mode,
            "padding": padding, "align_corners": align, "x": values(x), "grid": grid.detach().reshape(-1).tolist(),
            "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad),
            "grad_grid": values(grid.grad)}


# Points exactly on the borders, where clipping passes no gradient, and reflections far outside.
borders = [-1.0, 0.0, 1.0, -1.0, 2 / 3, -2 / 3, 1.0, 1.0, -1.0, 1 / 3]
cases.append(explicit_grid_case("border_exact_align", (1, 1, 3, 3), borders, "bilinear", "border", True))
cases.append(explicit_grid_case("reflection_exact_align", (1, 1, 3, 3), borders, "bilinear", "reflection", True))
cases.append(explicit_grid_case("border_exact_centres", (1, 1, 3, 3), borders, "bilinear", "border", False))
far = (torch.rand(40) * 2 - 1) * torch.logspace(3, 6.5, 40)
cases.append(explicit_grid_case("reflection_far", (1, 1, 3, 4), far.tolist(), "bilinear", "reflection", False))
# rotate without a fill: plain zero padding, no coverage blend.
image = torch.rand(3, 7, 9)
out = TF.rotate(image, 30.0, interpolation=InterpolationMode.BILINEAR)
cases.append({"name": "rotate_bilinear_no_fill", "kind": "rotate", "shape": [3, 7, 9], "angle": 30.0, "mode": "bilinear",
              "fill": None, "x": values(image), "out_shape": list(out.shape), "out": values(out)})

OUT.write_text(json.dumps({"cases": cases}))
print(f"wrote {len(cases)} cases to {OUT}")
