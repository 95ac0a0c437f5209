#!/usr/bin/env bash
# Run the built Worker locally under wrangler dev (workerd), with local KV kept in
# .wrangler/state. Expects `make build` first (wrangler.toml has no [build] command).
# Extra arguments go to wrangler, e.g. `scripts/dev.sh --port 9000`.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

[ -s build/index.js ] || { echo "dev: build/index.js missing; run 'make build'" >&2; exit 1; }

# --test-scheduled exposes /__scheduled to fire the cron handler by hand.
exec npx --no wrangler dev \
  --ip 127.0.0.1 --port "${PORT:-8787}" \
  --persist-to .wrangler/state \
  --test-scheduled \
  "$@"
