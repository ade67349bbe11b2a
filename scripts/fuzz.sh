#!/usr/bin/env bash
# Fuzzes Ember's parsers with the deterministic mutation fuzzer (Fuzz/TorchCheckpointFuzz), one
# target after another, in a release build at the lowest CPU priority.
#
#   scripts/fuzz.sh [-n INPUTS] [-s SEED] [-k START] [TARGET ...]
#
# TARGET: raw, records, pickle, safetensors, idx, gzip, image (default: all but raw, which runs at
# ~170 inputs/s; name it to include it). INPUTS per target defaults to 1,000,000. Prints each
# target's input count, time, rate, slowest input and peak RSS, and a summary; exits non-zero if
# any target crashed, hung, ran an input over 1 s or went over the RSS limit. Logs go to
# .build/fuzz/<target>.log. Zip checkpoints go through a temporary file, so TMPDIR is set to
# /dev/shm when it exists. To stop a long target early with its exact count, `kill` the harness
# process (SIGTERM): it prints its summary and the script goes on to the next target.
set -euo pipefail
cd "$(dirname "$0")/.."

inputs=1000000
seed_args=()
start_args=()
while getopts "n:s:k:h" opt; do
    case "$opt" in
        n) inputs="$OPTARG" ;;
        s) seed_args=(--seed "$OPTARG") ;;
        k) start_args=(--start "$OPTARG") ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pickle records safetensors idx gzip image)

nice -n 19 swift build -c release --product torch-checkpoint-fuzz 2>&1 | grep -E "error|warning: unre|Compiling|Build" || true
bin="$(swift build -c release --show-bin-path)/torch-checkpoint-fuzz"
[ -x "$bin" ] || { echo "fuzz.sh: the build failed" >&2; exit 2; }

if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
export SWIFT_BACKTRACE=enable=no  # the harness prints the failing input itself
logs=.build/fuzz
mkdir -p "$logs"

failed=()
summary=()
for target in "${targets[@]}"; do
    echo "== $target: $inputs inputs"
    log="$logs/$target.log"
    set +e
    nice -n 19 "$bin" --target "$target" --iterations "$inputs" "${seed_args[@]}" "${start_args[@]}" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then
        failed+=("$target (exit $status)")
        summary+=("$target: FAILED with exit status $status; see $log")
    else
        ran=$(grep -m1 '^ran ' "$log" | sed 's/; no crashes, no hangs//')
        slowest=$(grep -m1 "^  $target:" "$log" | sed 's/.*slowest/slowest/')
        summary+=("$target: $ran; $slowest")
    fi
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in ${failed[*]}" >&2
    exit 1
fi
