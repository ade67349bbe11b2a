"""Reference values for Ember's convolution and pooling ops, computed by PyTorch.

Run: /opt/torchenv/bin/python scripts/make_conv_fixtures.py
Writes Tests/EmberTests/Fixtures/conv.json: for each case the inputs, the op's arguments, the output,
and the gradients of sum(output * r) for a fixed random r; and the reprs of the transposed layers.
"""
import json
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(7)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures/conv.json"


def values(t):
    return [round(v, 6) for v in t.detach().reshape(-1).tolist()]


def conv_case(name, x_shape, w_shape, bias=True, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    x = torch.randn(x_shape, requires_grad=True)
    w = torch.randn(w_shape, requires_grad=True)
    b = torch.randn(w_shape[0], requires_grad=True) if bias else None
    out = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {
        "name": name, "kind": "conv2d", "x_shape": list(x_shape), "x": values(x), "w_shape": list(w_shape), "w": values(w),
        "b": values(b) if bias else None, "stride": list(stride),
        "padding": padding if isinstance(padding, str) else list(padding), "dilation": list(dilation), "groups": groups,
        "out_shape": list(out.shape), "out": values(out), "r": values(r),
        "grad_x": values(x.grad), "grad_w": values(w.grad), "grad_b": values(b.grad) if bias else None,
    }


def conv1d_case(name, x_shape, w_shape, bias=True, stride=1, padding=0, dilation=1, groups=1):
    x = torch.randn(x_shape, requires_grad=True)
    w = torch.randn(w_shape, requires_grad=True)
    b = torch.randn(w_shape[0], requires_grad=True) if bias else None
    out = F.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {
        "name": name, "kind": "conv1d", "x_shape": list(x_shape), "x": values(x), "w_shape": list(w_shape), "w": values(w),
        "b": values(b) if bias else None, "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
        "out_shape": list(out.shape), "out": values(out), "r": values(r),
        "grad_x": values(x.grad), "grad_w": values(w.grad), "grad_b": values(b.grad) if bias else None,
    }


def pool_case(name, kind, x_shape, **kwargs):
    x = torch.randn(x_shape, requires_grad=True)
    if kind == "max":
        out = F.max_pool2d(x, **kwargs)
    elif kind == "avg":
        out = F.avg_pool2d(x, **kwargs)
    else:
        out = F.adaptive_avg_pool2d(x, **kwargs)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    return {"name": name, "kind": kind, "x_shape": list(x_shape), "x": values(x), "args": args,
            "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad)}


def pool1d_case(name, kind, x_shape, **kwargs):
    x = torch.randn(x_shape, requires_grad=True)
    pool = {"max1d": F.max_pool1d, "avg1d": F.avg_pool1d, "adaptive1d": F.adaptive_avg_pool1d}[kind]
    out = pool(x, **kwargs)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "kind": kind, "x_shape": list(x_shape), "x": values(x), "args": kwargs,
            "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad)}


def conv_transpose_case(name, x_shape, w_shape, bias=True, **kwargs):
    x = torch.randn(x_shape, requires_grad=True)
    w = torch.randn(w_shape, requires_grad=True)
    groups = kwargs.get("groups", 1)
    b = torch.randn(w_shape[1] * groups, requires_grad=True) if bias else None
    op = F.conv_transpose2d if len(x_shape) == 4 else F.conv_transpose1d
    out = op(x, w, b, **kwargs)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    kind = "conv_transpose2d" if len(x_shape) == 4 else "conv_transpose1d"
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    return {
        "name": name, "kind": kind, "x_shape": list(x_shape), "x": values(x), "w_shape": list(w_shape), "w": values(w),
        "b": values(b) if bias else None, "args": args,
        "out_shape": list(out.shape), "out": values(out), "r": values(r),
        "grad_x": values(x.grad), "grad_w": values(w.grad), "grad_b": values(b.grad) if bias else None,
    }


cases = [
    conv_case("basic", (2, 3, 7, 6), (4, 3, 3, 3)),
    conv_case("stride2_pad1", (2, 3, 7, 6), (4, 3, 3, 3), stride=(2, 2), padding=(1, 1)),
    conv_case("dilation2", (1, 2, 9, 8), (3, 2, 3, 3), dilation=(2, 2), padding=(2, 2)),
    conv_case("groups2", (2, 4, 6, 6), (6, 2, 3, 3), groups=2),
    conv_case("depthwise", (1, 3, 5, 5), (3, 1, 3, 3), groups=3, padding=(1, 1), bias=False),
    conv_case("pointwise", (2, 3, 4, 5), (5, 3, 1, 1)),
    conv_case("same_even_kernel", (1, 3, 6, 7), (2, 3, 4, 4), padding="same"),
    conv_case("odd_sizes", (1, 2, 5, 7), (3, 2, 2, 3), stride=(2, 1), padding=(1, 0)),
    pool_case("max_k2", "max", (2, 3, 6, 6), kernel_size=(2, 2)),
    pool_case("max_k3_s2_p1", "max", (1, 2, 7, 5), kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)),
    pool_case("max_dilation", "max", (1, 2, 7, 7), kernel_size=(2, 2), stride=(1, 1), dilation=(2, 2)),
    pool_case("avg_k2", "avg", (2, 3, 6, 6), kernel_size=(2, 2)),
    pool_case("avg_k3_s2_p1", "avg", (1, 2, 7, 5), kernel_size=(3, 3), stride=(2, 2), padding=(1, 1)),
    pool_case("avg_k3_s2_p1_exclude", "avg", (1, 2, 7, 5), kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
              count_include_pad=False),
    pool_case("adaptive_3x3_from_7x7", "adaptive", (1, 2, 7, 7), output_size=(3, 3)),
    pool_case("adaptive_2x2_from_6x6", "adaptive", (1, 2, 6, 6), output_size=(2, 2)),
    pool_case("adaptive_1x1", "adaptive", (2, 3, 5, 4), output_size=(1, 1)),
    conv1d_case("conv1d_basic", (2, 3, 9), (4, 3, 3)),
    conv1d_case("conv1d_stride2_pad2_dilation2", (2, 2, 11), (3, 2, 3), stride=2, padding=2, dilation=2),
    conv1d_case("conv1d_groups_same", (1, 4, 8), (6, 2, 4), padding="same", groups=2, bias=False),
    pool1d_case("max1d_k3_s2_p1", "max1d", (2, 3, 9), kernel_size=3, stride=2, padding=1),
    pool1d_case("max1d_dilation", "max1d", (1, 2, 10), kernel_size=2, stride=1, dilation=3),
    pool1d_case("avg1d_k3_s2_p1_exclude", "avg1d", (2, 2, 8), kernel_size=3, stride=2, padding=1,
                count_include_pad=False),
    pool1d_case("adaptive1d_3_from_7", "adaptive1d", (2, 3, 7), output_size=3),
    conv_transpose_case("convT_basic", (2, 3, 4, 5), (3, 2, 3, 3)),
    conv_transpose_case("convT_stride2_pad1_outpad1", (2, 4, 4, 3), (4, 3, 3, 3), stride=(2, 2), padding=(1, 1),
                        output_padding=(1, 1)),
    conv_transpose_case("convT_asymmetric", (1, 2, 3, 4), (2, 3, 2, 4), stride=(3, 2), padding=(0, 1),
                        output_padding=(2, 0), bias=False),
    conv_transpose_case("convT_groups_dilation", (2, 4, 3, 3), (4, 1, 3, 2), stride=(1, 2), padding=(1, 0),
                        groups=2, dilation=(2, 3)),
    conv_transpose_case("convT_outpad_below_dilation", (1, 2, 4, 4), (2, 2, 3, 3), stride=(1, 1),
                        output_padding=(1, 1), dilation=(2, 2)),
    conv_transpose_case("convT1d_stride2", (2, 3, 6), (3, 4, 4), stride=2, padding=1),
    conv_transpose_case("convT1d_groups_outpad", (1, 4, 5), (4, 3, 3), stride=3, padding=2, output_padding=1, groups=2),
    conv_transpose_case("convT_outpad_past_stride_padded", (2, 2, 3, 4), (2, 3, 3, 2), stride=(1, 2), padding=(1, 2),
                        output_padding=(2, 1), dilation=(3, 1)),
]


def interpolate_case(name, x_shape, **kwargs):
    x = torch.randn(x_shape, requires_grad=True)
    out = F.interpolate(x, **kwargs)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    return {"name": name, "kind": "interpolate", "x_shape": list(x_shape), "x": values(x), "args": args,
            "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad)}


cases += [
    interpolate_case("nearest_scale2", (2, 3, 4, 5), scale_factor=(2.0, 2.0), mode="nearest"),
    interpolate_case("nearest_size_down", (1, 2, 7, 6), size=(3, 4), mode="nearest"),
    interpolate_case("nearest_scale_fraction", (1, 2, 5, 4), scale_factor=(1.5, 2.5), mode="nearest"),
    interpolate_case("bilinear_scale2", (2, 2, 3, 4), scale_factor=(2.0, 2.0), mode="bilinear"),
    interpolate_case("bilinear_size_down", (1, 3, 7, 9), size=(4, 5), mode="bilinear"),
    interpolate_case("bilinear_align_corners", (1, 2, 4, 3), size=(7, 5), mode="bilinear", align_corners=True),
    interpolate_case("linear_scale3", (2, 3, 5), scale_factor=3.0, mode="linear"),
    interpolate_case("linear_align_size1", (1, 2, 6), size=1, mode="linear", align_corners=True),
]


def instance_norm_case(name, x_shape, affine):
    x = torch.randn(x_shape, requires_grad=True)
    layer = (torch.nn.InstanceNorm1d if len(x_shape) == 3 else torch.nn.InstanceNorm2d)(x_shape[1], affine=affine)
    if affine:
        with torch.no_grad():
            layer.weight.copy_(torch.randn(x_shape[1]))
            layer.bias.copy_(torch.randn(x_shape[1]))
    out = layer(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "kind": "instance_norm", "x_shape": list(x_shape), "x": values(x),
            "w": values(layer.weight) if affine else None, "b": values(layer.bias) if affine else None,
            "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad),
            "grad_w": values(layer.weight.grad) if affine else None, "grad_b": values(layer.bias.grad) if affine else None}


cases += [
    instance_norm_case("instance_norm2d_affine", (2, 3, 4, 5), affine=True),
    instance_norm_case("instance_norm1d", (3, 2, 6), affine=False),
]
# Nearest picks that float32 and double disagree on (appended after the instance norm cases).
cases += [
    interpolate_case("nearest1d_26_to_22", (1, 1, 26), size=22, mode="nearest"),
    interpolate_case("nearest1d_14_to_46", (1, 1, 14), size=46, mode="nearest"),
    interpolate_case("nearest1d_scale_1_3", (1, 1, 31), scale_factor=1.3, mode="nearest"),
]



def tracked_instance_norm_case(name, x_shape):
    """InstanceNorm2d with running statistics: two training steps, then evaluation with the running values."""
    layer = torch.nn.InstanceNorm2d(x_shape[1], affine=True, track_running_stats=True)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(x_shape[1]))
        layer.bias.copy_(torch.randn(x_shape[1]))
    steps = [torch.randn(x_shape) * 2 + 0.5 for _ in range(2)]
    for x in steps:
        layer(x)
    layer.eval()
    x = torch.randn(x_shape, requires_grad=True)
    out = layer(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "kind": "instance_norm_tracked", "x_shape": list(x_shape),
            "steps": [values(s) for s in steps], "w": values(layer.weight), "b": values(layer.bias),
            "running_mean": values(layer.running_mean), "running_var": values(layer.running_var),
            "x": values(x), "out_shape": list(out.shape), "out": values(out), "r": values(r), "grad_x": values(x.grad),
            "grad_w": values(layer.weight.grad), "grad_b": values(layer.bias.grad)}


# Running statistics (appended).
cases += [tracked_instance_norm_case("instance_norm2d_tracked", (2, 3, 4, 4))]

# The printed form of the transposed convolution layers (made after the cases, so their values stay put).
reprs = {
    "convT2d_upsample": str(torch.nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1)),
    "convT2d_groups": str(torch.nn.ConvTranspose2d(4, 6, (2, 3), groups=2, bias=False, dilation=(2, 1))),
    "convT1d": str(torch.nn.ConvTranspose1d(8, 4, 3, stride=2)),
    "upsample_nearest": str(torch.nn.Upsample(scale_factor=2.0)),
    "upsample_bilinear": str(torch.nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True)),
    "instance_norm2d": str(torch.nn.InstanceNorm2d(3)),
    "instance_norm1d_affine": str(torch.nn.InstanceNorm1d(8, eps=1e-3, affine=True)),
    "instance_norm2d_tracked": str(torch.nn.InstanceNorm2d(3, momentum=0.2, track_running_stats=True)),
}
OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases, "reprs": reprs}))
print(f"wrote {len(cases)} cases to {OUT}")
