#!/usr/bin/env bash
# Regenerates the extraction corpus of tests/corpus/ (PDFs, low-dpi PNG scans, phone-photo JPEGs and
# manifest.json) with scripts/corpus/generate.py. The generated files are committed, so the tests never
# need this; run it after changing the generator, then check the diff of tests/corpus/manifest.json.
# Needs python3 and the DejaVu fonts (Debian's fonts-dejavu-core, installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/python-env.sh

if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  echo "== installing fonts-dejavu-core (the generator's TrueType font)" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y fonts-dejavu-core >&2
fi

venv=$(pagewire_venv corpus scripts/corpus/requirements.txt)
"$venv/bin/python" scripts/corpus/generate.py
du -sh tests/corpus
