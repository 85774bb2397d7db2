# Sourced by scripts/test.sh: runs Schemathesis against `pagewire dev` with docs/openapi.yaml. Every response
# must be a non-5xx that conforms to the spec. Needs PAGEWIRE_VENV (schemathesis), a built `pagewire` and
# scripts/lib/dev-server.sh.
pagewire_contract_test() {
  local st="$PAGEWIRE_VENV/bin/st"
  [ -x "$st" ] || { echo "schemathesis is missing from $PAGEWIRE_VENV" >&2; return 1; }
  local status=0
  pagewire_dev_start
  echo "== schemathesis against pagewire dev on 127.0.0.1:$PAGEWIRE_DEV_PORT"
  "$st" run docs/openapi.yaml --url "http://127.0.0.1:$PAGEWIRE_DEV_PORT" -H "x-auth: $PAGEWIRE_DEV_KEY" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "${PAGEWIRE_CONTRACT_EXAMPLES:-20}" --seed 1 --workers 1 \
    --max-time 90 --no-color --warnings off || status=$?
  pagewire_dev_stop
  return "$status"
}
