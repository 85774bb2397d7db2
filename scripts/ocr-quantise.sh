#!/usr/bin/env bash
# Makes models/ocr/rec.int8.onnx, the int8 recogniser ONNX Runtime runs (rten runs rec.onnx), from the
# committed float recogniser, and records it in models/ocr/SHA256SUMS. ONNX Runtime's own static
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
"$venv/bin/python" scripts/ocr/quantise.py "$dir/rec.onnx" "$dir/rec.int8.onnx" \
  tests/fixtures/invoice.png tests/fixtures/invoice.jpg tests/fixtures/invoice-scan.jpg 2>&1 |
  grep -v -i 'warning' >&2 || true
pagewire_ocr_sums "$dir"
echo "== $dir/rec.int8.onnx: $(stat -c %s "$dir/rec.int8.onnx") B, sha256 $(sha256sum "$dir/rec.int8.onnx" | cut -c1-64)" >&2
