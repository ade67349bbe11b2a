"""Generates the ONNX reference fixtures for Ember's ONNX importer.

    /opt/torchenv/bin/python scripts/make_onnx_fixtures.py      (needs torch, onnx, onnxscript, onnxruntime)

Exports small PyTorch models with both of torch.onnx's exporters (the TorchScript one, `dynamo=False`,
and the torch.export one, `dynamo=True`) into Tests/EmberTests/Fixtures/onnx/NAME.onnx, and writes
Tests/EmberTests/Fixtures/onnx.json: for each model its input (with a batch size other than the one
exported, to check dynamic batch dims) and PyTorch's output for it. onnxruntime runs every file too,
as a check that the export itself is faithful before Ember is compared with it.
"""
import json
import os
import warnings

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.manual_seed(7)
HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "..", "Tests", "EmberTests", "Fixtures")
ONNX_DIR = os.path.join(FIXTURES, "onnx")


def L(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


class MLP(nn.Module):
    """The seed MLP's shape, narrower: view(batch, -1) gives the TorchScript exporter's Shape/Gather/Concat."""
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x.view(x.size(0), -1))))


class CNN(nn.Module):
    """PyTorch's MNIST example CNN, smaller: conv, batch norm, pooling, dropout, flatten, log-softmax."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv2(x))
        x = F.avg_pool2d(x, 2, ceil_mode=False)
        x = self.dropout(torch.flatten(x, 1))
        return F.log_softmax(self.fc2(F.gelu(self.fc1(x))), dim=1)


class ResNetBlock(nn.Module):
    """A residual block with a strided 1x1 shortcut, then global average pooling and a classifier."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.shortcut = nn.Sequential(nn.Conv2d(3, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = F.relu(y + self.shortcut(x))
        return self.fc(torch.flatten(self.pool(y), 1))


class Encoder(nn.Module):
    """A Transformer encoder over token embeddings, mean-pooled: attention, layer norm, GELU."""
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 16)
        self.position = nn.Parameter(torch.randn(1, 6, 16) * 0.1)
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, tokens):
        x = self.embed(tokens) + self.position
        return self.head(self.encoder(x).mean(dim=1))


class Ops(nn.Module):
    """Element-wise, shape and reduction operators that the layers above do not reach."""
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)
        self.scale = nn.Parameter(torch.randn(4) * 0.5 + 1)

    def forward(self, x):                                   # x: [batch, 2, 4, 4]
        a = torch.sigmoid(x) * torch.tanh(x) + F.leaky_relu(x, 0.2) - F.elu(x)
        b = torch.clamp(x, -0.5, 0.7).pow(2) + torch.sqrt(x.abs() + 1) / torch.exp(x * 0.1)
        c = torch.where(x > 0, a, b)                        # comparison and Where
        d = self.up(c)                                      # ConvTranspose: [batch, 3, 8, 8]
        d = F.interpolate(d, scale_factor=0.5, mode="nearest")  # Resize: [batch, 3, 4, 4]
        e = torch.cat([c, d[:, 1:, :, :]], dim=1)           # Slice and Concat: [batch, 4, 4, 4]
        e = e.permute(0, 2, 3, 1) * self.scale              # Transpose and broadcasting
        f = torch.softmax(e, dim=-1).sum(dim=2) + e.mean(dim=(1, 2)).unsqueeze(1)
        g = torch.matmul(f, f.transpose(1, 2))              # batched MatMul: [batch, 4, 4]
        h = F.pad(g, (1, 0, 0, 1)).amax(dim=1, keepdim=True) + torch.log1p(g.abs()).sum(dim=-1, keepdim=True).squeeze(-1).unsqueeze(-1)
        return torch.cat([h.reshape(h.shape[0], -1), torch.erf(g).flatten(1), g.min(dim=2).values], dim=1)


def export(model, name, example, batch, dynamo):
    model.eval()
    path = os.path.join(ONNX_DIR, f"{name}.onnx")
    input_names, output_names = ["input"], ["output"]
    if dynamo:
        torch.onnx.export(model, (example,), path, dynamo=True, input_names=input_names, output_names=output_names,
                          dynamic_shapes=({0: torch.export.Dim("batch")},), optimize=True, verbose=False)
    else:
        torch.onnx.export(model, (example,), path, dynamo=False, opset_version=17, input_names=input_names,
                          output_names=output_names, dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    proto = onnx.load(path)                          # keep the weights inside the one file
    onnx.save(proto, path, save_as_external_data=False)
    if os.path.exists(path + ".data"):
        os.remove(path + ".data")
    with torch.no_grad():
        expected = model(batch)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (runtime,) = session.run(None, {session.get_inputs()[0].name: batch.numpy()})
    assert np.allclose(runtime, expected.numpy(), atol=1e-4), f"{name}: onnxruntime disagrees with PyTorch"
    ops = sorted({node.op_type for node in proto.graph.node})
    print(f"{name}: opset {proto.opset_import[0].version}, {os.path.getsize(path)} bytes, ops {ops}")
    return {"file": f"{name}.onnx", "input_shape": list(batch.shape), "input_dtype": str(batch.dtype).replace("torch.", ""),
            "input": L(batch), "output_shape": list(expected.shape), "output": L(expected), "ops": ops}


def trained_batch_norm(model, example):
    """Gives batch norm layers statistics that are not the initial 0/1, so that eval mode matters."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(example * 2 + 0.5)


os.makedirs(ONNX_DIR, exist_ok=True)
cases = {}
mlp = MLP()
cases["mlp_torchscript"] = export(mlp, "mlp_torchscript", torch.randn(2, 1, 8, 8), torch.randn(3, 1, 8, 8), False)
cases["mlp_dynamo"] = export(mlp, "mlp_dynamo", torch.randn(2, 1, 8, 8), torch.randn(3, 1, 8, 8), True)
cnn = CNN()
trained_batch_norm(cnn, torch.randn(8, 1, 16, 16))
cases["cnn_torchscript"] = export(cnn, "cnn_torchscript", torch.randn(2, 1, 16, 16), torch.randn(3, 1, 16, 16), False)
cases["cnn_dynamo"] = export(cnn, "cnn_dynamo", torch.randn(2, 1, 16, 16), torch.randn(3, 1, 16, 16), True)
resnet = ResNetBlock()
trained_batch_norm(resnet, torch.randn(8, 3, 12, 12))
cases["resnet_torchscript"] = export(resnet, "resnet_torchscript", torch.randn(2, 3, 12, 12), torch.randn(3, 3, 12, 12), False)
cases["resnet_dynamo"] = export(resnet, "resnet_dynamo", torch.randn(2, 3, 12, 12), torch.randn(3, 3, 12, 12), True)
encoder = Encoder()
tokens = torch.randint(0, 20, (3, 6))
cases["encoder_torchscript"] = export(encoder, "encoder_torchscript", torch.randint(0, 20, (2, 6)), tokens, False)
cases["encoder_dynamo"] = export(encoder, "encoder_dynamo", torch.randint(0, 20, (2, 6)), tokens, True)
ops = Ops()
cases["ops_torchscript"] = export(ops, "ops_torchscript", torch.randn(2, 2, 4, 4), torch.randn(3, 2, 4, 4), False)
cases["ops_dynamo"] = export(ops, "ops_dynamo", torch.randn(2, 2, 4, 4), torch.randn(3, 2, 4, 4), True)
cases["mlp_state_dict"] = {k: L(v) for k, v in mlp.state_dict().items()}

with open(os.path.join(FIXTURES, "onnx.json"), "w") as f:
    json.dump(cases, f, indent=1)


# ---------------------------------------------------------------------------------------------------
# Single operators, with the attribute combinations the exporters above do not produce. The graphs are
# built with onnx.helper; onnxruntime gives the expected values, or where it refuses the case ONNX's own
# reference implementation (onnx.reference); disagreements between the two are printed. Written to onnx_operators.json with each
# model's bytes in base64.
import base64
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

rng = np.random.default_rng(11)
FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64


def node_case(name, op, inputs, attrs=None, opset=17, outputs=1, constants=None):
    """inputs: list of (name, array) fed at run time; constants: list of (name, array) as initializers."""
    constants = constants or []
    input_names = [n for n, _ in inputs] + [n for n, _ in constants]
    output_names = [f"y{i}" for i in range(outputs)]
    node = helper.make_node(op, input_names, output_names, **(attrs or {}))
    graph_inputs = [helper.make_tensor_value_info(n, FLOAT if a.dtype == np.float32 else INT64, list(a.shape))
                    for n, a in inputs]
    graph_outputs = [helper.make_empty_tensor_value_info(n) for n in output_names]
    initializers = [onnx.numpy_helper.from_array(a, n) for n, a in constants]
    graph = helper.make_graph([node], name, graph_inputs, graph_outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    feeds = {n: a for n, a in inputs}
    expected = runtime = None
    try:
        expected = ReferenceEvaluator(model).run(None, feeds)
    except Exception as error:
        print(f"  ({name}: onnx.reference does not run it: {str(error).splitlines()[0][:100]})")
    try:
        runtime = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    except Exception as error:
        print(f"  ({name}: onnxruntime does not run it: {str(error).splitlines()[0][:100]})")
    assert expected is not None or runtime is not None, f"{name}: neither runtime runs it"
    if expected is not None and runtime is not None:
        if not all(np.allclose(r, e, atol=1e-5) for r, e in zip(runtime, expected)):
            # onnx.reference implements some operators by their latest version only (Softmax
            # before opset 13 flattens); onnxruntime follows the version the model imports.
            print(f"  ({name}: onnxruntime and onnx.reference disagree; onnxruntime's values are kept)")
    expected = runtime if runtime is not None else expected
    return {"name": name, "model": base64.b64encode(model.SerializeToString()).decode(),
            "inputs": [{"name": n, "shape": list(a.shape), "dtype": str(a.dtype), "values": [json_number(v) for v in a.reshape(-1).tolist()]}
                       for n, a in inputs],
            "outputs": [{"shape": list(np.asarray(e).shape), "values": [float(v) for v in np.asarray(e, dtype=np.float64).reshape(-1)]}
                        for e in expected]}


def json_number(v):
    """JSON has no infinities: they are written as the strings the Swift tests read."""
    return v if np.isfinite(v) else ("inf" if v > 0 else "-inf")


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def i64(values):
    return np.array(values, dtype=np.int64)


x4 = f32(2, 4, 7, 6)
w4 = f32(6, 4, 3, 3)
ops = [
    node_case("conv_uneven_pads_strides_dilations", "Conv", [("x", x4)], {"pads": [1, 0, 0, 2], "strides": [2, 1], "dilations": [1, 2]}, constants=[("w", w4), ("b", f32(6))]),
    node_case("conv_same_upper_stride2", "Conv", [("x", x4)], {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, constants=[("w", w4)]),
    node_case("conv_same_lower", "Conv", [("x", x4)], {"auto_pad": "SAME_LOWER", "kernel_shape": [2, 2]}, constants=[("w", f32(3, 4, 2, 2))]),
    node_case("conv_groups", "Conv", [("x", x4)], {"group": 2, "pads": [1, 1, 1, 1]}, constants=[("w", f32(6, 2, 3, 3)), ("b", f32(6))]),
    node_case("conv_1d", "Conv", [("x", f32(2, 3, 9))], {"pads": [2, 1], "strides": [2]}, constants=[("w", f32(4, 3, 3)), ("b", f32(4))]),
    node_case("conv_transpose_uneven_output_padding", "ConvTranspose", [("x", f32(2, 3, 4, 5))], {"strides": [2, 3], "pads": [1, 0, 0, 2], "output_padding": [1, 2]}, constants=[("w", f32(3, 2, 3, 3)), ("b", f32(2))]),
    node_case("conv_transpose_output_shape", "ConvTranspose", [("x", f32(1, 2, 3, 3))], {"strides": [2, 2], "output_shape": [6, 7]}, constants=[("w", f32(2, 3, 3, 3))]),
    node_case("conv_transpose_same_upper", "ConvTranspose", [("x", f32(1, 2, 3, 4))], {"strides": [2, 2], "auto_pad": "SAME_UPPER"}, constants=[("w", f32(2, 2, 3, 3))]),
    node_case("conv_transpose_1d_groups", "ConvTranspose", [("x", f32(2, 4, 5))], {"strides": [2], "pads": [1, 1], "group": 2}, constants=[("w", f32(4, 3, 3)), ("b", f32(6))]),
    node_case("max_pool_ceil_pads", "MaxPool", [("x", x4)], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}),
    node_case("max_pool_uneven_dilated", "MaxPool", [("x", x4)], {"kernel_shape": [2, 3], "pads": [0, 2, 1, 0], "dilations": [2, 1]}),
    node_case("max_pool_1d_same", "MaxPool", [("x", f32(2, 3, 9))], {"kernel_shape": [4], "strides": [2], "auto_pad": "SAME_UPPER"}),
    node_case("average_pool_exclude_pad", "AveragePool", [("x", x4)], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 0}),
    node_case("average_pool_include_pad_ceil", "AveragePool", [("x", x4)], {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 0], "count_include_pad": 1, "ceil_mode": 1}),
    node_case("average_pool_uneven", "AveragePool", [("x", x4)], {"kernel_shape": [2, 2], "pads": [1, 0, 0, 1]}),
    node_case("global_max_pool", "GlobalMaxPool", [("x", x4)]),
    node_case("resize_nearest_half_pixel", "Resize", [("x", f32(1, 2, 4, 5))], {"mode": "nearest"}, constants=[("roi", np.array([], np.float32)), ("scales", np.array([1, 1, 1.5, 0.6], np.float32))]),
    node_case("resize_nearest_asymmetric_floor_sizes", "Resize", [("x", f32(1, 2, 4, 5))], {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, constants=[("roi", np.array([], np.float32)), ("scales", np.array([], np.float32)), ("sizes", i64([1, 2, 7, 3]))]),
    node_case("resize_nearest_align_corners_ceil", "Resize", [("x", f32(1, 1, 3, 4))], {"mode": "nearest", "coordinate_transformation_mode": "align_corners", "nearest_mode": "round_prefer_ceil"}, constants=[("roi", np.array([], np.float32)), ("scales", np.array([1, 1, 2, 1.5], np.float32))]),
    node_case("resize_linear_half_pixel", "Resize", [("x", f32(1, 2, 4, 5))], {"mode": "linear"}, constants=[("roi", np.array([], np.float32)), ("scales", np.array([1, 1, 2, 1.5], np.float32))]),
    node_case("resize_linear_align_corners_sizes", "Resize", [("x", f32(1, 2, 4, 5))], {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, constants=[("roi", np.array([], np.float32)), ("scales", np.array([], np.float32)), ("sizes", i64([1, 2, 7, 3]))]),
    node_case("slice_negative_steps", "Slice", [("x", f32(5, 6, 4))], constants=[("starts", i64([-1, 10, 1])), ("ends", i64([-100, 0, 3])), ("axes", i64([0, 1, -1])), ("steps", i64([-2, -1, 1]))]),
    node_case("slice_clamped", "Slice", [("x", f32(5, 6))], constants=[("starts", i64([1])), ("ends", i64([9223372036854775807])), ("axes", i64([1])), ("steps", i64([2]))]),
    node_case("gather_negative_2d_indices", "Gather", [("x", f32(3, 5, 2))], {"axis": 1}, constants=[("i", i64([[0, -1, 2], [-5, 4, 1]]))]),
    node_case("gather_scalar_index", "Gather", [("x", f32(3, 5))], {"axis": 0}, constants=[("i", np.array(-2, np.int64))]),
    node_case("gather_elements", "GatherElements", [("x", f32(3, 4))], {"axis": 1}, constants=[("i", i64([[0, 3], [-1, 1], [2, 2]]))]),
    node_case("split_sizes", "Split", [("x", f32(2, 7))], {"axis": 1}, outputs=3, constants=[("s", i64([2, 4, 1]))]),
    node_case("split_num_outputs_uneven", "Split", [("x", f32(7, 2))], {"axis": 0, "num_outputs": 3}, opset=18, outputs=3),
    node_case("pad_reflect", "Pad", [("x", f32(1, 2, 4, 5))], {"mode": "reflect"}, constants=[("p", i64([0, 0, 1, 2, 0, 0, 2, 1]))]),
    node_case("pad_edge", "Pad", [("x", f32(2, 3, 4))], {"mode": "edge"}, constants=[("p", i64([0, 2, 1, 0, 1, 3]))]),
    node_case("pad_wrap", "Pad", [("x", f32(1, 2, 4, 5))], {"mode": "wrap"}, opset=19, constants=[("p", i64([0, 0, 1, 2, 0, 0, 2, 1]))]),
    node_case("pad_constant_negative", "Pad", [("x", f32(3, 5))], {"mode": "constant"}, constants=[("p", i64([1, -1, 0, 2])), ("v", np.array(2.5, np.float32))]),
    node_case("pad_axes", "Pad", [("x", f32(2, 3, 4))], {}, opset=18, constants=[("p", i64([1, 2, 0, 1])), ("v", np.array(-1, np.float32)), ("a", i64([0, -1]))]),
    node_case("batch_normalization", "BatchNormalization", [("x", f32(3, 4, 2, 3))], {"epsilon": 1e-3}, constants=[("s", f32(4)), ("b", f32(4)), ("m", f32(4)), ("v", np.abs(f32(4)) + 0.5)]),
    node_case("instance_normalization", "InstanceNormalization", [("x", f32(2, 3, 4, 5))], {"epsilon": 1e-4}, constants=[("s", f32(3)), ("b", f32(3))]),
    node_case("group_normalization_per_channel", "GroupNormalization", [("x", f32(2, 6, 3, 2))], {"num_groups": 3}, opset=21, constants=[("s", f32(6)), ("b", f32(6))]),
    node_case("layer_normalization_axis1", "LayerNormalization", [("x", f32(2, 3, 4))], {"axis": 1}, constants=[("s", f32(3, 4)), ("b", f32(3, 4))]),
    node_case("gemm_trans_a_alpha_beta", "Gemm", [("a", f32(4, 3))], {"transA": 1, "alpha": 0.5, "beta": 2.0}, constants=[("b", f32(4, 5)), ("c", f32(3, 1))]),
    node_case("softmax_opset11_flattens", "Softmax", [("x", f32(2, 3, 4))], {"axis": 1}, opset=11),
    node_case("log_softmax_axis1", "LogSoftmax", [("x", f32(2, 3, 4))], {"axis": 1}),
    node_case("argmax_keepdims0", "ArgMax", [("x", f32(3, 4, 5))], {"axis": 1, "keepdims": 0}),
    node_case("topk", "TopK", [("x", f32(3, 6))], {"axis": 1, "largest": 0}, outputs=2, constants=[("k", i64([3]))]),
    node_case("cumsum", "CumSum", [("x", f32(3, 4))], constants=[("a", np.array(1, np.int64))]),
    node_case("mod_python", "Mod", [("a", i64([7, -7, 7, -7, 9]))], constants=[("b", i64([3, 3, -3, -3, 3]))]),
    node_case("mod_fmod", "Mod", [("a", f32(6) * 5)], {"fmod": 1}, constants=[("b", np.array([1.5, -2, 2.5, 3, -1, 0.7], np.float32))]),
    node_case("cast_to_int32", "Cast", [("x", f32(6) * 3)], {"to": TensorProto.INT32}),
    node_case("range_float", "Range", [], constants=[("s", np.array(1.0, np.float32)), ("l", np.array(-2.0, np.float32)), ("d", np.array(-0.75, np.float32))]),
    node_case("expand", "Expand", [("x", f32(3, 1))], constants=[("s", i64([2, 1, 4]))]),
    node_case("tile", "Tile", [("x", f32(2, 3))], constants=[("r", i64([2, 3]))]),
    node_case("trilu_lower_k1", "Trilu", [("x", f32(2, 4, 5))], {"upper": 0}, constants=[("k", np.array(1, np.int64))]),
    node_case("where", "Where", [], constants=[("c", np.array([[1], [0], [1]], np.bool_)), ("a", f32(3, 4)), ("b", f32(4))]),
    node_case("einsum", "Einsum", [("a", f32(2, 3, 4))], {"equation": "bij,jk->bik"}, constants=[("b", f32(4, 5))]),
    node_case("reduce_log_sum_exp", "ReduceLogSumExp", [("x", f32(3, 4, 5))], {"keepdims": 0}, opset=18, constants=[("a", i64([0, 2]))]),
    node_case("reduce_l2_attribute_axes", "ReduceL2", [("x", f32(3, 4))], {"axes": [1]}, opset=13),
    node_case("reduce_prod", "ReduceProd", [("x", f32(3, 4))], {"keepdims": 1}, opset=18, constants=[("a", i64([0]))]),
    node_case("reduce_sum_noop", "ReduceSum", [("x", f32(3, 4))], {"noop_with_empty_axes": 1}),
    node_case("selu_celu_inputs", "Selu", [("x", f32(8))], {"alpha": 1.5, "gamma": 1.1}),
    node_case("celu", "Celu", [("x", f32(8))], {"alpha": 0.7}, opset=12),
    node_case("hard_sigmoid", "HardSigmoid", [("x", f32(8) * 4)], {"alpha": 0.3, "beta": 0.4}),
    node_case("gelu_tanh", "Gelu", [("x", f32(8) * 2)], {"approximate": "tanh"}, opset=20),
    node_case("clip_opset6_attributes", "Clip", [("x", f32(8))], {"min": -0.5, "max": 0.25}, opset=6),
    node_case("squeeze_opset11_axes", "Squeeze", [("x", f32(3, 1, 4, 1))], {"axes": [-1]}, opset=11),
    node_case("unsqueeze_opset11_axes", "Unsqueeze", [("x", f32(3, 4))], {"axes": [0, -1]}, opset=11),
    node_case("flatten_axis0", "Flatten", [("x", f32(2, 3, 4))], {"axis": 0}),
    node_case("reshape_zero_and_minus_one", "Reshape", [("x", f32(2, 3, 4))], constants=[("s", i64([0, -1, 2]))]),
    node_case("transpose_default", "Transpose", [("x", f32(2, 3, 4))]),
    node_case("sum_three", "Sum", [("a", f32(3, 1)), ("b", f32(4)), ("c", f32(1, 4))]),
    node_case("mean_two", "Mean", [("a", f32(3, 4)), ("b", f32(4))]),
    node_case("prelu", "PRelu", [("x", f32(2, 3, 2))], constants=[("s", f32(3, 1))]),
    node_case("xor_of_comparisons", "Xor", [], constants=[("a", np.array([True, False, True, False])), ("b", np.array([True, True, False, False]))]),
    node_case("shape_start_end", "Shape", [("x", f32(2, 3, 4, 5))], {"start": 1, "end": -1}, opset=15),
    node_case("constant_of_shape", "ConstantOfShape", [], {"value": helper.make_tensor("v", INT64, [1], [7])}, constants=[("s", i64([2, 3]))]),
    # Cases a review found wrong or crashing (fixed since).
    node_case("where_int64_branches", "Where", [], constants=[("c", np.array([True, False, True])), ("a", i64([1, 2, 3])), ("b", i64([10, 20, 30]))]),
    node_case("cast_to_uint8_wraps", "Cast", [("x", np.array([300, -1, 7.9, 255], np.float32))], {"to": TensorProto.UINT8}),
    node_case("isinf_negative_only", "IsInf", [("x", np.array([np.inf, -np.inf, 1, 0], np.float32))], {"detect_positive": 0}),
    node_case("pow_scalar_base_broadcasts", "Pow", [], constants=[("b", np.array(2.0, np.float32)), ("e", np.array([[3.0]], np.float32))]),
    node_case("softplus_large", "Softplus", [("x", np.array([-30, -1, 0, 5, 25, 100], np.float32))]),
    node_case("slice_negative_step_start_below", "Slice", [("x", f32(5))], constants=[("s", i64([-10])), ("e", i64([-20])), ("a", i64([0])), ("t", i64([-1]))]),
    node_case("conv_transpose_output_shape_and_padding", "ConvTranspose", [("x", f32(1, 2, 3, 3))], {"strides": [2, 2], "output_shape": [7, 7], "output_padding": [1, 1]}, constants=[("w", f32(2, 3, 3, 3))]),
    node_case("gemm_beta_zero", "Gemm", [("a", f32(2, 3))], {"beta": 0.0, "alpha": 2.0}, constants=[("b", f32(3, 4)), ("c", f32(2, 4))]),
    node_case("gemm_bias_of_one", "Gemm", [("a", f32(2, 3))], {"transB": 1}, constants=[("b", f32(4, 3)), ("c", f32(1))]),
    node_case("matmul_int64", "MatMul", [], constants=[("a", i64([[1, 2], [3, 4]])), ("b", i64([[5], [-6]]))]),
    node_case("abs_int64", "Abs", [], constants=[("x", i64([-3, 0, 4]))]),
    node_case("sign_int64", "Sign", [], constants=[("x", i64([-3, 0, 4]))]),
    node_case("layer_normalization_scale_of_one", "LayerNormalization", [("x", f32(2, 3, 4))], {"axis": -1}, constants=[("s", np.array([1.5], np.float32)), ("b", np.array([0.25], np.float32))]),
    node_case("pad_edge_negative", "Pad", [("x", f32(3, 5))], {"mode": "edge"}, constants=[("p", i64([1, -2, -1, 2]))]),
    node_case("range_int64", "Range", [], constants=[("s", np.array(3, np.int64)), ("l", np.array(-8, np.int64)), ("d", np.array(-3, np.int64))]),
    node_case("topk_opset1_attribute", "TopK", [("x", f32(3, 6))], {"axis": 1, "k": 2}, opset=1, outputs=2),
]
with open(os.path.join(FIXTURES, "onnx_operators.json"), "w") as f:
    json.dump(ops, f)
print(f"{len(ops)} single-operator cases")

# The MLP again with its weights in a file beside the model (ONNX's external data, as models over 2 GB
# must be stored); its outputs are mlp_torchscript's.
external = onnx.load(os.path.join(ONNX_DIR, "mlp_torchscript.onnx"))
onnx.save(external, os.path.join(ONNX_DIR, "mlp_external.onnx"), save_as_external_data=True,
          location="mlp_external.weights", size_threshold=0)
print("mlp_external: weights in mlp_external.weights")
