#!/usr/bin/env bash
# Accuracy on the extraction corpus (tests/corpus/) for BENCHMARKS.md "Accuracy on the corpus": pagewire
# against `pdftotext -layout` (text PDFs) and `tesseract` (images, one thread) with the same template rules,
# then the time per text-PDF page with a 40-field template against pdftotext alone. Not part of CI: it
# installs poppler-utils and tesseract-ocr (with the corpus's language packs) when missing.
#   bash scripts/bench-accuracy.sh [--details]     (--details lists every field that is not right)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
. scripts/lib/ocr-models.sh
pagewire_ocr_models
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
cargo bench --quiet -p integration-tests --bench accuracy -- "$@"
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
