"""Reference values for Ember's padding (F.pad in its four modes and the padding layers),
PixelShuffle/PixelUnshuffle and unfold/fold, computed by PyTorch.

Run: /opt/torchenv/bin/python scripts/make_pad_fixtures.py
Writes Tests/EmberTests/Fixtures/pad.json: per case the input, the output and the input's gradient of
sum(output * r) (r fixed and random), and the layers' reprs.
"""
import json
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures/pad.json"


def values(t):
    return [round(v, 7) for v in t.detach().reshape(-1).tolist()]


def case(name, fn, shape, **args):
    x = torch.randn(*shape, requires_grad=True)
    out = fn(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "args": args, "shape": list(shape), "x": values(x), "out_shape": list(out.shape),
            "out": values(out), "r": values(r), "grad": values(x.grad)}


cases = [
    case("constant_1d", lambda x: F.pad(x, (2, 1)), [2, 3, 4], pad=[2, 1], mode="constant", value=0.0),
    case("constant_value_2d", lambda x: F.pad(x, (1, 0, 2, 3), value=1.5), [1, 2, 3, 3], pad=[1, 0, 2, 3],
         mode="constant", value=1.5),
    case("constant_crop", lambda x: F.pad(x, (-1, 2, 1, -2)), [2, 4, 5], pad=[-1, 2, 1, -2], mode="constant", value=0.0),
    case("constant_3_dims", lambda x: F.pad(x, (1, 1, 0, 2, 1, 0)), [2, 2, 3], pad=[1, 1, 0, 2, 1, 0],
         mode="constant", value=0.0),
    case("reflect_1d", lambda x: F.pad(x, (3, 2), mode="reflect"), [2, 3, 5], pad=[3, 2], mode="reflect"),
    case("reflect_2d", lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"), [1, 2, 4, 3], pad=[1, 2, 2, 1], mode="reflect"),
    case("replicate_1d", lambda x: F.pad(x, (2, 3), mode="replicate"), [2, 2, 3], pad=[2, 3], mode="replicate"),
    case("replicate_2d", lambda x: F.pad(x, (0, 2, 3, 1), mode="replicate"), [2, 1, 3, 4], pad=[0, 2, 3, 1],
         mode="replicate"),
    case("circular_1d", lambda x: F.pad(x, (2, 1), mode="circular"), [1, 2, 4], pad=[2, 1], mode="circular"),
    case("circular_2d", lambda x: F.pad(x, (1, 3, 2, 0), mode="circular"), [1, 1, 3, 4], pad=[1, 3, 2, 0],
         mode="circular"),
    case("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), [2, 8, 3, 2], factor=2),
    case("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 3), [1, 2, 6, 3], factor=3),
    case("unfold", lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [2, 3, 5, 6],
         kernel=[2, 3], dilation=[1, 2], padding=[1, 1], stride=[2, 1]),
    case("fold", lambda x: F.fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [2, 18, 12],
         output=[5, 6], kernel=[2, 3], dilation=[1, 2], padding=[1, 1], stride=[2, 1]),
]
# Convolutions with each padding mode: their weights are recorded, and the Swift test loads them.
torch.manual_seed(9)
convs = {}
for mode in ["reflect", "replicate", "circular"]:
    conv = nn.Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode=mode)
    x = torch.randn(2, 2, 4, 5, requires_grad=True)
    out = conv(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    convs[mode] = {"weight": values(conv.weight), "bias": values(conv.bias), "x": values(x), "out_shape": list(out.shape),
                   "out": values(out), "r": values(r), "grad": values(x.grad), "grad_weight": values(conv.weight.grad),
                   "repr": repr(conv)}

reprs = {
    "ZeroPad1d": repr(nn.ZeroPad1d((1, 2))),
    "ZeroPad2d": repr(nn.ZeroPad2d(2)),
    "ConstantPad1d": repr(nn.ConstantPad1d(3, 1.5)),
    "ConstantPad2d": repr(nn.ConstantPad2d((1, 0, 2, 3), -2.0)),
    "ReflectionPad1d": repr(nn.ReflectionPad1d(2)),
    "ReflectionPad2d": repr(nn.ReflectionPad2d((1, 2, 2, 1))),
    "ReplicationPad1d": repr(nn.ReplicationPad1d((0, 3))),
    "ReplicationPad2d": repr(nn.ReplicationPad2d(1)),
    "CircularPad1d": repr(nn.CircularPad1d(1)),
    "CircularPad2d": repr(nn.CircularPad2d((1, 3, 2, 0))),
    "PixelShuffle": repr(nn.PixelShuffle(2)),
    "PixelUnshuffle": repr(nn.PixelUnshuffle(3)),
    "Unfold": repr(nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))),
    "Fold": repr(nn.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))),
}
OUT.write_text(json.dumps({"cases": cases, "convs": convs, "reprs": reprs}, separators=(",", ":")) + "\n")
print(f"wrote {len(cases)} cases, {len(convs)} convolutions and {len(reprs)} reprs to {OUT}")

