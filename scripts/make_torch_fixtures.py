#!/usr/bin/env python3
"""Makes the PyTorch checkpoint fixtures in Tests/EmberTests/Fixtures/torch/.

Run with the PyTorch environment:  /opt/torchenv/bin/python scripts/make_torch_fixtures.py

Each `NAME.pth` comes with `NAME.json`: for every key in file order, its shape, the dtype PyTorch saved
and the values as Ember should load them (float32 for floating dtypes, integers for integer dtypes),
flattened in row-major order.

`--roundtrip` checks Ember's output instead: it loads `ember_written.pth` (written by Ember's test
`writeFixtureForPyTorch` when EMBER_WRITE_TORCH_FIXTURE=1) with `torch.load(weights_only=True)`,
checks it is an OrderedDict with the expected keys, order and values, and re-saves it as
`ember_resaved_by_torch.pth`, which the tests read back.
"""
import io
import json
import os
import sys
import zipfile
from collections import OrderedDict

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "EmberTests", "Fixtures", "torch")


def expected(state):
    out = OrderedDict()
    for key, t in state.items():
        if t.dtype.is_floating_point:
            values = t.detach().to(torch.float32).reshape(-1).tolist()
        else:
            values = t.detach().reshape(-1).tolist()
        out[key] = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "values": values}
    return {"keys": list(state.keys()), "tensors": out}


def save(name, state, legacy=False):
    path = os.path.join(OUT, name + ".pth")
    if legacy:
        torch.save(state, path, _use_new_zipfile_serialization=False)
    else:
        torch.save(state, path)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(expected(state), f, indent=1)
    # What we wrote must load back safely in PyTorch itself.
    again = torch.load(path, weights_only=True)
    assert list(again.keys()) == list(state.keys())


def dtypes_state():
    g = torch.Generator().manual_seed(1)
    return OrderedDict([
        ("f32", torch.randn(2, 3, generator=g)),
        ("f64", torch.randn(3, 4, generator=g, dtype=torch.float64)),
        ("f16", torch.randn(5, generator=g).to(torch.float16)),
        ("bf16", torch.randn(2, 3, generator=g).to(torch.bfloat16)),
        ("i64", torch.arange(-3, 3, dtype=torch.int64).reshape(2, 3)),
        ("i32", torch.tensor([7, -8, 2**31 - 1], dtype=torch.int32)),
        ("u8", torch.tensor([0, 1, 255], dtype=torch.uint8)),
        ("flag", torch.tensor([True, False, True])),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 3)),
    ])


def batchnorm_state():
    torch.manual_seed(2)
    bn = nn.BatchNorm1d(4)
    bn.train()
    for _ in range(3):
        bn(torch.randn(8, 4) * 2 + 1)
    return bn.state_dict()


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, bias=False)
        self.fc = nn.Linear(6 * 2 * 2, 3)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(x.flatten(1))


def cnn_state():
    torch.manual_seed(3)
    model = SmallCNN()
    model.train()
    model(torch.randn(2, 1, 6, 6))
    return model.state_dict()


def views_state():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 4
    return OrderedDict([
        ("base", base),
        ("row", base[1]),                # shares storage, offset 4
        ("col", base[:, 2]),             # stride 4, offset 2
        ("transposed", base.t()),        # strides (1, 4)
        ("block", base[1:, 1:3]),        # offset 5, strides (4, 1)
        ("other", torch.tensor([[1.0, 2.0], [3.0, 4.0]]).t()),
        ("expanded", torch.tensor([5.0]).expand(3)),  # stride 0
    ])


def legacy_state():
    state = dtypes_state()
    base = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    state["view.base"] = base
    state["view.t"] = base.t()
    state["view.row"] = base[1]
    return state


def hostile(name, pickle_bytes):
    """A zip checkpoint whose data.pkl calls a disallowed global."""
    path = os.path.join(OUT, name + ".pth")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(name + "/data.pkl", pickle_bytes)
        z.writestr(name + "/byteorder", "little")
        z.writestr(name + "/version", "3\n")
    try:
        torch.load(path, weights_only=True)
        raise SystemExit(f"{name}: torch.load(weights_only=True) accepted it")
    except Exception as e:  # PyTorch refuses it too
        print(f"{name}: PyTorch refuses it: {type(e).__name__}")


def hostile_fixtures():
    # GLOBAL os.system, REDUCE ('echo pwned',): what pickle.dumps of a __reduce__ payload produces.
    hostile("hostile_os_system", b"\x80\x02cos\nsystem\nX\x0a\x00\x00\x00echo pwned\x85R.")
    # The same through STACK_GLOBAL (protocol 4), nested inside an OrderedDict value.
    hostile("hostile_stack_global",
            b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00"
            b"\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R(\x8c\x01a"
            b"\x8c\x08builtins\x8c\x04eval\x93\x8c\x041+1\x85Ru.")


def roundtrip():
    src = os.path.join(OUT, "ember_written.pth")
    state = torch.load(src, weights_only=True)
    assert isinstance(state, OrderedDict), type(state)
    want = json.load(open(os.path.join(OUT, "ember_written.json")))
    assert list(state.keys()) == want["keys"], (list(state.keys()), want["keys"])
    for key in want["keys"]:
        t, w = state[key], want["tensors"][key]
        assert list(t.shape) == w["shape"], (key, t.shape, w["shape"])
        assert str(t.dtype) == "torch." + w["dtype"], (key, t.dtype)
        assert t.reshape(-1).tolist() == w["values"], key
    torch.save(state, os.path.join(OUT, "ember_resaved_by_torch.pth"))
    print("PyTorch read Ember's checkpoint:", {k: (tuple(v.shape), str(v.dtype)) for k, v in state.items()})


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--roundtrip" in sys.argv:
        roundtrip()
        return
    save("dtypes", dtypes_state())
    save("batchnorm", batchnorm_state())
    save("cnn", cnn_state())
    save("views", views_state())
    save("legacy", legacy_state(), legacy=True)
    hostile_fixtures()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"fixtures in {OUT}: {total} bytes")


if __name__ == "__main__":
    main()
