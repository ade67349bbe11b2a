#!/usr/bin/env bash
# Runs Ember and PyTorch back to back on this machine, with the same thread count, and prints the ratio.
#   scripts/compare_pytorch.sh [mlp|cnn] [epochs-or-steps] [threads]
#   scripts/compare_pytorch.sh --install ...   first installs CPU PyTorch into .venv-bench/
# mlp: seconds per training epoch of the seed MLP (PyTorch with the data preloaded as tensors).
# cnn: milliseconds per training step of PyTorch's MNIST CNN (an epoch is 938 steps).
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
if [ "$model" = "cnn" ]; then
  count="${count:-30}"
  ember_out="$(EMBER_NUM_THREADS="$threads" .build/release/ember-bench cnn "$count")"
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
if [ "$model" = "cnn" ]; then
  torch_out="$("$python" scripts/bench_cnn_pytorch.py "$count" "$threads")"
  torch_value="$(echo "$torch_out" | sed -n 's/^step: \([0-9.]*\) ms.*/\1/p')"
else
  torch_out="$("$python" scripts/bench_pytorch_mlp.py "$count" "$threads")"
  torch_value="$(echo "$torch_out" | sed -n 's/.*best epoch \([0-9.]*\) s.*/\1/p')"
fi
echo "$torch_out"
python3 -c "e, t = float('$ember_value'), float('$torch_value'); print(f'$model, $threads threads: Ember {e:.3f} $unit, PyTorch {t:.3f} $unit: Ember is {t / e:.2f}x faster')"
