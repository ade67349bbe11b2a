"""Reference images and values for Ember's image files, conversions and resizing.

Run: TORCHVISION_DIR=/tmp/tv /opt/torchenv/bin/python scripts/make_image_fixtures.py
(needs Pillow, and torchvision's Python code: see import_torchvision below)
Writes small images in many PNG/JPEG/PGM/PPM variants to Tests/EmberTests/Fixtures/images/ (Pillow
writes most; 16-bit and 2-bit PNGs are written by hand below, as Pillow cannot save them) and
Tests/EmberTests/Fixtures/images.json with, per file, the pixels Pillow decodes after
convert("RGB"), convert("L") and (with alpha) convert("RGBA") — what torchvision's ImageFolder
loads. It also holds resize cases (F.interpolate with antialias, what torchvision's Resize and
RandomResizedCrop do to tensors) and, from torchvision itself, make_grid/save_image, Resize's size
rule, center_crop, rgb_to_grayscale and ImageFolder's class and file order on a tree of tricky names.
"""
import io
import json
import os
import pathlib
import struct
import tempfile
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures"
IMAGES = ROOT / "images"
IMAGES.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(11)

# A 13x9 colour picture: smooth gradients (what JPEG is made for) plus noise and a sharp edge.
H, W = 9, 13
y, x = np.mgrid[0:H, 0:W]
rgb = np.stack([x * 255 / (W - 1), y * 255 / (H - 1), (x + y) * 255 / (W + H - 2)], axis=-1)
rgb = rgb + rng.normal(0, 20, rgb.shape)
rgb[:, 6:, 0] = 250
rgb = np.clip(rgb, 0, 255).astype(np.uint8)
alpha = rng.integers(0, 256, (H, W), dtype=np.uint8)
picture = Image.fromarray(rgb, "RGB")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def handmade_png(raw_rows, width, height, depth, color_type):
    """A PNG from already packed rows (filter type 0 on each)."""
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    data = b"".join(b"\x00" + row for row in raw_rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(data))
            + png_chunk(b"IEND", b""))


files = {}


def save(name, image, **options):
    buffer = io.BytesIO()
    image.save(buffer, **options)
    files[name] = buffer.getvalue()


save("rgb.png", picture, format="PNG")
save("rgba.png", Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), format="PNG")
save("gray.png", picture.convert("L"), format="PNG")
save("gray_alpha.png", Image.fromarray(np.dstack([np.asarray(picture.convert("L")), alpha]), "LA"), format="PNG")
save("palette.png", picture.quantize(colors=37), format="PNG")
with_transparency = picture.quantize(colors=16)
save("palette_transparent.png", with_transparency, format="PNG", transparency=3, bits=4)
save("bilevel.png", picture.convert("1"), format="PNG")
save("rgb.jpg", picture, format="JPEG", quality=90)
save("rgb_444.jpg", picture, format="JPEG", quality=95, subsampling=0)
save("progressive.jpg", picture, format="JPEG", quality=80, progressive=True)
save("gray.jpg", picture.convert("L"), format="JPEG", quality=85)
save("gray.pgm", picture.convert("L"), format="PPM")
save("rgb.ppm", picture, format="PPM")
# 16-bit RGB (Pillow keeps each sample's high byte) and 2-bit gray (scaled by 85).
rgb16 = (rgb.astype(np.uint16) * 257 + rng.integers(0, 200, rgb.shape).astype(np.uint16) * (rgb < 255)).astype(">u2")
files["rgb16.png"] = handmade_png([rgb16[r].tobytes() for r in range(H)], W, H, 16, 2)
gray2 = rng.integers(0, 4, (H, W))
packed = [bytes(int("".join(f"{v:02b}" for v in list(row) + [0] * (-len(row) % 4))[i:i + 8], 2)
                for i in range(0, 2 * (len(row) + (-len(row) % 4)), 8)) for row in gray2]
files["gray2.png"] = handmade_png(packed, W, H, 2, 0)
files["ascii_maxval.pgm"] = b"P2\n# maxval below 255 is rescaled\n4 2\n100\n0 25 50 75\n100 99 1 60\n"

expected_modes = {"rgb.png": "RGB", "rgba.png": "RGBA", "gray.png": "L", "gray_alpha.png": "LA", "palette.png": "RGB",
                  "palette_transparent.png": "RGBA", "bilevel.png": "L", "rgb.jpg": "RGB", "rgb_444.jpg": "RGB",
                  "progressive.jpg": "RGB", "gray.jpg": "L", "gray.pgm": "L", "rgb.ppm": "RGB", "rgb16.png": "RGB",
                  "gray2.png": "L", "ascii_maxval.pgm": "L"}
cases = []
for name, data in files.items():
    (IMAGES / name).write_bytes(data)
    image = Image.open(io.BytesIO(data))
    image.load()
    case = {"file": name, "pillow_mode": image.mode, "mode": expected_modes[name], "width": image.width,
            "height": image.height, "rgb": list(image.convert("RGB").tobytes()),
            "gray": list(image.convert("L").tobytes())}
    if expected_modes[name] in ("RGBA", "LA"):
        case["rgba"] = list(image.convert("RGBA").tobytes())
    cases.append(case)

# Mode conversions of one RGBA picture, for Image.converted(to:).
source = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
conversions = {"source": list(source.tobytes()), "width": W, "height": H}
for mode in ("L", "LA", "RGB"):
    conversions[mode] = list(source.convert(mode).tobytes())
conversions["L_to_RGBA"] = list(source.convert("L").convert("RGBA").tobytes())


def values(t):
    return [round(v, 7) for v in t.reshape(-1).tolist()]


torch.manual_seed(3)
resizes = []
for shape, size, antialias, *corners in [((3, 20, 27), (7, 10), True), ((3, 20, 27), (7, 10), False),
                                         ((1, 9, 13), (20, 31), True), ((2, 16, 6), (5, 14), True),
                                         ((3, 33, 33), (32, 32), True), ((3, 8, 8), (3, 3), True),
                                         ((2, 12, 9), (5, 14), True, True), ((1, 4, 4), (2, 2), True, True)]:
    image = torch.rand(*shape)
    align_corners = bool(corners and corners[0])
    out = F.interpolate(image[None], size=size, mode="bilinear", antialias=antialias, align_corners=align_corners)[0]
    resizes.append({"shape": list(shape), "size": list(size), "antialias": antialias, "align_corners": align_corners,
                    "x": values(image), "out": values(out)})



from torchvision_loader import import_torchvision  # noqa: E402

import_torchvision()
import torchvision.datasets as datasets  # noqa: E402
import torchvision.transforms.functional as TF  # noqa: E402
import torchvision.utils as tvutils  # noqa: E402

torch.manual_seed(7)
# make_grid and save_image.
grids = []
for shape, options, kind in [((5, 1, 3, 4), {"nrow": 2}, "rand"), ((3, 3, 2, 2), {"padding": 1, "pad_value": 0.5}, "rand"),
                             ((4, 3, 3, 3), {"normalize": True}, "randn"),
                             ((4, 1, 3, 3), {"normalize": True, "scale_each": True, "nrow": 3}, "randn"),
                             ((2, 3, 2, 3), {"normalize": True, "value_range": (-1, 1)}, "randn"),
                             ((1, 1, 4, 4), {}, "rand"), ((3, 5), {}, "rand"), ((2, 4, 3), {"nrow": 1}, "rand")]:
    x = torch.rand(*shape) if kind == "rand" else torch.randn(*shape)
    out = tvutils.make_grid(x, **options)
    grids.append({"shape": list(shape), "options": {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
                  "x": values(x), "out_shape": list(out.shape), "out": values(out)})
# save_image's rounding, with values at and beside the halfway points k/510, and outside [0, 1].
halfway = torch.tensor([k / 510 for k in range(0, 511, 7)] + [-0.2, 1.3, 0.5 / 255, 1.5 / 255 - 1e-7])
halfway = torch.cat([halfway, torch.rand(2 * 3 * 8 * 5 - halfway.numel())]).reshape(2, 3, 8, 5)
buffer = io.BytesIO()
tvutils.save_image(halfway, buffer, format="png", nrow=2, padding=1)
saved = Image.open(buffer)
# x unrounded: the halfway points must survive the JSON exactly.
save_case = {"x": halfway.reshape(-1).tolist(), "shape": list(halfway.shape), "nrow": 2, "padding": 1, "width": saved.width,
             "height": saved.height, "mode": saved.mode, "pixels": list(saved.tobytes())}

# Resize, CenterCrop and Grayscale on tensors.
resize_sizes = []
for h, w, size in [(375, 500, 256), (500, 375, 256), (7, 9, 4), (9, 7, 4), (10, 10, 3), (3, 1000, 2), (8, 4, 8)]:
    resize_sizes.append({"height": h, "width": w, "size": size, "out": list(TF.resize(torch.zeros(1, h, w), size).shape[1:])})
resize_image = torch.rand(3, 37, 50)
resize_values = {"x": values(resize_image), "shape": [3, 37, 50], "size": 16, "out": values(TF.resize(resize_image, 16)),
                 "out_shape": list(TF.resize(resize_image, 16).shape)}
crops = []
for shape, size in [((1, 5, 6), (2, 3)), ((1, 5, 6), (4, 1)), ((1, 2, 2), (3, 4)), ((3, 7, 8), (4, 4)), ((2, 3, 3), (5, 2)),
                    ((1, 4, 4), (4, 4)), ((2, 1, 6, 5), (3, 2))]:
    x = torch.rand(*shape)
    out = TF.center_crop(x, list(size))
    crops.append({"shape": list(shape), "size": list(size), "x": values(x), "out_shape": list(out.shape), "out": values(out)})
gray_input = torch.rand(2, 3, 4, 5)
grayscale = {"x": values(gray_input), "shape": [2, 3, 4, 5], "one": values(TF.rgb_to_grayscale(gray_input, 1)),
             "three": values(TF.rgb_to_grayscale(gray_input, 3))}

# ImageFolder's classes and sample order on a tree with tricky names (torchvision's ordering rules).
tree = ["b/1.png", "b/10.png", "b/2.png", "b/sub/3.png", "b/sub-x/4.png", "b/sub x/5.png", "b/sub/deeper/6.png",
        "b/7.JPG", "b/8.Png", "b/notes.txt", "A/a.png", "a/é.png", "a/e.png", "a/z.ppm", "ä/1.png", "B2/q.jpeg",
        "b_1/x.pgm", "b-1/y.png", "Z/nested/only.png"]
with tempfile.TemporaryDirectory() as root:
    for relative in tree:
        path = pathlib.Path(root, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix.lower()
        if suffix == ".txt":
            path.write_text("not an image")
        else:
            Image.new("L" if suffix == ".pgm" else "RGB", (2, 2)).save(
                path, format={".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".ppm": "PPM", ".pgm": "PPM"}[suffix])
    folder = datasets.ImageFolder(root)
    image_folder = {"tree": tree, "classes": folder.classes,
                    "samples": [[os.path.relpath(p, root), t] for p, t in folder.samples]}

# Colour adjustments and Gaussian blur on tensors (ColorJitter's and GaussianBlur's functions). Factors are
# exact in float32, so the float32 arithmetic on both sides starts from the same numbers. The hue image
# has whole eighths, so channels tie (gray pixels, two equal maxima) as they do in real images.
torch.manual_seed(11)
color_rgb = torch.rand(2, 3, 5, 6)
color_gray = torch.rand(1, 4, 5)
hue_image = torch.cat([torch.randint(0, 9, (3, 4, 6)) / 8, torch.rand(3, 2, 6)], dim=1)
color = []
for name, fn, image, factor in [("brightness", TF.adjust_brightness, color_rgb, 0.0),
                                ("brightness", TF.adjust_brightness, color_rgb, 0.625),
                                ("brightness", TF.adjust_brightness, color_gray, 1.75),
                                ("contrast", TF.adjust_contrast, color_rgb, 0.375),
                                ("contrast", TF.adjust_contrast, color_rgb, 1.8125),
                                ("contrast", TF.adjust_contrast, color_gray, 0.5),
                                ("saturation", TF.adjust_saturation, color_rgb, 0.0),
                                ("saturation", TF.adjust_saturation, color_rgb, 2.25),
                                ("saturation", TF.adjust_saturation, color_gray, 0.5),
                                ("hue", TF.adjust_hue, hue_image, -0.5),
                                ("hue", TF.adjust_hue, hue_image, -0.28125),
                                ("hue", TF.adjust_hue, hue_image, 0.09375),
                                ("hue", TF.adjust_hue, hue_image, 0.5),
                                ("hue", TF.adjust_hue, color_rgb, 0.25)]:
    color.append({"op": name, "factor": factor, "shape": list(image.shape), "x": values(image), "out": values(fn(image, factor))})
blurs = []
for shape, kernel, sigma in [((3, 9, 11), (5, 3), (1.25, 0.75)), ((1, 6, 6), (3, 3), (0.5, 0.5)),
                             ((2, 2, 7, 8), (7, 7), (2.0, 2.0)), ((1, 4, 9), (1, 9), (0.875, 3.0))]:
    x = torch.rand(*shape)
    # torchvision takes [kx, ky] and [sx, sy]; the fixture keeps (height, width) order.
    out = TF.gaussian_blur(x, [kernel[1], kernel[0]], [sigma[1], sigma[0]])
    blurs.append({"shape": list(shape), "kernel": list(kernel), "sigma": list(sigma), "x": values(x), "out": values(out)})

torchvision_cases = {"grids": grids, "save_image": save_case, "resize_sizes": resize_sizes, "resize_values": resize_values,
                     "center_crops": crops, "grayscale": grayscale, "image_folder": image_folder, "color": color,
                     "blur": blurs}
(ROOT / "images.json").write_text(json.dumps({"files": cases, "conversions": conversions, "resize": resizes,
                                              "torchvision": torchvision_cases}))
print(f"wrote {len(files)} images, {len(resizes)} resize cases, torchvision cases")
