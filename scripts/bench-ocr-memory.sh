#!/usr/bin/env bash
# Memory of `pagewire dev` reading OCR pages, for BENCHMARKS.md ("OCR memory"): starts the README's
# `pagewire dev` (no OCR variable: the shipped models on the shipped engine), submits the PNG invoice N
# times (default 50), one job at a time, waits for each, and prints the resident memory (VmRSS, and the
# peak VmHWM) of the dev process and of its read workers after every 10 pages. Not part of CI.
#   bash scripts/bench-ocr-memory.sh [pages]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
pages="${1:-50}"
. scripts/lib/dev-server.sh
# The README's command builds the debug binary (rten and image are optimised in it too: Cargo.toml).
cargo build --quiet --locked -p pagewire-cli --bin pagewire
unset PAGEWIRE_OCR_MODEL_DIR PAGEWIRE_ONNXRUNTIME_LIB
trap pagewire_dev_stop EXIT
pagewire_dev_start
log="$PAGEWIRE_DEV_DIR/dev.log"
url="http://127.0.0.1:$PAGEWIRE_DEV_PORT"
template=$(sed -n 's/^sample template: //p' "$log")
echo "== debug build; $(grep '^OCR ' "$log")"
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

memory() {
  local pid="$1" rss hwm
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  echo "$((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
}

report() {
  local done="$1" workers total
  workers=$(pgrep -P "$PAGEWIRE_DEV_PID" || true)
  total=$(awk '/^VmRSS/ {print $2}' "/proc/$PAGEWIRE_DEV_PID/status")
  local line="after $done pages: dev process $(memory "$PAGEWIRE_DEV_PID")"
  for w in $workers; do
    line="$line; read worker $w $(memory "$w")"
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$w/status")))
  done
  echo "$line; together $((total / 1024)) MiB"
}

report 0
started=$(date +%s)
for i in $(seq 1 "$pages"); do
  job=$(curl -sf -H "x-auth: $PAGEWIRE_DEV_KEY" -F "template_id=$template" \
    -F "actual_image=@tests/fixtures/invoice.png" "$url/process-job" | jq -r .job_id)
  while :; do
    status=$(curl -sf -H "x-auth: $PAGEWIRE_DEV_KEY" "$url/job-status?job_id=$job" | jq -r .status)
    [ "$status" = SUCCESS ] || [ "$status" = FAILED ] && break
    sleep 0.2
  done
  [ "$status" = SUCCESS ] || { echo "page $i: job $job $status" >&2; exit 1; }
  [ $((i % 10)) -eq 0 ] && report "$i"
done
echo "== $pages pages in $(($(date +%s) - started)) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
