# Sourced by scripts/test.sh: builds the dashboard and runs its end-to-end browser tests. Installs what is
# missing: Debian's chromium (headless, driven by playwright-core; nothing is downloaded by Playwright) and
# the pinned npm packages of dashboard/package-lock.json. Needs node and npm, a built `pagewire` and
# scripts/lib/dev-server.sh.

pagewire_dashboard_deps() {
  if [ ! -x "${PAGEWIRE_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "== installing chromium (Debian package) for the dashboard tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  (cd dashboard && npm ci --no-audit --no-fund --loglevel=error)
}

# Runs the dashboard's unit tests (dashboard/test), rebuilds dashboard/dist and fails when it differs from what is committed: the bundle is committed, so
# that `pagewire dev` on a fresh clone serves the dashboard with no npm step, and this keeps it fresh.
pagewire_dashboard_build() {
  (cd dashboard && npm run --silent test && npm run --silent build)
  if ! git diff --quiet -- dashboard/dist || [ -n "$(git ls-files --others --exclude-standard dashboard/dist)" ]; then
    echo "error: dashboard/dist is not the build of dashboard/src: commit the rebuilt bundle" >&2
    git status --short -- dashboard/dist >&2
    return 1
  fi
}

# Starts `pagewire dev` (temporary data dir, free port, webhooks to loopback http allowed) serving
# dashboard/dist, runs `npm run e2e` (dashboard/e2e/dashboard.test.mjs, studio.test.mjs, endpoint-events.test.mjs) against it, and
# stops it.
pagewire_dashboard_e2e() {
  local shots="${PAGEWIRE_SCREENSHOT_DIR:-$PWD/dashboard/e2e/screenshots}"
  local status=0
  # The studio's tests preview on every click, far faster than a person: the per-minute page budget is raised.
  pagewire_dev_start --dashboard-dir "$PWD/dashboard/dist" --allow-http-webhooks --allow-loopback-webhooks \
    --preview-pages-per-minute 1000
  local data="$PAGEWIRE_DEV_DIR/data"
  # A ZIP of two copies of the sample invoice: one document, status and result per entry.
  python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for name in ("march.pdf", "april.pdf"):
        z.write(sys.argv[1], name)' "$data/sample-invoice.pdf" "$PAGEWIRE_DEV_DIR/invoices.zip"
  rm -rf "$shots"
  echo "== dashboard end-to-end tests (headless chromium) against pagewire dev on 127.0.0.1:$PAGEWIRE_DEV_PORT"
  (cd dashboard && PAGEWIRE_URL="http://127.0.0.1:$PAGEWIRE_DEV_PORT" PAGEWIRE_KEY="$PAGEWIRE_DEV_KEY" \
    PAGEWIRE_SAMPLE_PDF="$data/sample-invoice.pdf" PAGEWIRE_SAMPLE_ZIP="$PAGEWIRE_DEV_DIR/invoices.zip" \
    PAGEWIRE_SAMPLE_PNG="$PWD/../tests/fixtures/invoice.png" SCREENSHOT_DIR="$shots" \
    npm run --silent e2e) || status=$?
  pagewire_dev_stop
  echo "== dashboard screenshots: $shots"
  return "$status"
}
