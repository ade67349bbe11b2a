#!/usr/bin/env bash
# Installs what Ember needs to build on a fresh Debian/Ubuntu machine: OpenBLAS, zlib, libpng and
# libjpeg with their headers and pkg-config files. Does nothing when they are already there. (macOS uses Accelerate.)
set -euo pipefail

if [ "$(uname)" = "Darwin" ]; then
  
# Optional: onnxruntime (and numpy) for the tests that run Ember's exported ONNX files in it.
# Best effort too: without them those tests are skipped, saying why.
ort_dir="$(cd "$(dirname "$0")/.." && pwd)/.build-onnxruntime"
if [ ! -d "$ort_dir/onnxruntime" ] && command -v python3 >/dev/null 2>&1; then
  if timeout 300 python3 -m pip install --quiet --target "$ort_dir" onnxruntime numpy >/dev/null 2>&1; then
    echo "setup: onnxruntime installed in $ort_dir (for the ONNX export tests)" >&2
  else
    echo "setup: onnxruntime not installed (pip could not fetch it); the onnxruntime export tests will be skipped" >&2
  fi
fi
exit 0
fi

missing=()
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
pkg-config --exists libpng 2>/dev/null || missing+=(libpng-dev)
pkg-config --exists libjpeg 2>/dev/null || missing+=(libjpeg-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq pkg-config "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: swift is at /opt/swift/usr/bin; add it to PATH" >&2
  else
    echo "setup: Swift 6 is required: install it from swift.org (swiftly) and re-run" >&2
  fi
  exit 1
fi

# Optional: NVRTC (CUDA's run-time compiler, no GPU needed) so that the tests compile every CUDA
# kernel on this machine too. Best effort: without it those tests are skipped, saying why.
nvrtc_dir="$(cd "$(dirname "$0")/.." && pwd)/.build-nvrtc"
if [ ! -e "$nvrtc_dir/nvidia/cu13/lib/libnvrtc.so.13" ] && command -v python3 >/dev/null 2>&1; then
  if timeout 300 python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
       --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 -d "$nvrtc_dir/wheel" \
       "nvidia-cuda-nvrtc>=13,<14" >/dev/null 2>&1 \
     && python3 -m zipfile -e "$nvrtc_dir"/wheel/nvidia_cuda_nvrtc-*.whl "$nvrtc_dir" 2>/dev/null; then
    echo "setup: NVRTC installed in $nvrtc_dir (for the CUDA kernel compile tests)" >&2
  else
    echo "setup: NVRTC not installed (pip could not fetch nvidia-cuda-nvrtc); the CUDA compile tests will be skipped" >&2
  fi
fi

# Optional: onnxruntime (and numpy) for the tests that run Ember's exported ONNX files in it.
# Best effort too: without them those tests are skipped, saying why.
ort_dir="$(cd "$(dirname "$0")/.." && pwd)/.build-onnxruntime"
if [ ! -d "$ort_dir/onnxruntime" ] && command -v python3 >/dev/null 2>&1; then
  if timeout 300 python3 -m pip install --quiet --target "$ort_dir" onnxruntime numpy >/dev/null 2>&1; then
    echo "setup: onnxruntime installed in $ort_dir (for the ONNX export tests)" >&2
  else
    echo "setup: onnxruntime not installed (pip could not fetch it); the onnxruntime export tests will be skipped" >&2
  fi
fi
exit 0
