# Sourced by scripts/test.sh: starts a throwaway `pagewire dev` (temporary data directory, free 127.0.0.1
# port) for the contract and dashboard checks, and stops it. Needs a built `pagewire` in $CARGO_TARGET_DIR.
#
#   pagewire_dev_start [extra dev flags...]   sets PAGEWIRE_DEV_DIR, PAGEWIRE_DEV_PORT, PAGEWIRE_DEV_KEY
#   pagewire_dev_stop                         stops it and removes its directory (safe to call twice)
#
# test.sh's EXIT trap calls pagewire_dev_stop too, so an interrupted run leaves no server behind.

pagewire_dev_start() {
  local bin="$CARGO_TARGET_DIR/debug/pagewire"
  [ -x "$bin" ] || { echo "the pagewire binary is missing at $bin" >&2; return 1; }
  PAGEWIRE_DEV_DIR=$(mktemp -d)
  local log="$PAGEWIRE_DEV_DIR/dev.log"
  PAGEWIRE_DEV_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" --data-dir "$PAGEWIRE_DEV_DIR/data" dev --port "$PAGEWIRE_DEV_PORT" "$@" >"$log" 2>&1 &
  PAGEWIRE_DEV_PID=$!
  PAGEWIRE_DEV_KEY=
  local _
  for _ in $(seq 1 100); do
    PAGEWIRE_DEV_KEY=$(sed -n 's/^api key: //p' "$log")
    [ -n "$PAGEWIRE_DEV_KEY" ] && break
    kill -0 "$PAGEWIRE_DEV_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$PAGEWIRE_DEV_KEY" ]; then
    echo "pagewire dev did not start:" >&2
    cat "$log" >&2
    pagewire_dev_stop
    return 1
  fi
}

pagewire_dev_stop() {
  if [ -n "${PAGEWIRE_DEV_PID:-}" ]; then
    kill "$PAGEWIRE_DEV_PID" 2>/dev/null || true
    wait "$PAGEWIRE_DEV_PID" 2>/dev/null || true
    PAGEWIRE_DEV_PID=
  fi
  if [ -n "${PAGEWIRE_DEV_DIR:-}" ]; then
    rm -rf "$PAGEWIRE_DEV_DIR"
    PAGEWIRE_DEV_DIR=
  fi
}
