# ONNX Runtime's library for the OCR engine, fetched by pinned hash (scripts/onnxruntime.txt). Sourced by
# scripts/test.sh, .ci/run, the benches and the Lambda layer build; `pagewire dev` runs
# scripts/fetch-onnxruntime.sh, which uses it.
#
# pagewire_onnxruntime_fetch ARCH DIR: puts libonnxruntime.so of ARCH (x86_64, aarch64) with its LICENSE
# and ThirdPartyNotices.txt into DIR, from the pinned wheel, once (DIR/.complete marks a finished fetch).
#
# pagewire_onnxruntime: the library for this machine in the user's cache (the one `pagewire dev` fills);
# exports PAGEWIRE_ONNXRUNTIME_LIB.
_pagewire_onnxruntime_pins="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/onnxruntime.txt"

pagewire_onnxruntime_cache() {
  local arch="$1" version
  version=$(grep -v '^#' "$_pagewire_onnxruntime_pins" | awk -v a="$arch" '$2 == a { print $1 }')
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/pagewire/onnxruntime-$version/$arch"
}

pagewire_onnxruntime_fetch() {
  local arch="$1" dir="$2" pin version sha url tmp
  [ -f "$dir/.complete" ] && return 0
  pin=$(grep -v '^#' "$_pagewire_onnxruntime_pins" | awk -v a="$arch" '$2 == a')
  if [ -z "$pin" ]; then
    echo "error: no ONNX Runtime wheel pinned for $arch in $_pagewire_onnxruntime_pins" >&2
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

pagewire_onnxruntime() {
  local arch dir
  arch=$(uname -m)
  [ "$arch" = arm64 ] && arch=aarch64
  dir=$(pagewire_onnxruntime_cache "$arch")
  pagewire_onnxruntime_fetch "$arch" "$dir" || return 1
  export PAGEWIRE_ONNXRUNTIME_LIB="$dir/libonnxruntime.so"
}
