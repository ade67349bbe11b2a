"""Generates the PyTorch reference fixtures for Ember's NN and Optim tests.

    /opt/torchenv/bin/python scripts/make_nn_fixtures.py

Writes Tests/EmberTests/Fixtures/nn_layers.json, nn_losses.json, optim.json and optim_schedulers.json.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "EmberTests", "Fixtures")


def L(t):
    return [round(float(v), 7) for v in t.detach().reshape(-1).tolist()]


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes")


# ---------------------------------------------------------------- layers
layers = {}

x = torch.randn(3, 4, requires_grad=True)
lin = nn.Linear(4, 5)
g = torch.randn(3, 5)
y = lin(x)
y.backward(g)
layers["linear"] = dict(x=L(x), weight=L(lin.weight), bias=L(lin.bias), upstream=L(g), out=L(y),
                        grad_x=L(x.grad), grad_weight=L(lin.weight.grad), grad_bias=L(lin.bias.grad))

acts = {
    "relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.2), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(),
    "gelu": nn.GELU(), "softmax": nn.Softmax(dim=1), "log_softmax": nn.LogSoftmax(dim=1),
    "softplus": nn.Softplus(beta=2.0, threshold=5.0),
    "silu": nn.SiLU(), "elu": nn.ELU(alpha=0.7), "selu": nn.SELU(), "mish": nn.Mish(),
    "hardtanh": nn.Hardtanh(-0.5, 1.5), "relu6": nn.ReLU6(), "hardsigmoid": nn.Hardsigmoid(),
    "hardswish": nn.Hardswish(), "softsign": nn.Softsign(),
}
x = torch.randn(2, 5) * 2
g = torch.randn(2, 5)
layers["activation_input"] = L(x)
layers["activation_upstream"] = L(g)
for name, m in acts.items():
    xi = x.clone().requires_grad_(True)
    out = m(xi)
    out.backward(g)
    layers[name] = dict(out=L(out), grad=L(xi.grad))

for shape in ([4, 3], [2, 3, 4]):
    bn = nn.BatchNorm1d(3, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    steps = []
    for i in range(3):
        xi = (torch.randn(*shape) * (i + 1) + i).requires_grad_(True)
        gi = torch.randn(*shape)
        out = bn(xi)
        out.backward(gi)
        steps.append(dict(x=L(xi), upstream=L(gi), out=L(out), grad_x=L(xi.grad), grad_weight=L(bn.weight.grad),
                          grad_bias=L(bn.bias.grad), running_mean=L(bn.running_mean), running_var=L(bn.running_var)))
        bn.weight.grad = None
        bn.bias.grad = None
    bn.eval()
    xe = torch.randn(*shape)
    layers["batchnorm_%dd" % len(shape)] = dict(shape=shape, weight=L(bn.weight), bias=L(bn.bias), steps=steps,
                                               eval_x=L(xe), eval_out=L(bn(xe)),
                                               num_batches_tracked=int(bn.num_batches_tracked))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)
        self.bn = nn.BatchNorm1d(8)
        self.net = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3, bias=False))

    def forward(self, x):
        return self.net(self.bn(self.drop(self.act(self.fc1(x)))))


mlp = MLP()
layers["mlp"] = dict(state_dict_keys=list(mlp.state_dict().keys()),
                     parameter_names=[n for n, _ in mlp.named_parameters()],
                     description=repr(mlp))
# PReLU with one slope per channel, and with one shared slope (its own generator, so the fixtures
# above keep their values).
gen = torch.Generator().manual_seed(77)
x = torch.randn(2, 3, 4, generator=gen) * 2
g = torch.randn(2, 3, 4, generator=gen)
for name, m in (("prelu_channels", nn.PReLU(3)), ("prelu_shared", nn.PReLU())):
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.25, -0.5, 1.5][:m.num_parameters]))
    xi = x.clone().requires_grad_(True)
    out = m(xi)
    out.backward(g)
    layers[name] = dict(x=L(x), upstream=L(g), weight=L(m.weight), out=L(out), grad_x=L(xi.grad),
                        grad_weight=L(m.weight.grad))

# GroupNorm: 3 groups of 2 channels with a learned affine on [N, C, H, W]; one group without affine on [N, C, L].
gen = torch.Generator().manual_seed(78)
for name, shape, m in (("group_norm_affine", [2, 6, 3, 2], nn.GroupNorm(3, 6)),
                       ("group_norm_plain", [3, 4, 5], nn.GroupNorm(1, 4, affine=False))):
    if m.affine:
        with torch.no_grad():
            m.weight.copy_(torch.randn(m.num_channels, generator=gen))
            m.bias.copy_(torch.randn(m.num_channels, generator=gen))
    x = (torch.randn(*shape, generator=gen) * 3 + 1).requires_grad_(True)
    g = torch.randn(*shape, generator=gen)
    out = m(x)
    out.backward(g)
    entry = dict(shape=shape, groups=m.num_groups, x=L(x), upstream=L(g), out=L(out), grad_x=L(x.grad))
    if m.affine:
        entry.update(weight=L(m.weight), bias=L(m.bias), grad_weight=L(m.weight.grad), grad_bias=L(m.bias.grad))
    layers[name] = entry

dump("nn_layers.json", layers)

# ---------------------------------------------------------------- losses
losses = {}


def record(name, fn, inp, **extra):
    entry = dict(input=L(inp), input_shape=list(inp.shape), **extra)
    for red in ("mean", "sum", "none"):
        xi = inp.clone().requires_grad_(True)
        out = fn(xi, red)
        out.sum().backward()
        entry[red] = dict(value=L(out), grad=L(xi.grad))
    losses[name] = entry


a = torch.randn(3, 4)
b = torch.randn(3, 4)
record("mse", lambda x, r: F.mse_loss(x, b, reduction=r), a, target=L(b))
record("l1", lambda x, r: F.l1_loss(x, b, reduction=r), a, target=L(b))
record("huber_1", lambda x, r: F.huber_loss(x, b, reduction=r, delta=1.0), a, target=L(b))
record("huber_05", lambda x, r: F.huber_loss(x, b, reduction=r, delta=0.5), a, target=L(b))

p = torch.sigmoid(torch.randn(3, 4))
t = torch.rand(3, 4).round()
w = torch.rand(3, 4) + 0.5
record("bce", lambda x, r: F.binary_cross_entropy(x, t, reduction=r), p, target=L(t))
record("bce_weight", lambda x, r: F.binary_cross_entropy(x, t, weight=w, reduction=r), p, target=L(t), weight=L(w))

z = torch.randn(3, 4) * 3
z[0, 0], z[1, 1], z[2, 2] = 40.0, -40.0, 25.0
ts = torch.rand(3, 4)
pw = torch.tensor([1.0, 2.0, 0.5, 3.0])
record("bce_logits", lambda x, r: F.binary_cross_entropy_with_logits(x, ts, reduction=r), z, target=L(ts))
record("bce_logits_weights", lambda x, r: F.binary_cross_entropy_with_logits(x, ts, weight=w, pos_weight=pw, reduction=r),
       z, target=L(ts), weight=L(w), pos_weight=L(pw))

logits = torch.randn(5, 4) * 2
target = torch.tensor([0, 3, 1, 1, 2])
cw = torch.tensor([0.5, 2.0, 1.0, 1.5])
logp = F.log_softmax(logits, dim=1)
record("nll", lambda x, r: F.nll_loss(x, target, reduction=r), logp, target=target.tolist())
record("nll_weight", lambda x, r: F.nll_loss(x, target, weight=cw, reduction=r), logp, target=target.tolist(), weight=L(cw))
record("ce", lambda x, r: F.cross_entropy(x, target, reduction=r), logits, target=target.tolist())
record("ce_weight", lambda x, r: F.cross_entropy(x, target, weight=cw, reduction=r), logits, target=target.tolist(),
       weight=L(cw))
record("ce_smooth", lambda x, r: F.cross_entropy(x, target, label_smoothing=0.1, reduction=r), logits,
       target=target.tolist(), label_smoothing=0.1)
record("ce_weight_smooth", lambda x, r: F.cross_entropy(x, target, weight=cw, label_smoothing=0.2, reduction=r), logits,
       target=target.tolist(), weight=L(cw), label_smoothing=0.2)
tig = torch.tensor([0, -100, 1, 1, -100])
record("ce_ignore", lambda x, r: F.cross_entropy(x, tig, ignore_index=-100, reduction=r), logits, target=tig.tolist())
record("ce_ignore_weight_smooth",
       lambda x, r: F.cross_entropy(x, tig, weight=cw, label_smoothing=0.3, ignore_index=-100, reduction=r), logits,
       target=tig.tolist(), weight=L(cw), label_smoothing=0.3)
logits3 = torch.randn(2, 4, 3)
target3 = torch.tensor([[0, 3, 2], [1, 1, 0]])
record("ce_3d_weight", lambda x, r: F.cross_entropy(x, target3, weight=cw, reduction=r), logits3,
       target=target3.tolist(), target_shape=[2, 3], weight=L(cw))
probs = torch.softmax(torch.randn(5, 4), dim=1)
record("ce_probs_smooth_weight", lambda x, r: F.cross_entropy(x, probs, weight=cw, label_smoothing=0.1, reduction=r),
       logits, target=L(probs), weight=L(cw), label_smoothing=0.1)
dump("nn_losses.json", losses)

# ---------------------------------------------------------------- optimizers
X = torch.randn(4, 3)
Y = torch.randn(4, 2)
W0 = torch.randn(3, 2)
B0 = torch.randn(2)
STEPS = 12
configs = {
    "sgd": (torch.optim.SGD, dict(lr=0.05)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "adam": (torch.optim.Adam, dict(lr=0.05)),
    "adam_wd_amsgrad": (torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    "adamw": (torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.05, eps=1e-6, weight_decay=0.05, amsgrad=True)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop_centered_momentum": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.9, centered=True,
                                                             weight_decay=0.01)),
    "adagrad": (torch.optim.Adagrad, dict(lr=0.1)),
    "adagrad_decay": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.05,
                                                initial_accumulator_value=0.1)),
    "adadelta": (torch.optim.Adadelta, dict(lr=1.0)),
    "adadelta_wd": (torch.optim.Adadelta, dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
    "adamax": (torch.optim.Adamax, dict(lr=0.05)),
    "adamax_wd": (torch.optim.Adamax, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    "nadam": (torch.optim.NAdam, dict(lr=0.05)),
    "nadam_decoupled": (torch.optim.NAdam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01,
                                                decoupled_weight_decay=True)),
    "radam": (torch.optim.RAdam, dict(lr=0.05)),
    # Both branches within the 12 steps: rho_t passes 5 at step 6 (beta2 0.9, rho_inf 19; with the default betas too).
    "radam_wd_rectified": (torch.optim.RAdam, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    "radam_decoupled": (torch.optim.RAdam, dict(lr=0.05, betas=(0.9, 0.9), weight_decay=0.1,
                                                decoupled_weight_decay=True)),
    "rprop": (torch.optim.Rprop, dict(lr=0.05)),
    # Small step bounds so both clamps act within the 12 steps.
    "rprop_bounded": (torch.optim.Rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(0.02, 0.1))),
    "asgd": (torch.optim.ASGD, dict(lr=0.01)),
    # Averaging from step 4 on (t0), a strong decay of the rate, weight decay.
    "asgd_averaging": (torch.optim.ASGD, dict(lr=0.02, lambd=0.5, alpha=0.5, t0=4, weight_decay=0.05)),
    "adafactor": (torch.optim.Adafactor, dict(lr=0.05)),
    "adafactor_wd": (torch.optim.Adafactor, dict(lr=0.05, beta2_decay=-0.5, eps=(1e-6, 1e-2), d=1.5, weight_decay=0.1)),
}
optim = dict(x=L(X), y=L(Y), w0=L(W0), b0=L(B0), steps=STEPS, configs={})
for name, (cls, kw) in configs.items():
    w = W0.clone().requires_grad_(True)
    b = B0.clone().requires_grad_(True)
    opt = cls([w, b], **kw)
    traj = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((X @ w + b - Y) ** 2).sum()
        loss.backward()
        opt.step()
        traj.append(dict(w=L(w), b=L(b)))
    kw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    final_state = [{key: L(value) for key, value in opt.state[t].items()} for t in (w, b)]
    optim["configs"][name] = dict(kwargs=kw, trajectory=traj, state_keys=sorted(opt.state[w].keys()),
                                  final_state=final_state)

# L-BFGS (no random draws here, so the cases after are unchanged): a non-convex loss, each step a
# closure the optimizer calls several times.
def lbfgs_loss(w, b):
    return ((torch.tanh(X @ w + b) - Y) ** 2).sum() + 0.1 * (w ** 4).sum()


lbfgs_configs = {
    "lbfgs": (dict(lr=1.0, max_iter=4), 4),
    "lbfgs_history2_lr": (dict(lr=0.5, max_iter=5, history_size=2), 4),
    "lbfgs_strong_wolfe": (dict(lr=1.0, max_iter=5, history_size=4, line_search_fn="strong_wolfe"), 4),
}
optim["lbfgs"] = {}
for name, (kw, steps) in lbfgs_configs.items():
    w = W0.clone().requires_grad_(True)
    b = B0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], **kw)

    def closure():
        opt.zero_grad()
        loss = lbfgs_loss(w, b)
        loss.backward()
        return loss

    traj = []
    for _ in range(steps):
        first_loss = float(opt.step(closure).detach())
        traj.append(dict(w=L(w), b=L(b), loss=first_loss, func_evals=opt.state[w]["func_evals"],
                         n_iter=opt.state[w]["n_iter"]))
    optim["lbfgs"][name] = dict(kwargs=kw, trajectory=traj)

# A sharp valley where a large tolerance_change would end the strong-Wolfe zoom early: PyTorch's zoom
# keeps its own 1e-9 (no random draws here either).
C_SHARP = torch.tensor([-0.71288228, 0.55215836])
P0_SHARP = torch.tensor([1.82652497, -0.58424646])


def sharp_loss(p):
    return (torch.sqrt(1 + 1e5 * (p - C_SHARP) ** 2) / 1e5 ** 0.5).sum() + 0.01 * (p ** 2).sum()


p = P0_SHARP.clone().requires_grad_(True)
opt = torch.optim.LBFGS([p], max_iter=30, tolerance_change=1e-2, line_search_fn="strong_wolfe")


def sharp_closure():
    opt.zero_grad()
    loss = sharp_loss(p)
    loss.backward()
    return loss


opt.step(sharp_closure)
optim["lbfgs_sharp"] = dict(c=L(C_SHARP), p0=L(P0_SHARP), p=L(p), func_evals=opt.state[p]["func_evals"])

# clipping
gw = torch.randn(3, 2) * 3
gb = torch.randn(2)
clip = dict(grad_w=L(gw), grad_b=L(gb))
for nt, key in ((2.0, "l2"), (float("inf"), "inf"), (1.0, "l1")):
    w = torch.zeros(3, 2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    w.grad, b.grad = gw.clone(), gb.clone()
    total = torch.nn.utils.clip_grad_norm_([w, b], max_norm=1.5, norm_type=nt)
    clip[key] = dict(total=float(total), grad_w=L(w.grad), grad_b=L(b.grad))
w = torch.zeros(3, 2, requires_grad=True)
b = torch.zeros(2, requires_grad=True)
w.grad, b.grad = gw.clone(), gb.clone()
torch.nn.utils.clip_grad_value_([w, b], clip_value=0.7)
clip["value"] = dict(grad_w=L(w.grad), grad_b=L(b.grad))
optim["clipping"] = clip

# Muon (2-D parameters only): a tall and a wide matrix, drawn from their own generator so the cases
# above and below keep their draws. PyTorch runs the Newton-Schulz iteration in bfloat16; Ember runs it
# in float32, so the trajectories here are PyTorch's own step with the iteration swapped for the same
# code in float32 ("float32"), and PyTorch's real bfloat16 run ("bfloat16") for a looser check.
import torch.optim._muon as muon_module

bf16_newton_schulz = muon_module._zeropower_via_newtonschulz


def f32_newton_schulz(grad, ns_coefficients, ns_steps, eps):
    a, b, c = ns_coefficients
    x = grad.to(torch.float32, copy=True)
    if grad.size(0) > grad.size(1):
        x = x.T
    x.div_(x.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram = x @ x.T
        x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
    return x.T if grad.size(0) > grad.size(1) else x


mg = torch.Generator().manual_seed(91)
MX = torch.randn(6, 3, generator=mg)
MY = torch.randn(6, 2, generator=mg)
MW1 = torch.randn(5, 3, generator=mg)
MW2 = torch.randn(2, 5, generator=mg)
muon_configs = {
    "muon": dict(lr=0.05),
    "muon_plain_momentum": dict(lr=0.05, momentum=0.9, nesterov=False, weight_decay=0.0),
    "muon_match_rms_adamw": dict(lr=0.05, weight_decay=0.2, adjust_lr_fn="match_rms_adamw", ns_steps=3),
    "muon_spectral_unclamped": dict(lr=0.05, adjust_lr_fn="spectral_unclamped",
                                    ns_coefficients=(2.0, -1.5, 0.5), ns_steps=7),
}
muon = dict(x=L(MX), y=L(MY), w1=L(MW1), w2=L(MW2), steps=8, configs={})
for name, kw in muon_configs.items():
    runs = {}
    for precision, newton_schulz in (("float32", f32_newton_schulz), ("bfloat16", bf16_newton_schulz)):
        muon_module._zeropower_via_newtonschulz = newton_schulz
        w1 = MW1.clone().requires_grad_(True)
        w2 = MW2.clone().requires_grad_(True)
        opt = torch.optim.Muon([w1, w2], **kw)
        traj = []
        for _ in range(8):
            opt.zero_grad()
            loss = ((torch.tanh(MX @ w1.T) @ w2.T - MY) ** 2).sum()
            loss.backward()
            opt.step()
            traj.append(dict(w1=L(w1), w2=L(w2)))
        runs[precision] = dict(trajectory=traj, momentum_buffer=L(opt.state[w1]["momentum_buffer"]))
    muon_module._zeropower_via_newtonschulz = bf16_newton_schulz
    kw = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    muon["configs"][name] = dict(kwargs=kw, **runs)
# The iteration alone on a 4x7 matrix, in float32.
G = torch.randn(4, 7, generator=mg)
muon["newton_schulz"] = dict(g=L(G), out=L(f32_newton_schulz(G, (3.4445, -4.7750, 2.0315), 5, 1e-7)),
                             out_tall=L(f32_newton_schulz(G.T.contiguous(), (3.4445, -4.7750, 2.0315), 5, 1e-7)))
optim["muon"] = muon
dump("optim.json", optim)

# ---------------------------------------------------------------- schedulers
import warnings
warnings.filterwarnings("ignore")
sched = {}


def lrs(make, epochs, metrics=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    s = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            s.step()
        else:
            s.step(metrics[e])
        out.append(opt.param_groups[0]["lr"])
    return out


S = torch.optim.lr_scheduler
sched["step"] = lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12)
sched["exponential"] = lrs(lambda o: S.ExponentialLR(o, gamma=0.9), 12)
sched["cosine"] = lrs(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 25)
sched["linear"] = lrs(lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4), 8)
sched["multistep"] = lrs(lambda o: S.MultiStepLR(o, milestones=[2, 5, 6], gamma=0.5), 9)
# The Annotated Transformer's rate (d_model 64, warm-up 4), stepped per batch.
sched["lambda"] = lrs(lambda o: S.LambdaLR(o, lambda e: 64 ** -0.5 * min((e + 1) ** -0.5, (e + 1) * 4 ** -1.5)), 12)
metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
sched["plateau_metrics"] = metrics
sched["plateau"] = lrs(lambda o: S.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1, min_lr=0.004), len(metrics),
                       metrics)
metrics_max = [0.1, 0.2, 0.2, 0.2, 0.25, 0.25, 0.25, 0.25]
sched["plateau_max_metrics"] = metrics_max
sched["plateau_max"] = lrs(lambda o: S.ReduceLROnPlateau(o, mode="max", patience=1, factor=0.1, threshold=0.1,
                                                         threshold_mode="abs"), len(metrics_max), metrics_max)
sched["multiplicative"] = lrs(lambda o: S.MultiplicativeLR(o, lambda e: 0.95 if e < 4 else 0.8 + 0.01 * e), 10)
sched["warm_restarts"] = lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), 25)
sched["warm_restarts_flat"] = lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4), 10)
sched["constant"] = lrs(lambda o: S.ConstantLR(o, factor=0.25, total_iters=3), 6)
sched["polynomial"] = lrs(lambda o: S.PolynomialLR(o, total_iters=6, power=2.0), 9)
sched["sequential"] = lrs(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                       S.CosineAnnealingLR(o, T_max=6, eta_min=0.005)], milestones=[4]), 12)
sched["sequential3"] = lrs(lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=2),
                                                        S.ExponentialLR(o, gamma=0.8), S.StepLR(o, step_size=2)],
                                                    milestones=[2, 5]), 10)
sched["chained"] = lrs(lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=2),
                                                     S.ExponentialLR(o, gamma=0.9)], optimizer=o), 8)
sched["chained_step_linear"] = lrs(lambda o: S.ChainedScheduler([S.StepLR(o, step_size=3, gamma=0.5),
                                                                 S.LinearLR(o, start_factor=0.25, total_iters=4)]), 8)
# Within the cosine's first T_max epochs; past them PyTorch's recursive form loses the other factors.
sched["chained_multistep_cosine"] = lrs(lambda o: S.ChainedScheduler([S.MultiStepLR(o, milestones=[2, 5], gamma=0.1),
                                                                      S.CosineAnnealingLR(o, T_max=6)]), 6)


def cycling(scheduler, opt_make, epochs, **kw):
    """Rates and momenta (SGD's momentum, or Adam's beta1) of a cycling scheduler at every step."""
    p = torch.zeros(1, requires_grad=True)
    opt = opt_make([p])
    s = scheduler(opt, **kw)
    key = "betas" if "betas" in opt.param_groups[0] else "momentum"
    mom = lambda: opt.param_groups[0][key][0] if key == "betas" else opt.param_groups[0][key]
    lr, m = [opt.param_groups[0]["lr"]], [mom()]
    for _ in range(epochs):
        opt.step()
        s.step()
        lr.append(opt.param_groups[0]["lr"])
        m.append(mom())
    return dict(lr=lr, momentum=m)


def one_cycle(opt_make, epochs, **kw):
    return cycling(S.OneCycleLR, opt_make, epochs, **kw)


def cyclic(opt_make, epochs, **kw):
    """CyclicLR (no random draws: the entries above are unchanged)."""
    return cycling(S.CyclicLR, opt_make, epochs, **kw)


sched["one_cycle"] = one_cycle(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 20, max_lr=0.5, total_steps=20)
sched["one_cycle_adam_linear"] = one_cycle(lambda ps: torch.optim.Adam(ps, lr=1e-3), 15, max_lr=0.01, total_steps=15,
                                           pct_start=0.4, anneal_strategy="linear", div_factor=10)
sched["one_cycle_three_phase"] = one_cycle(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 16, max_lr=1.0,
                                           total_steps=16, three_phase=True, base_momentum=0.8, max_momentum=0.9)
sched["cyclic"] = cyclic(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 14, base_lr=0.01, max_lr=0.1,
                         step_size_up=3, step_size_down=2)
sched["cyclic_triangular2_adam"] = cyclic(lambda ps: torch.optim.Adam(ps, lr=1e-3), 14, base_lr=1e-3, max_lr=4e-3,
                                          step_size_up=2, mode="triangular2")
sched["cyclic_exp_range"] = cyclic(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), 12, base_lr=0.02, max_lr=0.2,
                                   step_size_up=2, mode="exp_range", gamma=0.9, base_momentum=0.7, max_momentum=0.95)
dump("optim_schedulers.json", sched)
