"""Generates the PyTorch reference fixtures for Ember's Embedding and recurrent-layer tests.

    /opt/torchenv/bin/python scripts/make_rnn_fixtures.py

Writes Tests/EmberTests/Fixtures/rnn.json: for each layer its parameters (in state-dict order),
the input and initial state, the outputs, and the gradients of
sum(output·up) + sum(h_n·up_h) (+ sum(c_n·up_c)) with respect to the input, the initial state
and every parameter; the same for layers run on packed sequences (pack_padded_sequence, unpacked
with pad_packed_sequence).
"""
import json
import os

import torch
import torch.nn as nn

torch.manual_seed(2024)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "rnn.json")


def L(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


def params(module):
    return [[name, list(p.shape), L(p)] for name, p in module.state_dict().items()]


def grads(module):
    return [[name, L(p.grad)] for name, p in module.named_parameters()]


fixtures = {}

# ---------------------------------------------------------------- Embedding
emb = nn.Embedding(10, 3, padding_idx=1)
indices = torch.tensor([[0, 1, 4, 4], [9, 1, 2, 0]])
out = emb(indices)
up = torch.randn_like(out)
(out * up).sum().backward()
fixtures["embedding"] = dict(num_embeddings=10, embedding_dim=3, padding_idx=1, weight=L(emb.weight),
                             indices=indices.reshape(-1).tolist(), indices_shape=list(indices.shape),
                             out=L(out), upstream=L(up), grad_weight=L(emb.weight.grad))

# ---------------------------------------------------------------- RNN, LSTM, GRU
configs = [
    dict(kind="RNN", num_layers=1, bias=True, batch_first=False, bidirectional=False, nonlinearity="tanh",
         initial_state=False, batched=True),
    dict(kind="RNN", num_layers=2, bias=False, batch_first=True, bidirectional=False, nonlinearity="relu",
         initial_state=True, batched=True),
    dict(kind="LSTM", num_layers=2, bias=True, batch_first=True, bidirectional=True, initial_state=True, batched=True),
    dict(kind="LSTM", num_layers=1, bias=True, batch_first=False, bidirectional=False, initial_state=False,
         batched=False),
    dict(kind="LSTM", num_layers=2, bias=False, batch_first=True, bidirectional=False, initial_state=True,
         batched=False),
    dict(kind="GRU", num_layers=2, bias=True, batch_first=False, bidirectional=False, initial_state=True, batched=True),
    dict(kind="GRU", num_layers=1, bias=False, batch_first=True, bidirectional=True, initial_state=False, batched=True),
]
input_size, hidden_size, steps, batch = 3, 4, 5, 2


def make_layer(c):
    kwargs = dict(num_layers=c["num_layers"], bias=c["bias"], batch_first=c["batch_first"],
                  bidirectional=c["bidirectional"])
    if c["kind"] == "RNN":
        kwargs["nonlinearity"] = c["nonlinearity"]
    return getattr(nn, c["kind"])(input_size, hidden_size, **kwargs), 2 if c["bidirectional"] else 1


def initial_state(c, case, state_shape):
    """Random h0 (and c0 for an LSTM) when the case asks for them, recorded in case: (state, h0, c0)."""
    if not c["initial_state"]:
        return None, None, None
    h0 = torch.randn(*state_shape, requires_grad=True)
    case["h0"] = L(h0)
    if c["kind"] != "LSTM":
        return h0, h0, None
    c0 = torch.randn(*state_shape, requires_grad=True)
    case["c0"] = L(c0)
    return (h0, c0), h0, c0


def record_outputs_and_grads(c, case, layer, x, output, final, h0, c0):
    """Records output, h_n (c_n) and the gradients of sum(output·up) + sum(h_n·up_h) (+ sum(c_n·up_c))."""
    h_n, c_n = final if c["kind"] == "LSTM" else (final, None)
    up, up_h = torch.randn_like(output), torch.randn_like(h_n)
    loss = (output * up).sum() + (h_n * up_h).sum()
    case.update(output_shape=list(output.shape), output=L(output), h_n=L(h_n), upstream=L(up), upstream_h=L(up_h))
    if c_n is not None:
        up_c = torch.randn_like(c_n)
        loss = loss + (c_n * up_c).sum()
        case.update(c_n=L(c_n), upstream_c=L(up_c))
    loss.backward()
    case.update(grad_input=L(x.grad), grads=grads(layer))
    if h0 is not None:
        case["grad_h0"] = L(h0.grad)
    if c0 is not None:
        case["grad_c0"] = L(c0.grad)


cases = []
for c in configs:
    layer, directions = make_layer(c)
    if c["batched"]:
        shape = [batch, steps, input_size] if c["batch_first"] else [steps, batch, input_size]
        state_shape = [c["num_layers"] * directions, batch, hidden_size]
    else:
        shape = [steps, input_size]
        state_shape = [c["num_layers"] * directions, hidden_size]
    x = torch.randn(*shape, requires_grad=True)
    case = dict(c, input_size=input_size, hidden_size=hidden_size, params=params(layer), input_shape=shape,
                input=L(x), state_shape=state_shape)
    state, h0, c0 = initial_state(c, case, state_shape)
    output, final = layer(x, state)
    record_outputs_and_grads(c, case, layer, x, output, final, h0, c0)
    cases.append(case)
fixtures["layers"] = cases

# ---------------------------------------------------------------- cells
cells = []
for kind, extra in [("RNNCell", dict(nonlinearity="tanh")), ("RNNCell", dict(nonlinearity="relu", bias=False)),
                    ("LSTMCell", {}), ("GRUCell", {})]:
    cell = getattr(nn, kind)(input_size, hidden_size, **extra)
    x = torch.randn(3, input_size, requires_grad=True)
    h0 = torch.randn(3, hidden_size, requires_grad=True)
    case = dict(kind=kind, input_size=input_size, hidden_size=hidden_size, nonlinearity=extra.get("nonlinearity"),
                bias=extra.get("bias", True), params=params(cell), input=L(x), h0=L(h0))
    if kind == "LSTMCell":
        c0 = torch.randn(3, hidden_size, requires_grad=True)
        h, c = cell(x, (h0, c0))
        up, up_c = torch.randn_like(h), torch.randn_like(c)
        ((h * up).sum() + (c * up_c).sum()).backward()
        case.update(c0=L(c0), h=L(h), c=L(c), upstream=L(up), upstream_c=L(up_c), grad_c0=L(c0.grad))
    else:
        h = cell(x, h0)
        up = torch.randn_like(h)
        (h * up).sum().backward()
        case.update(h=L(h), upstream=L(up))
    case.update(grad_input=L(x.grad), grad_h0=L(h0.grad), grads=grads(cell))
    cells.append(case)
fixtures["cells"] = cells

# ---------------------------------------------------------------- packed sequences
# Each case packs a padded batch (with ties and unsorted lengths where enforce_sorted is False), runs a
# layer on it, unpacks the output with pad_packed_sequence and records the same values and gradients as
# the layer cases, plus the packed data and batch sizes.
packed_configs = [
    dict(kind="LSTM", num_layers=2, bias=True, batch_first=True, bidirectional=True, initial_state=True,
         lengths=[2, 5, 3, 5], enforce_sorted=False, total_length=6, padding_value=-1.0),
    dict(kind="GRU", num_layers=1, bias=True, batch_first=False, bidirectional=True, initial_state=False,
         lengths=[4, 4, 2], enforce_sorted=True, total_length=None, padding_value=0.0),
    dict(kind="RNN", num_layers=2, bias=False, batch_first=False, bidirectional=False, nonlinearity="relu",
         initial_state=True, lengths=[1, 3, 2], enforce_sorted=False, total_length=None, padding_value=0.0),
    dict(kind="LSTM", num_layers=1, bias=True, batch_first=False, bidirectional=False, initial_state=False,
         lengths=[3, 1], enforce_sorted=True, total_length=None, padding_value=0.0),
]
packed_cases = []
for c in packed_configs:
    layer, directions = make_layer(c)
    n, steps_padded = len(c["lengths"]), max(c["lengths"])
    shape = [n, steps_padded, input_size] if c["batch_first"] else [steps_padded, n, input_size]
    state_shape = [c["num_layers"] * directions, n, hidden_size]
    x = torch.randn(*shape, requires_grad=True)
    packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(c["lengths"]), batch_first=c["batch_first"],
                                               enforce_sorted=c["enforce_sorted"])
    case = dict(c, input_size=input_size, hidden_size=hidden_size, params=params(layer), input_shape=shape,
                input=L(x), state_shape=state_shape, packed_data=L(packed.data),
                batch_sizes=packed.batch_sizes.tolist(),
                sorted_indices=None if packed.sorted_indices is None else packed.sorted_indices.tolist())
    state, h0, c0 = initial_state(c, case, state_shape)
    packed_out, final = layer(packed, state)
    output, lengths = nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=c["batch_first"],
                                                       padding_value=c["padding_value"], total_length=c["total_length"])
    case.update(output_lengths=lengths.tolist(), packed_output=L(packed_out.data))
    record_outputs_and_grads(c, case, layer, x, output, final, h0, c0)
    packed_cases.append(case)
fixtures["packed"] = packed_cases

# ---------------------------------------------------------------- LSTM with projections (proj_size)
# Hidden states and outputs of proj_size, cell states of hidden_size; plain and packed input.
torch.manual_seed(2026)
projected = []
for c in [dict(kind="LSTM", num_layers=2, bias=True, batch_first=True, bidirectional=True, initial_state=True,
               proj_size=2, packed=False),
          dict(kind="LSTM", num_layers=1, bias=False, batch_first=False, bidirectional=False, initial_state=True,
               proj_size=3, packed=True, lengths=[3, 5, 2])]:
    layer = nn.LSTM(input_size, hidden_size, num_layers=c["num_layers"], bias=c["bias"], batch_first=c["batch_first"],
                    bidirectional=c["bidirectional"], proj_size=c["proj_size"])
    directions = 2 if c["bidirectional"] else 1
    n = len(c["lengths"]) if c["packed"] else batch
    padded_steps = max(c["lengths"]) if c["packed"] else steps
    shape = [n, padded_steps, input_size] if c["batch_first"] else [padded_steps, n, input_size]
    state_shape = [c["num_layers"] * directions, n, c["proj_size"]]
    cell_shape = [c["num_layers"] * directions, n, hidden_size]
    x = torch.randn(*shape, requires_grad=True)
    h0 = torch.randn(*state_shape, requires_grad=True)
    c0 = torch.randn(*cell_shape, requires_grad=True)
    case = dict(c, input_size=input_size, hidden_size=hidden_size, params=params(layer), input_shape=shape, input=L(x),
                state_shape=state_shape, c_state_shape=cell_shape, h0=L(h0), c0=L(c0))
    if c["packed"]:
        packed_in = nn.utils.rnn.pack_padded_sequence(x, torch.tensor(c["lengths"]), batch_first=c["batch_first"],
                                                      enforce_sorted=False)
        packed_out, final = layer(packed_in, (h0, c0))
        output, _ = nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=c["batch_first"])
    else:
        output, final = layer(x, (h0, c0))
    record_outputs_and_grads(c, case, layer, x, output, final, h0, c0)
    projected.append(case)
fixtures["projected"] = projected

with open(OUT, "w") as f:
    json.dump(fixtures, f, separators=(",", ":"))
print(OUT, os.path.getsize(OUT), "bytes")
