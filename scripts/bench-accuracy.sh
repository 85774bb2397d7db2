#!/usr/bin/env bash
# Accuracy on the extraction corpus (tests/corpus/) for BENCHMARKS.md "Accuracy on the corpus": pagewire
# against `pdftotext -layout` (text PDFs) and `tesseract` (images, one thread) with the same template rules,
# then the time per text-PDF page with a 40-field template against pdftotext alone. Not part of CI: it
# installs poppler-utils and tesseract-ocr (with the corpus's language packs) when missing.
#   bash scripts/bench-accuracy.sh [--models DIR|CANDIDATE] [--details] [--no-baseline] [--rten]
#                                  [--skew-probe | --no-skew-probe] [--detector-max-side PIXELS]
# --details lists every field that is not right; --models reads with other OCR models than the shipped
# models/ocr: a directory, or a candidate of scripts/ocr-models.txt (v4, v5, v5-v4rec, v6-tiny, v6-small,
# v6-tinydet);
# --no-baseline skips pdftotext and tesseract (a model comparison). The OCR engine is the shipped choice,
# ONNX Runtime (fetched by pinned hash, scripts/lib/onnxruntime.sh); --rten runs the models on rten.
# --skew-probe, --no-skew-probe and --detector-max-side change the OCR settings (OcrSettings; shipped:
# no probe, 1088 px).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
. scripts/lib/ocr-models.sh
. scripts/lib/onnxruntime.sh
pagewire_ocr_models
pagewire_onnxruntime
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --models)
      if [ -d "$2" ]; then
        PAGEWIRE_OCR_MODEL_DIR="$2"
      else
        PAGEWIRE_OCR_MODEL_DIR=$(pagewire_ocr_candidate "$2")
      fi
      shift 2
      ;;
    --rten) PAGEWIRE_ONNXRUNTIME_LIB=""; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "== OCR models: $PAGEWIRE_OCR_MODEL_DIR ($(head -1 "$PAGEWIRE_OCR_MODEL_DIR/SOURCE" 2>/dev/null))," \
  "engine: ${PAGEWIRE_ONNXRUNTIME_LIB:+ONNX Runtime ($PAGEWIRE_ONNXRUNTIME_LIB)}${PAGEWIRE_ONNXRUNTIME_LIB:-rten}"
packs="tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-nld tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-por"
missing=""
command -v pdftotext >/dev/null || missing="poppler-utils"
command -v tesseract >/dev/null || missing="$missing tesseract-ocr"
for pack in $packs; do
  dpkg -s "$pack" >/dev/null 2>&1 || missing="$missing $pack"
done
if [ -n "$missing" ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "== installing$missing" >&2
  $sudo_cmd apt-get install -y -qq $missing >/dev/null
fi
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(pdftotext -v 2>&1 | head -1); $(tesseract --version 2>&1 | head -1)"
cargo bench --quiet -p integration-tests --bench accuracy -- ${args[@]+"${args[@]}"}
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
