#!/usr/bin/env bash
# Ember and PyTorch on the same GPU, seconds per epoch side by side: the seed MLP (784-256-10, Adam
# lr 1e-3, batch 64, 60,000 MNIST images preloaded on the GPU).
#
#   scripts/bench_cuda.sh [epochs] [ember binary]
#
# Ember: `ember train --device cuda` (the training set on the device, batches gathered there), with
# the step in a CUDA graph (the default) and eager (--no-cuda-graph).
# PyTorch: scripts/bench_cuda_pytorch.py (eager, eager with fused Adam, and a CUDA graph of the step);
# skipped, saying so, when python3 cannot import torch.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-5}"
ember="${2:-.build/release/ember}"

# The best epoch after the first, from `ember train`'s "Epoch N/M: ..., T s" lines in file $1.
best_epoch() { grep -o '[0-9.]* s$' "$1" | sed 's/ s//' | tail -n +2 | sort -n | head -1; }

echo "== Ember (the step captured in a CUDA graph)"
"$ember" device
"$ember" train --device cuda --epochs "$epochs" --log-interval 100000 | tee /tmp/ember-cuda-train.txt
ember_best=$(best_epoch /tmp/ember-cuda-train.txt)
echo "== Ember, eager (--no-cuda-graph)"
"$ember" train --device cuda --epochs "$epochs" --log-interval 100000 --no-cuda-graph | tee /tmp/ember-cuda-eager.txt
ember_eager=$(best_epoch /tmp/ember-cuda-eager.txt)

echo "== PyTorch"
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
    python3 scripts/bench_cuda_pytorch.py "$epochs" | tee /tmp/torch-cuda.txt
    echo "== s/epoch (best epoch after the first)"
    echo "ember (CUDA graph)                     $ember_best"
    echo "ember (eager)                          $ember_eager"
    grep '^pytorch' /tmp/torch-cuda.txt | while read -r line; do
        torch_best=$(echo "$line" | sed 's/.*best \([0-9.]*\).*/\1/')
        name=$(echo "$line" | sed 's/^pytorch \(.*\) s\/epoch.*/\1/')
        printf 'pytorch %-30s %s  (Ember %.1fx faster)\n' "$name" "$torch_best" "$(awk -v a="$torch_best" -v b="$ember_best" 'BEGIN { print a / b }')"
    done
else
    echo "PyTorch with CUDA is not available to python3: comparison skipped."
fi
