#!/usr/bin/env bash
# Write a dotenv file of FRESH local secrets, in the form wrangler dev reads .dev.vars:
#   PORTCULLIS_KEYS        a key ring with one HS256 key that signs (portcullis keygen --keys)
#   PORTCULLIS_ORIGIN_KEY  the HS256 key of the identity assertion sent to the origin
#   ORIGIN_URL             the origin (argument 2; omitted when not given)
# Usage: scripts/dev-vars.sh FILE [ORIGIN_URL]
# The file is created with mode 0600 and never overwritten: an existing FILE is an error.
# Keys pass through files and shell builtins only, never a command line.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: scripts/dev-vars.sh FILE [ORIGIN_URL]" >&2; exit 2; }
out=$1 origin_url=${2:-}
[ ! -e "$out" ] || { echo "dev-vars: $out exists; not overwriting it" >&2; exit 1; }

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# PORTCULLIS names the CLI binary to use (default: `cargo run`).
portcullis() {
  if [ -n "${PORTCULLIS:-}" ]; then command "$PORTCULLIS" "$@"; else cargo run -q --bin portcullis -- "$@"; fi
}
# One line of JSON, as a dotenv value must be.
compact() { node -e 'const fs = require("fs"); process.stdout.write(JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1], "utf8"))))' "$1"; }

portcullis keygen --keys "$work/keys.json" --kid "dev-$(date -u +%Y%m%d)" 2>/dev/null
portcullis keygen --kid origin > "$work/origin.json"
keys=$(compact "$work/keys.json")
origin_key=$(compact "$work/origin.json")

set -o noclobber # `>` fails rather than replace a file that appeared meanwhile
cat > "$out" <<EOF
# Local secrets for wrangler dev, written by scripts/dev-vars.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ).
# Never commit this file (it is git-ignored). Delete it to get fresh keys; edit it freely:
# make dev never overwrites it. In a deployment these are secrets: wrangler secret put NAME.
PORTCULLIS_KEYS='$keys'
PORTCULLIS_ORIGIN_KEY='$origin_key'
EOF
if [ -n "$origin_url" ]; then echo "ORIGIN_URL=$origin_url" >> "$out"; fi
