#!/usr/bin/env bash
# Cold start of every Lambda function (BENCHMARKS.md, "Lambda binaries and cost"): builds the functions'
# release binaries for this machine (x86_64: the arm64 ones the template deploys cannot run here), starts
# the moto emulator, fetches the OCR models and ONNX Runtime (the engine the OCR layer carries), and runs the harness of tests/benches/cold_start, which
# starts each binary against a local Lambda Runtime API and the template's resources in the emulator.
#   scripts/bench-cold-start.sh [starts per function, default 5]
#   ONLY=process-document scripts/bench-cold-start.sh 5    (one function: only its binary is built)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
runs="${1:-5}"

. scripts/lib/python-env.sh
. scripts/lib/moto.sh
. scripts/lib/ocr-models.sh
. scripts/lib/onnxruntime.sh

packages=()
for manifest in functions/*/Cargo.toml; do
  packages+=(-p "$(basename "$(dirname "$manifest")")")
done
[ -n "${ONLY:-}" ] && packages=(-p "$ONLY")
cargo build --release --locked "${packages[@]}"

pagewire_python_env
pagewire_ocr_models
pagewire_onnxruntime
trap pagewire_stop_moto EXIT
pagewire_start_moto

echo "== uptime: $(uptime)"
cargo test --locked -p integration-tests --bench cold_start -- --measure "$CARGO_TARGET_DIR/release" "$runs" ${ONLY:+--only "$ONLY"}
