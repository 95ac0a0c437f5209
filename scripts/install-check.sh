#!/usr/bin/env bash
# `make test`'s check of the README's install line: `cargo install --path crates/portcullis-cli`
# into a throwaway --root, then the installed `portcullis` run by that name (as the README's
# CLI section does): --version, --help, and check-config on this repository's wrangler.toml.
# It reuses target/ and installs the debug build that `cargo test` has just built, so it
# takes seconds; users install the release build (the README's line, without --debug).
set -euo pipefail
cd "$(dirname "$0")/.."

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cargo install -q --locked --debug --path crates/portcullis-cli \
  --root "$root" --target-dir "${CARGO_TARGET_DIR:-target}"

export PATH="$root/bin:$PATH"
[ "$(type -P portcullis)" = "$root/bin/portcullis" ] \
  || { echo "install-check: portcullis is not on PATH from $root/bin" >&2; exit 1; }
portcullis --version | grep -q '^portcullis [0-9]' \
  || { echo "install-check: portcullis --version says no version" >&2; exit 1; }
portcullis --help | grep -q 'check-config' \
  || { echo "install-check: portcullis --help lists no check-config" >&2; exit 1; }
PORTCULLIS=portcullis scripts/check-config.sh >/dev/null
echo "install-check: cargo install --path crates/portcullis-cli gives a working \`portcullis\` ($(portcullis --version))"
