"""Reference values for Ember's CNN layers (Conv2d, pooling layers, BatchNorm2d, the MNIST CNN), by PyTorch.

Run: /opt/torchenv/bin/python scripts/make_cnn_fixtures.py
Writes Tests/EmberTests/Fixtures/cnn.json: per case the module's arguments and state, the input, the
output, and the gradients of sum(output * r) for a fixed random r; BatchNorm2d's running statistics
over several steps; reprs; and the state-dict keys and shapes of PyTorch's MNIST example network.
"""
import json
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EmberTests/Fixtures/cnn.json"


def values(t):
    return [round(v, 6) for v in t.detach().reshape(-1).tolist()]


def conv_case(name, x_shape, in_c, out_c, kernel, **kw):
    m = nn.Conv2d(in_c, out_c, kernel, **kw)
    x = torch.randn(x_shape, requires_grad=True)
    out = m(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    return {"name": name, "in": in_c, "out": out_c, "kernel": list(kernel) if isinstance(kernel, tuple) else [kernel, kernel],
            "args": args, "repr": repr(m), "x_shape": list(x_shape), "x": values(x), "w": values(m.weight),
            "b": values(m.bias) if m.bias is not None else None, "out_shape": list(out.shape), "y": values(out),
            "r": values(r), "grad_x": values(x.grad), "grad_w": values(m.weight.grad),
            "grad_b": values(m.bias.grad) if m.bias is not None else None}


def pool_case(name, module, x_shape):
    x = torch.randn(x_shape, requires_grad=True)
    out = module(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    return {"name": name, "repr": repr(module), "x_shape": list(x_shape), "x": values(x), "out_shape": list(out.shape),
            "y": values(out), "r": values(r), "grad_x": values(x.grad)}


def batchnorm_case(name, x_shape, steps=3, **kw):
    m = nn.BatchNorm2d(x_shape[1], **kw)
    if m.affine:
        with torch.no_grad():
            m.weight.copy_(torch.randn(x_shape[1]))
            m.bias.copy_(torch.randn(x_shape[1]))
    inputs, outs, means, vars_ = [], [], [], []
    for _ in range(steps):
        x = torch.randn(x_shape) * 2 + 0.5
        inputs.append(values(x))
        outs.append(values(m(x)))
        if m.track_running_stats:
            means.append(values(m.running_mean))
            vars_.append(values(m.running_var))
    # Gradients of one more training step.
    x = (torch.randn(x_shape) * 1.5 - 0.3).requires_grad_(True)
    out = m(x)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    case = {"name": name, "args": kw, "repr": repr(m), "x_shape": list(x_shape),
            "weight": values(m.weight) if m.affine else None, "bias": values(m.bias) if m.affine else None,
            "train_inputs": inputs, "train_outputs": outs, "running_means": means, "running_vars": vars_,
            "grad_input": values(x), "grad_output_r": values(r), "grad_y": values(out), "grad_x": values(x.grad),
            "grad_weight": values(m.weight.grad) if m.affine else None,
            "grad_bias": values(m.bias.grad) if m.affine else None,
            "num_batches_tracked": int(m.num_batches_tracked) if m.track_running_stats else None}
    m.eval()
    x = torch.randn(x_shape)
    case["eval_input"] = values(x)
    case["eval_output"] = values(m(x))
    return case


class Net(nn.Module):
    """examples/mnist/main.py"""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)


conv = [
    conv_case("basic", (2, 3, 7, 6), 3, 4, 3),
    conv_case("stride2_pad1", (2, 3, 7, 6), 3, 4, 3, stride=2, padding=1),
    conv_case("rect_kernel_stride_pad", (1, 2, 9, 7), 2, 3, (3, 2), stride=(2, 1), padding=(1, 2)),
    conv_case("dilation", (1, 2, 9, 8), 2, 3, 3, dilation=(2, 1), padding=(2, 1)),
    conv_case("groups2_nobias", (2, 4, 6, 5), 4, 6, 3, groups=2, bias=False),
    conv_case("depthwise", (1, 3, 5, 5), 3, 3, 3, groups=3, padding=1),
    conv_case("same_even_kernel", (1, 3, 6, 7), 3, 2, (4, 4), padding="same"),
    conv_case("same_dilated", (1, 2, 7, 6), 2, 2, 3, padding="same", dilation=2),
    conv_case("pointwise_stride2", (2, 3, 5, 5), 3, 5, 1, stride=2),
    conv_case("odd_stride3", (1, 2, 11, 10), 2, 3, 3, stride=3, padding=1),
]
pools = [
    pool_case("max2", nn.MaxPool2d(2), (2, 3, 6, 6)),
    pool_case("max2_odd", nn.MaxPool2d(2), (1, 2, 7, 5)),
    pool_case("max3_s2_p1", nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 7, 6)),
    pool_case("max_rect_dilated", nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)), (1, 2, 8, 9)),
    pool_case("avg2", nn.AvgPool2d(2), (2, 3, 6, 6)),
    pool_case("avg3_s2_p1", nn.AvgPool2d(3, stride=2, padding=1), (1, 2, 7, 6)),
    pool_case("avg3_s2_p1_exclude", nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (1, 2, 7, 6)),
    pool_case("adaptive_3", nn.AdaptiveAvgPool2d(3), (1, 2, 7, 8)),
    pool_case("adaptive_rect", nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 6, 6)),
    pool_case("adaptive_1", nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
]
norms = [
    batchnorm_case("bn_default", (4, 3, 5, 4)),
    batchnorm_case("bn_momentum_none", (3, 2, 3, 5), momentum=None),
    batchnorm_case("bn_no_affine", (2, 3, 4, 4), affine=False, momentum=0.3, eps=1e-3),
]
net = Net()
cnn = {"keys": list(net.state_dict().keys()), "shapes": [list(v.shape) for v in net.state_dict().values()],
       "repr": repr(net)}
reprs = {"Dropout2d": repr(nn.Dropout2d(0.3)), "BatchNorm2d": repr(nn.BatchNorm2d(8)),
         "MaxPool2d": repr(nn.MaxPool2d(2)), "AvgPool2d": repr(nn.AvgPool2d(3, stride=2, padding=1)),
         "AdaptiveAvgPool2d": repr(nn.AdaptiveAvgPool2d((2, 3)))}
OUT.write_text(json.dumps({"torch": torch.__version__, "conv": conv, "pool": pools, "batchnorm": norms, "cnn": cnn,
                           "reprs": reprs}))
print(f"wrote {len(conv)} conv, {len(pools)} pool, {len(norms)} batchnorm cases to {OUT} ({OUT.stat().st_size} bytes)")
