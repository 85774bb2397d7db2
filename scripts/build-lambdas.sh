#!/usr/bin/env bash
# Builds every Lambda function (functions/*) once, in release mode, for arm64 (aarch64-unknown-linux-gnu:
# provided.al2023 on Graviton), with cargo-lambda and the zig linker from a pinned virtualenv: no Docker and
# no system cross toolchain. Then reports each stripped `bootstrap` binary's size against the 8 MB aim.
#
# The Rust standard library for aarch64 comes from rustup. Where rustup cannot fetch it (a machine with no
# route to the Rust distribution server), the functions are built for x86_64 instead, so the build is still
# checked, and the output says loudly that arm64 was not built.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pagewire-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

. scripts/lib/python-env.sh
venv=$(pagewire_venv build scripts/requirements-build.txt)
# cargo-lambda, and `python3 -m ziglang` (the zig of the ziglang wheel), which cargo-lambda falls back to.
export PATH="$venv/bin:$PATH"

arch_flag=--arm64
target=aarch64-unknown-linux-gnu
if ! rustup target list --installed | grep -qx "$target"; then
  if ! rustup target add "$target"; then
    echo "!! ARM64 NOT BUILT: rustup could not install the $target standard library." >&2
    echo "!! Building for x86_64 instead; install it (rustup target add $target) to build what the template deploys." >&2
    arch_flag=--x86-64
    target=x86_64-unknown-linux-gnu
  fi
fi

packages=()
for manifest in functions/*/Cargo.toml; do
  packages+=("$(basename "$(dirname "$manifest")")")
done

echo "== cargo lambda build --release $arch_flag (${#packages[@]} functions: ${packages[*]})"
started=$(date +%s)
package_flags=()
for package in "${packages[@]}"; do
  package_flags+=(-p "$package")
done
cargo lambda build --release "$arch_flag" --locked "${package_flags[@]}"
echo "   built in $(($(date +%s) - started)) s"

# Every function binary is a package's name (see infra/template.yaml, Metadata.BuildProperties.Binary).
aim=$((8 * 1024 * 1024))
over=0
echo "== binary sizes ($target, stripped)"
for package in "${packages[@]}"; do
  binary="$CARGO_TARGET_DIR/lambda/$package/bootstrap"
  if [ ! -f "$binary" ]; then
    echo "no binary at $binary after the build" >&2
    exit 1
  fi
  bytes=$(stat -c %s "$binary")
  note=""
  if [ "$bytes" -gt "$aim" ]; then
    note="  over the 8 MB aim"
    over=$((over + 1))
  fi
  awk -v p="$package" -v b="$bytes" -v n="$note" 'BEGIN { printf "   %-20s %9d bytes  %6.2f MiB%s\n", p, b, b / 1048576, n }'
done
if [ "$over" -gt 0 ]; then
  echo "   $over function(s) over the 8 MB aim (BENCHMARKS.md tracks it)"
fi
