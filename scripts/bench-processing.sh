#!/usr/bin/env bash
# Document processing benchmarks for BENCHMARKS.md ("Document processing"), compared in the same run
# with Debian's pdftotext and tesseract on the same files. Not part of CI: it installs those tools.
#   bash scripts/bench-processing.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
. scripts/lib/ocr-models.sh
. scripts/lib/onnxruntime.sh
pagewire_ocr_models
pagewire_onnxruntime
if ! command -v pdftotext >/dev/null || ! command -v tesseract >/dev/null; then
  apt-get install -y -qq poppler-utils tesseract-ocr tesseract-ocr-eng >/dev/null
fi
tmp=$(mktemp -d)
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
trap 'rm -rf "$tmp"; echo "== load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"' EXIT
cargo bench --quiet -p pagewire-extract --features ocr --bench processing --no-run
bench=$(ls -t "$CARGO_TARGET_DIR"/release/deps/processing-* | grep -v '\.d$' | head -1)
echo "== pagewire (ONNX Runtime, $(head -1 "$PAGEWIRE_OCR_MODEL_DIR/SOURCE"))"
# CPU seconds are the fair comparison on a shared machine: the whole run reads 13 OCR pages (one cold
# start, then 4 forms x 3) and 500 text-PDF pages (under 1 s).
/usr/bin/time -f "   whole run: wall %e s, CPU user %U s + sys %S s" "$bench"
for f in invoice.png invoice-scan.jpg; do
  echo "-- one OCR page in a fresh process: $f"
  /usr/bin/time -f "   wall %e s, CPU user %U s + sys %S s, peak RSS %M KiB" "$bench" --peak "tests/fixtures/$f"
done
echo "== pdftotext on the same 20-page PDF (x25)"
"$bench" --write-pdf "$tmp/twenty.pdf"
start=$(date +%s.%N)
for _ in $(seq 25); do pdftotext -layout "$tmp/twenty.pdf" - >/dev/null; done
end=$(date +%s.%N)
echo "   $(echo "500 / ($end - $start)" | bc -l | cut -d. -f1) pages/s"
echo "== tesseract $(tesseract --version 2>&1 | head -1) on the same images (one thread, as shipped)"
for f in invoice.png invoice.jpg invoice-scan.jpg; do
  /usr/bin/time -f "   $f: wall %e s, CPU user %U s + sys %S s, peak RSS %M KiB" tesseract "tests/fixtures/$f" "$tmp/out" >/dev/null 2>"$tmp/err" || true
  tail -1 "$tmp/err"
  grep -E "Invoice Number|Total Due|Due Date" "$tmp/out.txt" | sed 's/^/     | /'
done
