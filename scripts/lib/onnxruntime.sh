# ONNX Runtime's library for the OCR engine, fetched once by pinned hash into the user's cache (the one
# `pagewire dev` fills) by models/onnxruntime/fetch.sh. Sourced by scripts/test.sh (which .ci/run runs)
# and the benches.
#
# pagewire_onnxruntime: the library for this machine; exports PAGEWIRE_ONNXRUNTIME_LIB.
pagewire_onnxruntime() {
  local root library
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  library=$(bash "$root/models/onnxruntime/fetch.sh") || return 1
  export PAGEWIRE_ONNXRUNTIME_LIB="$library"
}
