#!/usr/bin/env bash
# The objects script (wrangler.objects.toml) must run with the gate's settings: its Durable
# Objects read the gate's configuration (key ring, token lifetimes, audience, issuer, feed
# window). Usage: scripts/same-settings.sh GATE_CONFIG OBJECTS_CONFIG DEV_VARS
# Checks both with `portcullis check-config --json` (each with DEV_VARS overlaid, as wrangler
# dev binds one .dev.vars to both) and fails, naming them, when any setting differs.
# Secrets set with `wrangler secret put` are not visible here: put them on both scripts.
# PORTCULLIS names the CLI binary to use (default: `cargo run`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 3 ] || { echo "usage: $0 GATE_CONFIG OBJECTS_CONFIG DEV_VARS" >&2; exit 2; }
gate=$1 objects=$2 dev_vars=$3

portcullis() {
  if [ -n "${PORTCULLIS:-}" ]; then command "$PORTCULLIS" "$@"
  else cargo run -q --manifest-path "$root/Cargo.toml" --bin portcullis -- "$@"; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# --json exits 1 on an invalid config; the comparison reports it.
portcullis check-config --json --wrangler "$gate" --dev-vars "$dev_vars" >"$work/gate.json" || true
portcullis check-config --json --wrangler "$objects" --dev-vars "$dev_vars" >"$work/objects.json" || true
node - "$work/gate.json" "$work/objects.json" "$objects" <<'JS'
const { readFileSync } = require("node:fs");
const [gate, objects] = process.argv.slice(2, 4).map((f) => JSON.parse(readFileSync(f, "utf8")));
const file = process.argv[4];
if (!objects.ok) {
  console.error(`same-settings: ${file}: ${objects.errors.join("; ")}`);
  process.exit(1);
}
// Settings as the CLI parsed them (non-secret values only; secrets as set or not).
const names = [...new Set([...Object.keys(gate.settings), ...Object.keys(objects.settings)])].sort();
const differ = names.filter((n) => JSON.stringify(gate.settings[n]) !== JSON.stringify(objects.settings[n]));
if (differ.length > 0) {
  console.error(`same-settings: ${file} must carry the gate's settings (its Durable Objects read them); these differ: ${differ.join(", ")}`);
  process.exit(1);
}
console.log(`same-settings: ${file}: the gate's ${names.length} settings`);
JS
