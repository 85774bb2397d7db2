#!/usr/bin/env bash
# Fetches ONNX Runtime's library (the OCR engine) for ARCH (x86_64 or aarch64; this machine's by default)
# from the `onnxruntime` wheel on PyPI pinned in wheels.txt beside this script: downloads it once, checks
# its sha256, unpacks libonnxruntime.so with its LICENSE and ThirdPartyNotices.txt into the user's cache
# (${XDG_CACHE_HOME:-~/.cache}/pagewire/onnxruntime-VERSION/ARCH) and prints the library's path.
#   bash models/onnxruntime/fetch.sh [ARCH]
# The one fetcher: `pagewire dev` runs it on first start, scripts/lib/onnxruntime.sh (tests, benches) and
# the OCR layer's build (models/Makefile) too. Self-contained, since SAM builds the layer from a copy of
# models/ alone.
set -euo pipefail
pins="$(cd "$(dirname "$0")" && pwd)/wheels.txt"

cache_dir() {
  local arch="$1" version
  version=$(grep -v '^#' "$pins" | awk -v a="$arch" '$2 == a { print $1 }')
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/pagewire/onnxruntime-$version/$arch"
}

fetch_into() {
  local arch="$1" dir="$2" pin version sha url tmp
  [ -f "$dir/.complete" ] && return 0
  pin=$(grep -v '^#' "$pins" | awk -v a="$arch" '$2 == a')
  if [ -z "$pin" ]; then
    echo "error: no ONNX Runtime wheel pinned for $arch in $pins" >&2
    return 1
  fi
  read -r version _ sha url <<<"$pin"
  tmp=$(mktemp -d)
  echo "== fetching ONNX Runtime $version ($arch) once, from PyPI ($(basename "$url")), into $dir" >&2
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$tmp/wheel.zip" "$url" || { rm -rf "$tmp"; return 1; }
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "$url" "$tmp/wheel.zip" || { rm -rf "$tmp"; return 1; }
  fi
  if ! echo "$sha  $tmp/wheel.zip" | sha256sum --quiet --strict -c - >/dev/null 2>&1; then
    echo "error: the ONNX Runtime wheel from $url does not have the pinned sha256 $sha" >&2
    rm -rf "$tmp"
    return 1
  fi
  # Only the library and its licence texts; the wheel's Python bindings are not used.
  python3 - "$tmp/wheel.zip" "$tmp/out" <<'PY' || { rm -rf "$tmp"; return 1; }
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if name.startswith("onnxruntime/capi/libonnxruntime.so."):
            target = "libonnxruntime.so"
        elif name in ("onnxruntime/LICENSE", "onnxruntime/ThirdPartyNotices.txt"):
            target = base
        else:
            continue
        with z.open(name) as src, open(os.path.join(out, target), "wb") as dst:
            dst.write(src.read())
PY
  rm -rf "$dir" && mkdir -p "$dir"
  mv "$tmp"/out/* "$dir/"
  echo "ONNX Runtime $version ($arch), libonnxruntime.so from $(basename "$url") (sha256 $sha)" > "$dir/SOURCE"
  rm -rf "$tmp"
  touch "$dir/.complete"
}

arch="${1:-$(uname -m)}"
[ "$arch" = arm64 ] && arch=aarch64
dir=$(cache_dir "$arch")
fetch_into "$arch" "$dir"
echo "$dir/libonnxruntime.so"
