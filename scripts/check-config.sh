#!/usr/bin/env bash
# Check wrangler.toml's gate configuration with `portcullis check-config`, as CI can: the
# secrets (PORTCULLIS_KEYS, PORTCULLIS_ORIGIN_KEY) are generated afresh into a throwaway
# .dev.vars-like file (nothing else: wrangler.toml's own ORIGIN_URL and limits are what is
# checked), so this needs no real secret and never reads your own .dev.vars.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/dev-vars.sh "$work/dev.vars"
cargo run -q --bin portcullis -- check-config --wrangler wrangler.toml --dev-vars "$work/dev.vars"
