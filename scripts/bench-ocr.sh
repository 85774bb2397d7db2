#!/usr/bin/env bash
# OCR engines side by side for BENCHMARKS.md ("OCR engines"): the same A4 pages at 150 and 200 dpi read by
# each engine and model pair pagewire can run, and by tesseract on one thread, in one run. Per pair and
# resolution: CPU and wall seconds per page, the invoice fields right, peak memory, model load time; and
# what each engine adds to a Lambda package. Not part of CI: it installs Debian's tesseract, poppler-utils
# and imagemagick, and fetches ONNX Runtime as the shipped engine does (models/onnxruntime/).
#   bash scripts/bench-ocr.sh            (ROUNDS=2 by default: each page read twice after a warm-up page)
# Knobs: OCR_CANDIDATES (model pairs of scripts/ocr-models.txt besides the shipped one; SHIPPED=0 leaves the
# shipped pair out), OCR_ENGINES (engines and settings, default "ort rten ort-1280-probe": ONNX Runtime
# on one thread and rten with the shipped settings, and ONNX Runtime with the settings before (detection
# at 1280 px after a skew probe); also ort2 (two threads), tract, rten-1280-probe, ort-1280 and
# ort-1088-probe (one of the two changes alone), ort-float (the float recogniser instead of the int8 one).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
rounds="${ROUNDS:-2}"
. scripts/lib/ocr-models.sh

need=()
command -v tesseract >/dev/null || need+=(tesseract-ocr tesseract-ocr-eng)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v identify >/dev/null || need+=(imagemagick)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ONNX Runtime's shared library for this machine and, for its size only, for arm64: the shipped engine,
# fetched by pinned hash as pagewire dev and the OCR layer get it (models/onnxruntime/).
ort_lib=$(bash models/onnxruntime/fetch.sh)
declare -A ort_libs=([x86_64]=$(bash models/onnxruntime/fetch.sh x86_64) [aarch64]=$(bash models/onnxruntime/fetch.sh aarch64))

# Model pairs: the shipped models (models/ocr) and the candidates of scripts/ocr-models.txt that the
# issue compares them with, PP-OCRv4 (what pagewire shipped first) and PP-OCRv5 mobile; more with
# OCR_CANDIDATES="v4 v5 v6-tiny ...".
pagewire_ocr_models
pairs=()
[ "${SHIPPED:-1}" = 1 ] && pairs+=("shipped=$PAGEWIRE_OCR_MODEL_DIR")
engines="${OCR_ENGINES:-ort rten ort-1280-probe}"
for name in ${OCR_CANDIDATES:-v4 v5}; do
  pairs+=("$name=$(pagewire_ocr_candidate "$name")")
done

# The pages: the invoice fixture rendered clean and as a 2-degree noisy scan (as
# scripts/make-ocr-fixtures.sh makes them), and page 1 of seven corpus invoices in seven languages.
pages=$(mktemp -d)
trap 'rm -rf "$pages"; echo "== load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"' EXIT
cargo run --quiet --profile bench -p pagewire-extract --example write-invoice-pdf -- "$pages/invoice.pdf"
corpus=(en-quickparts-oneline de-weber-oneline fr-dupont-boulangerie it-rossi-leader es-levante nl-bakker pt-oliveira)
for dpi in 150 200; do
  pdftoppm -r "$dpi" -gray -png -singlefile "$pages/invoice.pdf" "$pages/invoice-$dpi"
  mv "$pages/invoice-$dpi.png" "$pages/invoice-clean-${dpi}dpi.png"
  size=$(identify -format '%wx%h' "$pages/invoice-clean-${dpi}dpi.png")
  convert "$pages/invoice-clean-${dpi}dpi.png" -background white -rotate 2 -gravity center -extent "$size" \
    -blur 0x0.6 -seed 7 -attenuate 0.6 +noise Gaussian -level 8%,100% -quality 70 "$pages/scan.jpg"
  convert "$pages/scan.jpg" "$pages/invoice-scan-${dpi}dpi.png"
  for doc in "${corpus[@]}"; do
    pdftoppm -r "$dpi" -gray -png -singlefile -f 1 -l 1 "tests/corpus/pdf/$doc.pdf" "$pages/$doc"
    mv "$pages/$doc.png" "$pages/corpus-$doc-${dpi}dpi.png"
  done
done
rm -f "$pages/scan.jpg" "$pages/invoice.pdf"

features=ocr
case " $engines " in *" tract "*) features="ocr tract" ;; esac
cargo bench --quiet -p pagewire-extract --features "$features" --bench ocr_engines --no-run
bench=$(ls -t "$CARGO_TARGET_DIR"/release/deps/ocr_engines-* | grep -v '\.d$' | head -1)
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of" \
  "$(ls "$pages"/*-150dpi.png | wc -l) pages per resolution (2 invoices with 8 fields each, 7 corpus pages)"
for pair in "${pairs[@]}"; do
  name="${pair%%=*}" dir="${pair#*=}"
  for dpi in 150 200; do
    echo "-- $name, $dpi dpi"
    for engine in $engines; do
      ort=(--engine ort --ort-lib "$ort_lib" --threads 1)
      case "$engine" in
        rten) label="rten 0.27:" args=(--engine rten) ;;
        rten-1280-probe) label="rten, 1280 px, skew probe:" args=(--engine rten --skew-probe --detector-max-side 1280) ;;
        tract) label="tract 0.23:" args=(--engine tract) ;;
        ort) label="ONNX Runtime, 1 thread:" args=("${ort[@]}") ;;
        ort-float) label="ORT, float recogniser:" args=("${ort[@]}" --float) ;;
        ort2) label="ONNX Runtime, 2 threads:" args=(--engine ort --ort-lib "$ort_lib" --threads 2) ;;
        ort-1280-probe) label="ORT, 1280 px, skew probe:" args=("${ort[@]}" --skew-probe --detector-max-side 1280) ;;
        ort-1280) label="ORT, 1280 px, no probe:" args=("${ort[@]}" --no-skew-probe --detector-max-side 1280) ;;
        ort-1088-probe) label="ORT, 1088 px, skew probe:" args=("${ort[@]}" --skew-probe --detector-max-side 1088) ;;
        *) echo "unknown engine setting $engine" >&2; exit 1 ;;
      esac
      printf '   %-28s ' "$label"
      "$bench" "${args[@]}" --models "$dir" --pages "$pages" --dpi "$dpi" --rounds "$rounds"
    done
  done
done

echo "== tesseract $(tesseract --version 2>&1 | head -1 | cut -d' ' -f2), OMP_THREAD_LIMIT=1, eng, TSV output"
for dpi in 150 200; do
  out=$(mktemp -d)
  cpu=0 wall=0 peak=0 n=0
  for round in $(seq "$rounds"); do
    for page in "$pages"/*-"${dpi}dpi.png"; do
      stem=$(basename "$page" .png)
      OMP_THREAD_LIMIT=1 /usr/bin/time -o "$out/time" -f "%e %U %S %M" \
        tesseract "$page" "$out/$stem" --dpi "$dpi" tsv >/dev/null 2>&1
      read -r w u s m < "$out/time"
      cpu=$(echo "$cpu + $u + $s" | bc -l) wall=$(echo "$wall + $w" | bc -l) n=$((n + 1))
      [ "$m" -gt "$peak" ] && peak=$m
    done
  done
  printf '   %-28s ' "$dpi dpi:"
  printf 'pages %d x %d; CPU %.3f s/page; wall %.3f s/page; ' "$((n / rounds))" "$rounds" \
    "$(echo "$cpu / $n" | bc -l)" "$(echo "$wall / $n" | bc -l)"
  printf '%s; peak RSS %d MiB\n' "$("$bench" --tesseract "$out" --dpi "$dpi")" "$((peak / 1024))"
  rm -rf "$out"
done

echo "== what each engine adds to a Lambda package"
for arch in x86_64 aarch64; do
  so="${ort_libs[$arch]}"
  version=$(basename "$(dirname "$(dirname "$so")")")
  echo "   ONNX Runtime ${version#onnxruntime-} $arch: libonnxruntime.so $(stat -c %s "$so") B, zipped $(gzip -9c "$so" | wc -c) B"
done
for pair in "${pairs[@]}"; do
  name="${pair%%=*}" dir="${pair#*=}"
  echo "   models $name: det.onnx $(stat -c %s "$dir/det.onnx") B + rec.onnx $(stat -c %s "$dir/rec.onnx") B," \
    "zipped $(cat "$dir/det.onnx" "$dir/rec.onnx" | gzip -9c | wc -c) B"
  if [ -f "$dir/rec.int8.onnx" ]; then
    echo "   models $name: + rec.int8.onnx $(stat -c %s "$dir/rec.int8.onnx") B, zipped $(gzip -9c "$dir/rec.int8.onnx" | wc -c) B"
  fi
done
