"""Times training steps of a PyTorch model for the comparison scripts (bench_cnn_pytorch.py,
bench_pytorch_lstm.py, ...): a few warm-up steps, then `steps` timed ones over the given batches,
with cross-entropy unless another loss is given."""
import time

import torch.nn.functional as F


def time_steps(model, opt, xs, ys, steps, warmup=3, loss_fn=F.cross_entropy):
    """Returns (seconds per step, [forward, backward, optimizer] seconds per step)."""
    phase = [0.0, 0.0, 0.0]
    for step in range(steps + warmup):
        if step == warmup:
            phase = [0.0, 0.0, 0.0]
            start = time.perf_counter()
        t0 = time.perf_counter()
        loss = loss_fn(model(xs[step % len(xs)]), ys[step % len(ys)])
        t1 = time.perf_counter()
        opt.zero_grad()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        phase[0] += t1 - t0; phase[1] += t2 - t1; phase[2] += t3 - t2
    return (time.perf_counter() - start) / steps, [p / steps for p in phase]


def report(per_step, phase, steps, epoch_steps):
    """Prints the lines the comparison script reads: ms per step, the epoch, the breakdown."""
    print(f"step: {per_step * 1e3:.1f} ms over {steps} steps -> {per_step * epoch_steps:.1f} s per epoch "
          f"({epoch_steps} steps)")
    print(f"step breakdown (ms): forward {phase[0] * 1e3:.2f}, backward {phase[1] * 1e3:.2f}, "
          f"optimizer {phase[2] * 1e3:.2f}")
