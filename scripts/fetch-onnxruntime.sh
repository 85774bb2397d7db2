#!/usr/bin/env bash
# Fetches ONNX Runtime's library for this machine (or ARCH) into the user's cache, by pinned hash, once,
# and prints its path: what `pagewire dev` runs on start-up when the library is missing, and what its
# start-up line tells you to run when that fetch failed (offline, say).
#   bash scripts/fetch-onnxruntime.sh [x86_64|aarch64]
set -euo pipefail
. "$(dirname "$0")/lib/onnxruntime.sh"
arch="${1:-$(uname -m)}"
[ "$arch" = arm64 ] && arch=aarch64
dir=$(pagewire_onnxruntime_cache "$arch")
pagewire_onnxruntime_fetch "$arch" "$dir"
echo "$dir/libonnxruntime.so"
