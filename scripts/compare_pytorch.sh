#!/usr/bin/env bash
# Runs Ember and PyTorch back to back on this machine, with the same thread count, and prints the ratio.
#   scripts/compare_pytorch.sh [mlp|cnn|lstm|gru|vit|autoencoder|stn|pinn|elementwise|optim] [epochs-or-steps] [threads]
#   scripts/compare_pytorch.sh --install ...   first installs CPU PyTorch into .venv-bench/
# mlp: seconds per training epoch of the seed MLP (PyTorch with the data preloaded as tensors).
# cnn: milliseconds per training step of PyTorch's MNIST CNN (an epoch is 938 steps).
# lstm: milliseconds per training step of examples/mnist-rnn's 2-layer LSTM (an epoch is 600 steps).
# gru: the same network with a 2-layer GRU in place of the LSTM.
# vit: milliseconds per training step of examples/mnist-vit's Vision Transformer (an epoch is 469 steps).
# autoencoder: milliseconds per training step of examples/mnist-autoencoder (an epoch is 938 steps).
# stn: milliseconds per training step of examples/mnist-stn (PyTorch's spatial transformer tutorial).
# pinn: milliseconds per training step of examples/pinn-oscillator (second derivatives by double backward).
# elementwise: microseconds per call of each element-wise op at 64x256 and 1M, and the ratios.
# optim: microseconds per optimizer step over the MLP's parameters, against PyTorch's faster of its
#   for-loop (its CPU default) and foreach implementations.
# Without PyTorch the Ember half still runs and the comparison is skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--install" ]; then
  shift
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q numpy torch --index-url https://download.pytorch.org/whl/cpu \
    || .venv-bench/bin/pip install -q numpy torch
fi
model="${1:-mlp}"
count="${2:-}"
threads="${3:-$(nproc)}"

swift build -c release --product ember-bench >/dev/null
if [ "$model" = "elementwise" ]; then
  ember_out="$(EMBER_NUM_THREADS="$threads" .build/release/ember-bench elementwise)"
elif [ "$model" = "optim" ]; then
  ember_out="$(EMBER_NUM_THREADS="$threads" .build/release/ember-bench optim)"
elif [ "$model" = "cnn" ] || [ "$model" = "lstm" ] || [ "$model" = "gru" ] || [ "$model" = "vit" ] || [ "$model" = "autoencoder" ] \
    || [ "$model" = "pinn" ] || [ "$model" = "stn" ]; then
  count="${count:-30}"
  ember_out="$(EMBER_NUM_THREADS="$threads" .build/release/ember-bench "$model" "$count")"
  ember_value="$(echo "$ember_out" | sed -n 's/^step: \([0-9.]*\) ms.*/\1/p')"
  unit="ms/step"
else
  count="${count:-3}"
  ember_out="$(EMBER_NUM_THREADS="$threads" .build/release/ember-bench train "$count")"
  ember_value="$(echo "$ember_out" | sed -n 's/^best epoch: \([0-9.]*\) s.*/\1/p')"
  unit="s/epoch"
fi
echo "$ember_out"

python=""
for candidate in .venv-bench/bin/python /opt/torchenv/bin/python python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import torch" 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "PyTorch is not installed: skipping the comparison (run with --install to set it up)"
  exit 0
fi
if [ "$model" = "elementwise" ]; then
  torch_out="$("$python" scripts/bench_pytorch_elementwise.py "$threads")"
  echo "$torch_out"
  # Both tables list the ops in the same order: print PyTorch's time over Ember's per op and size.
  python3 - "$ember_out" "$torch_out" <<'PY'
import sys
def table(text):
    rows = {}
    for line in text.splitlines():
        parts = line.rsplit(None, 2)
        if len(parts) == 3:
            try: rows[parts[0].strip()] = (float(parts[1]), float(parts[2]))
            except ValueError: pass
    return rows
ember, torch = table(sys.argv[1]), table(sys.argv[2])
print(f"{'op':<16}{'64×256':<12}1M      (PyTorch's time / Ember's: above 1, Ember is faster)")
for op, (es, el) in ember.items():
    if op in torch:
        ts, tl = torch[op]
        print(f"{op:<16}{ts / es:<12.2f}{tl / el:.2f}")
PY
  exit 0
fi
if [ "$model" = "optim" ]; then
  torch_out="$("$python" scripts/bench_pytorch_optim.py "$threads")"
  echo "$torch_out"
  python3 - "$ember_out" "$torch_out" <<'PY'
import sys
def table(text, columns):
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == columns + 1:
            try: rows[parts[0]] = [float(v) for v in parts[1:]]
            except ValueError: pass
    return rows
ember, torch = table(sys.argv[1], 1), table(sys.argv[2], 2)
print(f"{'optimizer':<16}PyTorch's best time / Ember's (above 1, Ember is faster)")
for name, (e,) in ember.items():
    if name in torch:
        print(f"{name:<16}{min(torch[name]) / e:.2f}")
PY
  exit 0
fi
if [ "$model" = "cnn" ] || [ "$model" = "lstm" ] || [ "$model" = "gru" ] || [ "$model" = "vit" ] || [ "$model" = "autoencoder" ] \
    || [ "$model" = "pinn" ] || [ "$model" = "stn" ]; then
  script=scripts/bench_cnn_pytorch.py
  [ "$model" = "pinn" ] && script=scripts/bench_pytorch_pinn.py
  [ "$model" = "lstm" ] || [ "$model" = "gru" ] && script=scripts/bench_pytorch_lstm.py
  [ "$model" = "vit" ] && script=scripts/bench_pytorch_vit.py
  [ "$model" = "autoencoder" ] && script=scripts/bench_pytorch_autoencoder.py
  [ "$model" = "stn" ] && script=scripts/bench_pytorch_stn.py
  torch_out="$("$python" "$script" "$count" "$threads" "$model")"
  torch_value="$(echo "$torch_out" | sed -n 's/^step: \([0-9.]*\) ms.*/\1/p')"
else
  torch_out="$("$python" scripts/bench_pytorch_mlp.py "$count" "$threads")"
  torch_value="$(echo "$torch_out" | sed -n 's/.*best epoch \([0-9.]*\) s.*/\1/p')"
fi
echo "$torch_out"
python3 -c "e, t = float('$ember_value'), float('$torch_value'); print(f'$model, $threads threads: Ember {e:.3f} $unit, PyTorch {t:.3f} $unit: Ember is {t / e:.2f}x faster')"
