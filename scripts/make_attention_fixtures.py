"""Generates the PyTorch reference fixtures for Ember's LayerNorm, attention and Transformer tests.

    /opt/torchenv/bin/python scripts/make_attention_fixtures.py

Writes Tests/EmberTests/Fixtures/attention.json: for each module its parameters (state-dict order),
inputs, masks (additive floats, 0 or -inf), outputs and the gradients of sum(output·up) with
respect to the inputs and every parameter. Dropout is 0 and modules run in training mode, so
PyTorch takes its plain (not fused) path.
"""
import json
import math
import os

import torch
import torch.nn as nn

torch.manual_seed(7)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures", "attention.json")


def L(t):
    return [(round(float(v), 7) if math.isfinite(v) else ("-inf" if v < 0 else "inf"))
            for v in t.detach().reshape(-1).tolist()]


def params(module):
    return [[name, list(p.shape), L(p)] for name, p in module.state_dict().items()]


def grads(module):
    return [[name, L(p.grad)] for name, p in module.named_parameters()]


def randomize(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)


fixtures = {}

# ---------------------------------------------------------------- LayerNorm
norms = []
for shape in ([4], [3, 4]):
    ln = nn.LayerNorm(shape)
    randomize(ln)
    x = (torch.randn(2, 3, 4) * 3 + 1).requires_grad_(True)
    y = ln(x)
    up = torch.randn_like(y)
    (y * up).sum().backward()
    norms.append(dict(normalized_shape=shape, params=params(ln), input=L(x), out=L(y), upstream=L(up),
                      grad_input=L(x.grad), grads=grads(ln)))
fixtures["layer_norm"] = norms

# ---------------------------------------------------------------- MultiheadAttention
E, H, N, Lq, S = 8, 2, 2, 3, 4
attention = []
for batch_first, cross, masks, average, bias in [(True, True, True, True, True), (False, False, False, False, True),
                                                 (True, True, "per-head", False, False)]:
    mha = nn.MultiheadAttention(E, H, batch_first=batch_first, bias=bias)
    randomize(mha)
    def seq(n):
        return torch.randn(N, n, E) if batch_first else torch.randn(n, N, E)
    q = seq(Lq).requires_grad_(True)
    k = (seq(S) if cross else q.detach().clone()).requires_grad_(True)
    v = (seq(S) if cross else q.detach().clone()).requires_grad_(True)
    s = S if cross else Lq
    attn_mask = torch.zeros(Lq, s) if masks != "per-head" else torch.randn(N * H, Lq, s)
    padding = torch.zeros(N, s)
    if masks == "per-head":
        attn_mask[1, 0, 1] = float("-inf")
        padding[0, 0] = float("-inf")
    elif masks:
        attn_mask[0, 2] = float("-inf")
        attn_mask[2, 0] = float("-inf")
        padding[1, s - 1] = float("-inf")
    out, weights = mha(q, k, v, key_padding_mask=padding if masks else None, attn_mask=attn_mask if masks else None,
                       need_weights=True, average_attn_weights=average)
    up = torch.randn_like(out)
    (out * up).sum().backward()
    attention.append(dict(batch_first=batch_first, average=average, masks=bool(masks), bias=bias,
                          attn_mask_shape=list(attn_mask.shape), embed_dim=E, num_heads=H,
                          params=params(mha), query_shape=list(q.shape), key_shape=list(k.shape),
                          query=L(q), key=L(k), value=L(v), attn_mask=L(attn_mask), key_padding_mask=L(padding),
                          out=L(out), weights_shape=list(weights.shape), weights=L(weights), upstream=L(up),
                          grad_query=L(q.grad), grad_key=L(k.grad), grad_value=L(v.grad), grads=grads(mha)))
fixtures["attention"] = attention

# ---------------------------------------------------------------- Transformer encoder layers
layers = []
for norm_first, activation, batch_first, mask_kind in [(False, "relu", True, "causal"), (True, "gelu", False, "padding")]:
    layer = nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    randomize(layer)
    x = (torch.randn(N, 5, E) if batch_first else torch.randn(5, N, E)).requires_grad_(True)
    src_mask = nn.Transformer.generate_square_subsequent_mask(5) if mask_kind == "causal" else None
    padding = None
    if mask_kind == "padding":
        padding = torch.zeros(N, 5)
        padding[0, 4] = float("-inf")
        padding[1, 3:] = float("-inf")
    y = layer(x, src_mask=src_mask, src_key_padding_mask=padding)
    up = torch.randn_like(y)
    (y * up).sum().backward()
    layers.append(dict(norm_first=norm_first, activation=activation, batch_first=batch_first, mask=mask_kind,
                       params=params(layer), input_shape=list(x.shape), input=L(x),
                       key_padding_mask=L(padding) if padding is not None else None,
                       out=L(y), upstream=L(up), grad_input=L(x.grad), grads=grads(layer)))
fixtures["encoder_layers"] = layers

prototype = nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0, batch_first=True)
encoder = nn.TransformerEncoder(prototype, num_layers=2, norm=nn.LayerNorm(E), enable_nested_tensor=False)
randomize(encoder)
x = torch.randn(N, 5, E, requires_grad=True)
y = encoder(x)
up = torch.randn_like(y)
(y * up).sum().backward()
fixtures["encoder"] = dict(params=params(encoder), input_shape=list(x.shape), input=L(x), out=L(y), upstream=L(up),
                           grad_input=L(x.grad), grads=grads(encoder))

# ---------------------------------------------------------------- Transformer decoder layers
T = 4
decoder_layers = []
for norm_first, activation, batch_first, masks in [(False, "relu", True, "causal+memory-padding"),
                                                   (True, "gelu", False, "tgt-padding+memory-mask")]:
    layer = nn.TransformerDecoderLayer(E, H, dim_feedforward=16, dropout=0.0, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first)
    randomize(layer)
    def seq(n):
        return torch.randn(N, n, E) if batch_first else torch.randn(n, N, E)
    tgt, memory = seq(T).requires_grad_(True), seq(5).requires_grad_(True)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T) if masks.startswith("causal") else None
    memory_mask = tgt_padding = memory_padding = None
    if masks.endswith("memory-padding"):
        memory_padding = torch.zeros(N, 5)
        memory_padding[1, 3:] = float("-inf")
    else:
        tgt_padding = torch.zeros(N, T)
        tgt_padding[0, T - 1] = float("-inf")
        memory_mask = torch.zeros(T, 5)
        memory_mask[0, 1] = memory_mask[2, 4] = float("-inf")
    y = layer(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_padding,
              memory_key_padding_mask=memory_padding)
    up = torch.randn_like(y)
    (y * up).sum().backward()
    optional = lambda t: L(t) if t is not None else None
    decoder_layers.append(dict(norm_first=norm_first, activation=activation, batch_first=batch_first, masks=masks,
                               params=params(layer), tgt_shape=list(tgt.shape), memory_shape=list(memory.shape),
                               tgt=L(tgt), memory=L(memory), memory_mask=optional(memory_mask),
                               tgt_key_padding_mask=optional(tgt_padding),
                               memory_key_padding_mask=optional(memory_padding), out=L(y), upstream=L(up),
                               grad_tgt=L(tgt.grad), grad_memory=L(memory.grad), grads=grads(layer)))
fixtures["decoder_layers"] = decoder_layers

# ---------------------------------------------------------------- nn.Transformer (2 + 2 layers)
model = nn.Transformer(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                       dropout=0.0, batch_first=True)
randomize(model)
src = torch.randn(N, 5, E, requires_grad=True)
tgt = torch.randn(N, T, E, requires_grad=True)
src_padding = torch.zeros(N, 5)
src_padding[0, 4] = float("-inf")
y = model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T), src_key_padding_mask=src_padding,
          memory_key_padding_mask=src_padding)
up = torch.randn_like(y)
(y * up).sum().backward()
fixtures["transformer"] = dict(params=params(model), src_shape=list(src.shape), tgt_shape=list(tgt.shape), src=L(src),
                               tgt=L(tgt), src_key_padding_mask=L(src_padding), out=L(y), upstream=L(up),
                               grad_src=L(src.grad), grad_tgt=L(tgt.grad), grads=grads(model))

# print(model) of an encoder stack, after everything above (so nothing above moves): its layers as a
# ModuleList with the equal ones folded, and MHA's out_proj printed by its class name.
fixtures["encoder_description"] = str(nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False))

with open(OUT, "w") as f:
    json.dump(fixtures, f, separators=(",", ":"))
print(OUT, os.path.getsize(OUT), "bytes")
