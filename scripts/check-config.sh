#!/usr/bin/env bash
# `make check-config`: check the gate's configuration with `portcullis check-config`, the way
# the Worker reads it. Usage: scripts/check-config.sh [DIR] (DIR holds wrangler.toml; default
# the repository).
#   - DIR/.dev.vars exists (e.g. after `make dev`): wrangler.toml + .dev.vars, exactly what
#     wrangler dev binds; a removed secret or a bad value there is an error.
#   - no .dev.vars (CI, a fresh clone): the secrets are generated afresh into a throwaway file
#     (nothing else: wrangler.toml's own settings are what is checked), so no real secret is
#     needed. Deployed secrets (`wrangler secret put`) are never visible here.
# Then, when DIR/wrangler.objects.toml exists (the Durable Objects' script, which reads the
# gate's configuration): its settings must be the gate's (scripts/same-settings.sh).
# PORTCULLIS names the CLI binary to use (default: `cargo run`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:-$root}" && pwd)

portcullis() {
  if [ -n "${PORTCULLIS:-}" ]; then command "$PORTCULLIS" "$@"
  else cargo run -q --manifest-path "$root/Cargo.toml" --bin portcullis -- "$@"; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -e "$dir/.dev.vars" ]; then
  dev_vars=$dir/.dev.vars
else
  "$root/scripts/dev-vars.sh" "$work/dev.vars"
  dev_vars=$work/dev.vars
  echo "check-config: no $dir/.dev.vars; checking wrangler.toml with throwaway secrets" >&2
fi
portcullis check-config --wrangler "$dir/wrangler.toml" --dev-vars "$dev_vars"

[ ! -e "$dir/wrangler.objects.toml" ] \
  || "$root/scripts/same-settings.sh" "$dir/wrangler.toml" "$dir/wrangler.objects.toml" "$dev_vars"
