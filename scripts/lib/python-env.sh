# Sourced by scripts/test.sh: a virtualenv with the pinned test tools of scripts/requirements-test.txt.
# Exports PAGEWIRE_VENV (its root). Rebuilt only when the requirements file changes.
pagewire_python_env() {
  local requirements="scripts/requirements-test.txt"
  local hash
  hash=$(sha256sum "$requirements" | cut -c1-16)
  PAGEWIRE_VENV="${PAGEWIRE_VENV_ROOT:-$HOME/.cache/pagewire-venvs}/test-$hash"
  if [ ! -x "$PAGEWIRE_VENV/bin/python" ] || [ ! -f "$PAGEWIRE_VENV/.complete" ]; then
    echo "== building the test virtualenv at $PAGEWIRE_VENV"
    rm -rf "$PAGEWIRE_VENV"
    python3 -m venv "$PAGEWIRE_VENV"
    "$PAGEWIRE_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    touch "$PAGEWIRE_VENV/.complete"
  fi
  export PAGEWIRE_VENV
}
