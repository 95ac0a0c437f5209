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
# gate's configuration): its settings must be the gate's, setting for setting, or this fails
# naming the ones that differ. Its secrets are not visible here: put them on both scripts.
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

objects=$dir/wrangler.objects.toml
[ -e "$objects" ] || exit 0
# --json exits 1 on an invalid config; the comparison below reports it.
portcullis check-config --json --wrangler "$dir/wrangler.toml" --dev-vars "$dev_vars" >"$work/gate.json" || true
portcullis check-config --json --wrangler "$objects" --dev-vars "$dev_vars" >"$work/objects.json" || true
node - "$work/gate.json" "$work/objects.json" "$objects" <<'JS'
const { readFileSync } = require("node:fs");
const [gate, objects] = process.argv.slice(2, 4).map((f) => JSON.parse(readFileSync(f, "utf8")));
const file = process.argv[4];
if (!objects.ok) {
  console.error(`check-config: ${file}: ${objects.errors.join("; ")}`);
  process.exit(1);
}
// Settings are compared as the CLI parsed them (non-secret values only).
const names = [...new Set([...Object.keys(gate.settings), ...Object.keys(objects.settings)])].sort();
const differ = names.filter((n) => JSON.stringify(gate.settings[n]) !== JSON.stringify(objects.settings[n]));
if (differ.length > 0) {
  console.error(`check-config: ${file} must carry the gate's settings (the Durable Objects read them); these differ: ${differ.join(", ")}`);
  process.exit(1);
}
console.log(`check-config: ${file}: the same ${names.length} settings as the gate`);
JS
