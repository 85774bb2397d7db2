# Sourced by scripts/test.sh: starts the moto AWS emulator (through moto_serve.py, which serialises
# requests as DynamoDB serialises conflicting transactions) on a free 127.0.0.1 port and points the
# standard AWS SDK variables at it. The caller's EXIT trap stops it (pagewire_stop_moto).
pagewire_start_moto() {
  local port
  port=$("$PAGEWIRE_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  MOTO_LOG="${TMPDIR:-/tmp}/pagewire-moto-$port.log"
  "$PAGEWIRE_VENV/bin/python" scripts/lib/moto_serve.py 127.0.0.1 "$port" >"$MOTO_LOG" 2>&1 &
  MOTO_PID=$!
  local i
  for i in $(seq 1 100); do
    if "$PAGEWIRE_VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
      break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto exited at start:" >&2
      cat "$MOTO_LOG" >&2
      return 1
    fi
    sleep 0.1
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  echo "== moto on $AWS_ENDPOINT_URL (pid $MOTO_PID, log $MOTO_LOG)"
}

pagewire_stop_moto() {
  if [ -n "${MOTO_PID:-}" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
}
