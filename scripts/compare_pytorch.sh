#!/usr/bin/env bash
# Runs Ember's and PyTorch's MLP training epochs back to back on this machine and prints the ratio.
#   scripts/compare_pytorch.sh [epochs]            uses a python3 that has torch, or skips PyTorch
#   scripts/compare_pytorch.sh --install [epochs]  first installs CPU PyTorch into .venv-bench/
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--install" ]; then
  shift
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q numpy torch --index-url https://download.pytorch.org/whl/cpu \
    || .venv-bench/bin/pip install -q numpy torch
fi
epochs="${1:-3}"
threads="$(nproc)"

swift build -c release --product ember-bench >/dev/null
ember_out="$(.build/release/ember-bench train "$epochs")"
echo "$ember_out"
ember_best="$(echo "$ember_out" | awk '/best epoch/ {print $3}')"

python=""
for candidate in .venv-bench/bin/python /opt/torchenv/bin/python python3; do
  if [ -x "$(command -v "$candidate" 2>/dev/null || echo "$candidate")" ] && "$candidate" -c "import torch" 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "PyTorch is not installed: skipping the comparison (run with --install to set it up)"
  exit 0
fi
torch_out="$("$python" scripts/bench_pytorch_mlp.py "$epochs" "$threads")"
echo "$torch_out"
torch_best="$(echo "$torch_out" | sed -n 's/.*best epoch \([0-9.]*\) s.*/\1/p')"
python3 -c "print(f'Ember {float(\"$ember_best\"):.3f} s/epoch vs PyTorch {float(\"$torch_best\"):.3f} s/epoch: Ember is {float(\"$torch_best\")/float(\"$ember_best\"):.2f}x faster')"
