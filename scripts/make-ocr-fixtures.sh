#!/usr/bin/env bash
# Regenerates the committed image fixtures of tests/fixtures/ from the invoice PDF the test suite builds
# (pagewire_extract::fixtures::invoice_pdf). Needs Debian's poppler-utils and imagemagick:
#   apt-get install -y poppler-utils imagemagick
# Tests never run this: they read the committed files.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
out=tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
cargo run --quiet -p pagewire-extract --example write-invoice-pdf -- "$tmp/invoice.pdf"
# The clean renders: 150 dpi, grey, as an office scanner's "document" mode would give.
pdftoppm -r 150 -gray -png -singlefile "$tmp/invoice.pdf" "$tmp/invoice"
convert "$tmp/invoice.png" -strip -define png:compression-level=9 "$out/invoice.png"
pdftoppm -r 150 -gray -jpeg -jpegopt quality=80 -singlefile "$tmp/invoice.pdf" "$tmp/invoice"
convert "$tmp/invoice.jpg" -strip "$out/invoice.jpg"
# The scan: turned by 2 degrees, slightly blurred, with sensor noise and a grey background, saved as a
# lower-quality JPEG. The seed keeps the noise the same on every run.
convert "$tmp/invoice.png" -background white -rotate 2 -gravity center -extent 1240x1754 \
  -blur 0x0.6 -seed 7 -attenuate 0.6 +noise Gaussian -level 8%,100% -strip -quality 70 \
  "$out/invoice-scan.jpg"
ls -l "$out"
