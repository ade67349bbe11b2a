"""Generates the reference event records for Ember's SummaryWriter with PyTorch's
torch.utils.tensorboard.SummaryWriter (and TensorBoard's protobufs): the serialized events of
scalars and text, histograms' fields, and the pixels of logged images as TensorBoard decodes them.

    .venv-bench/bin/pip install tensorboard
    .venv-bench/bin/python scripts/make_tensorboard_fixtures.py

Writes Tests/EmberTests/Fixtures/tensorboard.json.
"""
import io
import json
import os
import struct
import tempfile

import numpy as np
import torch
from PIL import Image
from tensorboard.compat.proto import event_pb2
from torch.utils.tensorboard import SummaryWriter

torch.manual_seed(4242)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "tensorboard.json")
WALL = 1_700_000_000.25


def records(path):
    """The serialized events of a TFRecord file (framing read, CRCs not checked: the Swift tests check them)."""
    data, out, at = open(path, "rb").read(), [], 0
    while at < len(data):
        (length,) = struct.unpack("<Q", data[at:at + 8])
        out.append(data[at + 12:at + 12 + length])
        at += 16 + length
    return out


def events(folder):
    (name,) = [n for n in os.listdir(folder) if n.startswith("events.out.tfevents.")]
    return records(os.path.join(folder, name))[1:]   # the first is the file-version event


def exact(numbers):
    """Doubles as their shortest round-trip strings: Foundation's JSON parser on Linux may round the last bit."""
    return [repr(float(v)) for v in numbers]


def values(t):
    return [float(v) for v in t.reshape(-1).tolist()]


with tempfile.TemporaryDirectory() as folder:
    writer = SummaryWriter(folder)
    scalars = [("loss/train", 0.6931471805599453, 100), ("accuracy", 1 / 3, None), ("lr", -2.5e-4, 0),
               ("big step", 12345.678, 2 ** 40), ("zero", 0.0, 7)]
    for tag, value, step in scalars:
        writer.add_scalar(tag, value, step, walltime=WALL)
    writer.add_text("notes", "Adam, lr **1e-3** — ünïcode", 3, walltime=WALL)
    writer.close()
    logged = events(folder)
    scalar_events = [dict(tag=t, value=v, step=s, event=e.hex()) for (t, v, s), e in zip(scalars, logged)]
    text_event = dict(tag="notes", text="Adam, lr **1e-3** — ünïcode", step=3, event=logged[-1].hex())

with tempfile.TemporaryDirectory() as folder:
    writer = SummaryWriter(folder)
    writer.add_scalars("run/curves", {"sin": 0.5, "cos": -0.25}, 4, walltime=WALL)
    writer.close()
    series = {}
    for sub in sorted(os.listdir(folder)):
        if os.path.isdir(os.path.join(folder, sub)):
            series[sub] = events(os.path.join(folder, sub))[0].hex()

weights = torch.randn(1000) * 0.1
weights[:5] = 0
histogram_inputs = [("default", weights, "tensorflow"), ("ten", weights, 10),
                    ("edges", torch.randn(200), [-1.0, -0.5, 0.0, 0.25, 2.0]),
                    ("constant", torch.full((7,), 3.0), 4), ("one", torch.tensor([-0.001]), "tensorflow")]
histograms = []
with tempfile.TemporaryDirectory() as folder:
    writer = SummaryWriter(folder)
    for name, x, bins in histogram_inputs:
        writer.add_histogram(name, x, 9, bins=bins, walltime=WALL)
    writer.close()
    for (name, x, bins), raw in zip(histogram_inputs, events(folder)):
        event = event_pb2.Event.FromString(raw)
        h = event.summary.value[0].histo
        histograms.append(dict(name=name, values=values(x), bins=bins if not isinstance(bins, list) else "edges",
                               edges=exact(bins) if isinstance(bins, list) else None,
                               min=repr(h.min), max=repr(h.max), num=repr(h.num), sum=repr(h.sum),
                               sum_squares=repr(h.sum_squares), bucket_limit=exact(h.bucket_limit), bucket=exact(h.bucket)))

image_inputs = [("rgb", torch.rand(3, 5, 7) * 1.2 - 0.1, "CHW"), ("gray", torch.rand(1, 4, 6), "CHW"),
                ("hwc", torch.rand(4, 3, 4), "HWC"), ("hw", torch.rand(2, 5), "HW")]
images = []
with tempfile.TemporaryDirectory() as folder:
    writer = SummaryWriter(folder)
    for name, x, layout in image_inputs:
        writer.add_image(name, x, 2, dataformats=layout, walltime=WALL)
    batch = torch.rand(10, 1, 3, 2)
    writer.add_images("batch", batch, 2, walltime=WALL)
    writer.close()
    logged = events(folder)
    for (name, x, layout), raw in zip(image_inputs + [("batch", batch, "NCHW")], logged):
        image = event_pb2.Event.FromString(raw).summary.value[0].image
        pixels = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)))
        images.append(dict(name=name, layout=layout, shape=list(x.shape), values=values(x), height=image.height,
                           width=image.width, colorspace=image.colorspace, pixels=pixels.reshape(-1).tolist()))

with open(OUT, "w") as f:
    json.dump(dict(wall_time=WALL, scalars=scalar_events, text=text_event, series=series, histograms=histograms,
                   images=images), f)
print("wrote", OUT)
