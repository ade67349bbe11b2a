#!/usr/bin/env bash
# Load-tests `ember-serve` with wrk: requests per second and latency at several numbers of open
# connections, with dynamic batching (--max-batch-size 64, --max-delay-ms 2) and without
# (--max-batch-size 1), and the same model served by PyTorch with FastAPI + uvicorn beside them.
#   scripts/bench_serve.sh [--install] [seconds per run, default 10] [connections, default "1 8 32 64"]
#   --install   installs wrk (apt), and CPU PyTorch, FastAPI, uvicorn and safetensors into .venv-bench/
# Each request is POST /predict with one MNIST test digit as JSON (784 numbers). wrk runs on the
# same machine as the server, with one thread, so both share the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--install" ]; then
  shift
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
  .venv-bench/bin/python -c "import torch" 2>/dev/null || .venv-bench/bin/pip install -q torch \
    --index-url https://download.pytorch.org/whl/cpu || .venv-bench/bin/pip install -q torch
  .venv-bench/bin/pip install -q fastapi uvicorn safetensors
fi
seconds="${1:-10}"
connections="${2:-1 8 32 64}"
command -v wrk >/dev/null || { echo "wrk is not installed: run scripts/bench_serve.sh --install"; exit 1; }

swift build -c release --product ember >/dev/null
swift build -c release --product ember-serve >/dev/null
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
.build/release/ember train --epochs 1 --save "$work/mlp.safetensors" --json >/dev/null
python3 - "$work" <<'PY'
import gzip, json, sys
pixels = gzip.open("Datasets/MNIST/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
json.dump({"instances": [[p / 255 for p in pixels]]}, open(sys.argv[1] + "/body.json", "w"))
PY
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open("$work/body.json", "r")
wrk.body = file:read("*a")
file:close()
LUA

# Waits for a server on the port to answer, then runs wrk at each connection count.
measure() {
  local name="$1" port="$2"
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/predict" -X POST -H 'Content-Type: application/json' \
    --data-binary "@$work/body.json" && break; sleep 0.1; done
  for c in $connections; do
    out="$(wrk -t1 -c"$c" -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/predict")"
    rps="$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')"
    p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    errors="$(echo "$out" | sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')"
    printf "%-34s %4s connections: %9s requests/s, latency p50 %8s, p99 %8s%s\n" "$name" "$c" "$rps" "$p50" "$p99" \
      "${errors:+, $errors errors}"
  done
}

.build/release/ember-serve --model "$work/mlp.safetensors" --port 18081 >/dev/null &
measure "ember-serve (adaptive batches of up to 64)" 18081
kill %1; wait %1 2>/dev/null || true
.build/release/ember-serve --model "$work/mlp.safetensors" --port 18082 --max-batch-size 1 >/dev/null &
measure "ember-serve (no batching)" 18082
kill %1; wait %1 2>/dev/null || true

python=""
for candidate in .venv-bench/bin/python /opt/torchenv/bin/python python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import torch, fastapi, uvicorn" 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "PyTorch with FastAPI and uvicorn not found: run scripts/bench_serve.sh --install for the comparison"
  exit 0
fi
"$python" scripts/serve_pytorch.py "$work/mlp.safetensors" 18083 &
measure "PyTorch $("$python" -c 'import torch; print(torch.__version__.split("+")[0])') + FastAPI/uvicorn" 18083
