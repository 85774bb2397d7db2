#!/usr/bin/env bash
# Makes models/ocr/rec.int8.onnx, the int8 recogniser ONNX Runtime runs (rten runs rec.onnx), from the
# committed float recogniser, its output classes trimmed to a Latin alphabet, and records it in models/ocr/SHA256SUMS. ONNX Runtime's own static
# quantisation (scripts/ocr/quantise.py) in a virtualenv pinned by scripts/requirements-quantise.txt,
# calibrated on text lines of the invoice fixtures (tests/fixtures/invoice*). The result is the same
# file, byte for byte, on every run with the same pins. Run it again after `pagewire_ocr_ship` and commit.
#   bash scripts/ocr-quantise.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/python-env.sh
. scripts/lib/ocr-models.sh
pagewire_ocr_models
venv=$(pagewire_venv quantise scripts/requirements-quantise.txt)
dir="$PAGEWIRE_OCR_MODEL_DIR"
# The float recogniser's output classes trimmed to the Latin alphabet first (scripts/ocr/trim_classes.py);
# the kept character list travels in the model's metadata.
trimmed=$(mktemp --suffix=.onnx)
trap 'rm -f "$trimmed"' EXIT
"$venv/bin/python" scripts/ocr/trim_classes.py "$dir/rec.onnx" "$dir/keys.txt" "$trimmed"
"$venv/bin/python" scripts/ocr/quantise.py "$trimmed" "$dir/rec.int8.onnx" \
  tests/fixtures/invoice.png tests/fixtures/invoice.jpg tests/fixtures/invoice-scan.jpg 2>&1 |
  grep -v -i 'warning' >&2 || true
pagewire_ocr_sums "$dir"
echo "== $dir/rec.int8.onnx: $(stat -c %s "$dir/rec.int8.onnx") B, sha256 $(sha256sum "$dir/rec.int8.onnx" | cut -c1-64)" >&2
