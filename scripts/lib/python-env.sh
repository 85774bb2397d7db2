# Sourced by scripts/test.sh and the CI scripts: virtualenvs with pinned Python tools, cached under
# ~/.cache and keyed by a hash of their requirements file, so a change there builds a fresh one.

# pagewire_venv NAME REQUIREMENTS: builds (once) the virtualenv NAME-<hash> and prints its root.
pagewire_venv() {
  local name="$1" requirements="$2"
  local hash venv
  hash=$(sha256sum "$requirements" | cut -c1-16)
  venv="${PAGEWIRE_VENV_ROOT:-$HOME/.cache/pagewire-venvs}/$name-$hash"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "== building the $name virtualenv at $venv (from $requirements)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    touch "$venv/.complete"
  fi
  printf '%s\n' "$venv"
}

# The test tools of scripts/requirements-test.txt; exports PAGEWIRE_VENV (its root).
pagewire_python_env() {
  PAGEWIRE_VENV=$(pagewire_venv test scripts/requirements-test.txt)
  export PAGEWIRE_VENV
}
