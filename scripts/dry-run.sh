#!/usr/bin/env bash
# Bundle the built Worker exactly as `wrangler deploy` would, without uploading, and print
# its size. Proves wrangler.toml is valid and the build output is deployable.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true WRANGLER_SEND_METRICS=false

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx --no wrangler deploy --dry-run --outdir "$out"
scripts/size.sh "$out"
