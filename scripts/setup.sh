#!/usr/bin/env bash
# Installs what Ember needs to build on a fresh Debian/Ubuntu machine: OpenBLAS and zlib with their
# headers and pkg-config files. Does nothing when they are already there. (macOS uses Accelerate.)
set -euo pipefail

if [ "$(uname)" = "Darwin" ]; then
  exit 0
fi

missing=()
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
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
