#!/usr/bin/env bash
# Runs every test of the workspace, the emulator-backed ones included:
#   1. a virtualenv with the pinned Python test tools (moto, standardwebhooks), cached under ~/.cache;
#   2. the moto AWS emulator on a free 127.0.0.1 port (AWS_ENDPOINT_URL points at it), stopped on exit;
#   3. the OCR models: the committed models/ocr, checked against their hashes (PAGEWIRE_OCR_MODEL_DIR), and
#      ONNX Runtime, the OCR engine: fetched once by pinned hash into ~/.cache/pagewire, the cache
#      `pagewire dev` fills (PAGEWIRE_ONNXRUNTIME_LIB; scripts/lib/onnxruntime.sh); the template-stack test
#      builds the OCR layer (models/Makefile), which fetches the arm64 library into the same cache;
#   4. cargo test over the whole workspace;
#   5. the API contract: Schemathesis drives `pagewire dev` with docs/openapi.yaml, every check, positive and
#      negative data, with generated and with real ids (scripts/lib/contract.sh);
#   6. the dashboard: installs chromium (apt) and its npm packages if missing, builds it, and runs its
#      end-to-end browser tests against `pagewire dev`, saving screenshots.
# Reuses a cargo target directory outside the clone when one exists.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

. scripts/lib/python-env.sh
. scripts/lib/moto.sh
. scripts/lib/dev-server.sh
. scripts/lib/contract.sh
. scripts/lib/ocr-models.sh
. scripts/lib/onnxruntime.sh
. scripts/lib/dashboard.sh

pagewire_python_env
pagewire_ocr_models
pagewire_onnxruntime
trap 'pagewire_dev_stop; pagewire_stop_moto' EXIT
pagewire_start_moto

cargo test --workspace --all-targets --locked

cargo build --locked -p pagewire-cli --bin pagewire
pagewire_contract_test

pagewire_dashboard_deps
pagewire_dashboard_build
pagewire_dashboard_e2e
