# Sourced by scripts/test.sh: runs Schemathesis against `pagewire dev` with docs/openapi.yaml. Every response
# must be a non-5xx that conforms to the spec. Needs PAGEWIRE_VENV (schemathesis) and a built `pagewire`.
pagewire_contract_test() {
  local bin="$CARGO_TARGET_DIR/debug/pagewire"
  local st="$PAGEWIRE_VENV/bin/st"
  [ -x "$st" ] || { echo "schemathesis is missing from $PAGEWIRE_VENV" >&2; return 1; }
  [ -x "$bin" ] || { echo "the pagewire binary is missing at $bin" >&2; return 1; }
  local dir log port key pid status=0
  dir=$(mktemp -d)
  log="$dir/dev.log"
  port=$("$PAGEWIRE_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" --data-dir "$dir/data" dev --port "$port" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    key=$(sed -n 's/^api key: //p' "$log")
    [ -n "$key" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$key" ]; then
    echo "pagewire dev did not start:" >&2
    cat "$log" >&2
    kill "$pid" 2>/dev/null || true
    rm -rf "$dir"
    return 1
  fi
  echo "== schemathesis against pagewire dev on 127.0.0.1:$port"
  "$st" run docs/openapi.yaml --url "http://127.0.0.1:$port" -H "x-auth: $key" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "${PAGEWIRE_CONTRACT_EXAMPLES:-20}" --seed 1 --workers 1 \
    --max-time 90 --no-color --warnings off || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  return "$status"
}
