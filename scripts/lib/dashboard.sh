# Sourced by scripts/test.sh: builds the dashboard and runs its end-to-end browser tests. Installs what is
# missing: Debian's chromium (headless, driven by playwright-core; nothing is downloaded by Playwright) and
# the pinned npm packages of dashboard/package-lock.json. Needs node and npm, and a built `pagewire`.

pagewire_dashboard_deps() {
  if [ ! -x "${PAGEWIRE_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "== installing chromium (Debian package) for the dashboard tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  (cd dashboard && npm ci --no-audit --no-fund --loglevel=error)
}

pagewire_dashboard_build() {
  (cd dashboard && npm run --silent build)
}

# Starts `pagewire dev` (temporary data dir, free port, webhooks to loopback http allowed) serving
# dashboard/dist, runs dashboard/e2e/*.test.mjs against it, and stops it.
pagewire_dashboard_e2e() {
  local bin="$CARGO_TARGET_DIR/debug/pagewire"
  [ -x "$bin" ] || { echo "the pagewire binary is missing at $bin" >&2; return 1; }
  local shots="${PAGEWIRE_SCREENSHOT_DIR:-$PWD/dashboard/e2e/screenshots}"
  local dir log port key pid status=0
  dir=$(mktemp -d)
  log="$dir/dev.log"
  port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  "$bin" --data-dir "$dir/data" dev --port "$port" --dashboard-dir "$PWD/dashboard/dist" \
    --allow-http-webhooks --allow-loopback-webhooks >"$log" 2>&1 &
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
  # A ZIP of two copies of the sample invoice: one document, status and result per entry.
  python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for name in ("march.pdf", "april.pdf"):
        z.write(sys.argv[1], name)' "$dir/data/sample-invoice.pdf" "$dir/invoices.zip"
  rm -rf "$shots"
  echo "== dashboard end-to-end tests (headless chromium) against pagewire dev on 127.0.0.1:$port"
  (cd dashboard && PAGEWIRE_URL="http://127.0.0.1:$port" PAGEWIRE_KEY="$key" \
    PAGEWIRE_SAMPLE_PDF="$dir/data/sample-invoice.pdf" PAGEWIRE_SAMPLE_ZIP="$dir/invoices.zip" \
    SCREENSHOT_DIR="$shots" \
    node --test --test-concurrency=1 --test-timeout=150000 e2e/dashboard.test.mjs) || status=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo "== dashboard screenshots: $shots"
  return "$status"
}
