"""Writes the small safetensors reference files that Tests/EmberTests/IO compares Ember against.

Run with the PyTorch environment:  /opt/torchenv/bin/python scripts/make_io_fixtures.py
Every file is written by the `safetensors` library itself, so a byte-for-byte match proves that
Ember writes exactly what the library writes.
"""
import json
import os

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Tests", "EmberTests", "Fixtures")


def main():
    os.makedirs(OUT, exist_ok=True)

    # Float32 and int64, mixed key order, a scalar and an empty tensor; one metadata entry
    # (the library keeps metadata in a hash map, so only one entry has a fixed order).
    roundtrip = {
        "weight": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.5,
        "bias": torch.tensor([1.5, -2.25, 3.0], dtype=torch.float32),
        "steps": torch.tensor([7, -3, 1 << 40], dtype=torch.int64),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "a.long_name.with_dots": torch.tensor([[1, 2], [3, 4]], dtype=torch.int64),
    }
    save_file(roundtrip, os.path.join(OUT, "io_roundtrip.safetensors"), metadata={"format": "pt"})
    save_file({"x": torch.tensor([1.0, 2.0])}, os.path.join(OUT, "io_nometa.safetensors"))

    # Every dtype Ember converts on read; the expected values go to a JSON file.
    conv = {
        "f64": np.array([0.1, -2.5, 1e10], dtype=np.float64),
        "f16": np.array([0.5, -1.0, 65504.0, 6.1e-05, 1e-07], dtype=np.float16),
        "i32": np.array([-2147483648, 0, 2147483647], dtype=np.int32),
        "i16": np.array([-32768, 5, 32767], dtype=np.int16),
        "i8": np.array([[-128, 0], [1, 127]], dtype=np.int8),
        "u8": np.array([0, 128, 255], dtype=np.uint8),
        "bool": np.array([True, False, True]),
    }
    save_numpy(conv, os.path.join(OUT, "io_dtypes.safetensors"))
    bf16 = torch.tensor([1.0, -3.140625, 1e30, 0.0078125], dtype=torch.bfloat16)
    save_file({"bf16": bf16}, os.path.join(OUT, "io_bf16.safetensors"))
    expected = {k: v.astype(np.float64).tolist() for k, v in conv.items()}
    expected["bf16"] = bf16.float().tolist()
    with open(os.path.join(OUT, "io_dtypes.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
