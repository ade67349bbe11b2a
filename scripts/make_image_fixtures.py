"""Reference images and values for Ember's image files, conversions and resizing.

Run: /opt/torchenv/bin/python scripts/make_image_fixtures.py   (needs Pillow: pip install pillow)
Writes small images in many PNG/JPEG/PGM/PPM variants to Tests/EmberTests/Fixtures/images/ (Pillow
writes most; 16-bit and 2-bit PNGs are written by hand below, as Pillow cannot save them) and
Tests/EmberTests/Fixtures/images.json with, per file, the pixels Pillow decodes after
convert("RGB"), convert("L") and (with alpha) convert("RGBA") — what torchvision's ImageFolder
loads. It also holds resize cases: F.interpolate(bilinear, antialias) is what torchvision's
Resize and RandomResizedCrop do to tensors.
"""
import io
import json
import pathlib
import struct
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
for shape, size, antialias in [((3, 20, 27), (7, 10), True), ((3, 20, 27), (7, 10), False), ((1, 9, 13), (20, 31), True),
                               ((2, 16, 6), (5, 14), True), ((3, 33, 33), (32, 32), True), ((3, 8, 8), (3, 3), True)]:
    image = torch.rand(*shape)
    out = F.interpolate(image[None], size=size, mode="bilinear", antialias=antialias, align_corners=False)[0]
    resizes.append({"shape": list(shape), "size": list(size), "antialias": antialias, "x": values(image),
                    "out": values(out)})

(ROOT / "images.json").write_text(json.dumps({"files": cases, "conversions": conversions, "resize": resizes}))
print(f"wrote {len(files)} images, {len(resizes)} resize cases")
