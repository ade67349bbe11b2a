#!/usr/bin/env bash
# Times ONNX models exported from PyTorch (the seed MLP and PyTorch's MNIST CNN) in Ember's importer,
# in onnxruntime and in PyTorch, on the same machine and threads.
#
#   scripts/bench_onnx.sh [threads] [batch ...]      (default: 2 threads; batches 1 64 1000)
#
# Needs a Python with torch, onnx, onnxscript and onnxruntime: $PYTHON, or /opt/torchenv/bin/python,
# or .venv-bench/bin/python (pip install torch onnx onnxscript onnxruntime).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
threads="${1:-2}"
shift || true
python="${PYTHON:-}"
for candidate in /opt/torchenv/bin/python .venv-bench/bin/python python3; do
  [ -n "$python" ] && break
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import torch, onnxruntime, onnxscript" 2>/dev/null; then
    python="$candidate"
  fi
done
[ -n "$python" ] || { echo "bench_onnx: no Python with torch, onnxruntime and onnxscript; set PYTHON" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" scripts/bench_onnx.py "$work" "$threads" "$@" 2>&1 | grep -v "^\[torch.onnx\]\|^W1"
swift build -c release --product ember-bench >/dev/null
for model in mlp cnn; do
  EMBER_NUM_THREADS="$threads" .build/release/ember-bench onnx "$work/$model.onnx" "$@" | grep -v "^machine"
done
