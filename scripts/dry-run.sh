#!/usr/bin/env bash
# Bundle both built Worker scripts exactly as `wrangler deploy` would, without uploading, and
# print their sizes: the objects script (wrangler.objects.toml, the Durable Object classes)
# and the gate (wrangler.toml). Proves each config is valid and its build output deployable.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI=true WRANGLER_SEND_METRICS=false

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for config in wrangler.objects.toml wrangler.toml; do
  echo "dry-run: $config"
  npx --no wrangler deploy --dry-run --config "$config" --outdir "$out/${config%.toml}"
  scripts/size.sh "$out/${config%.toml}"
done
