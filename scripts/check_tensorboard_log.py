"""Reads an event folder written by Ember's SummaryWriter with TensorBoard's own loader and prints
what TensorBoard will show: each tag's series, histograms' summaries, images and text.

    .venv-bench/bin/pip install tensorboard
    .build/release/ember train --tensorboard runs/mnist
    .venv-bench/bin/python scripts/check_tensorboard_log.py runs/mnist
"""
import io
import sys

from PIL import Image

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
accumulator.Reload()
tags = accumulator.Tags()
for tag in tags["scalars"]:
    events = accumulator.Scalars(tag)
    print(f"scalar {tag}: {len(events)} points, steps {events[0].step}..{events[-1].step}, "
          f"first {events[0].value:.4f}, last {events[-1].value:.4f}")
for tag in tags["histograms"]:
    last = accumulator.Histograms(tag)[-1].histogram_value
    print(f"histogram {tag}: {int(last.num)} values in [{last.min:.4f}, {last.max:.4f}], {len(last.bucket)} buckets")
for tag in tags["images"]:
    image = accumulator.Images(tag)[-1]
    decoded = Image.open(io.BytesIO(image.encoded_image_string))   # Pillow, not Ember, decodes the PNG
    print(f"image {tag}: {image.width}x{image.height}, {len(image.encoded_image_string)} PNG bytes, "
          f"decoded {decoded.size[0]}x{decoded.size[1]} {decoded.mode}")
for tag in tags["tensors"]:
    print(f"text {tag}: {accumulator.Tensors(tag)[-1].tensor_proto.string_val[0].decode()}")
