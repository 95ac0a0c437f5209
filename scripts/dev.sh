#!/usr/bin/env bash
# `make dev`: the built Worker under wrangler dev (workerd) on 127.0.0.1:8787, in front of a
# demo origin on 127.0.0.1:8788 that echoes what it receives, with tokens and curl lines
# printed to try it. Expects `make build` first (wrangler.toml has no [build] command).
#
#   1. First run only: writes .dev.vars (mode 0600, git-ignored) with a fresh key ring, a
#      fresh origin key and ORIGIN_URL pointing at the demo origin. An existing .dev.vars is
#      never touched: delete it to get fresh keys.
#   2. portcullis check-config (wrangler.toml + .dev.vars): a bad config stops here, with
#      the reason, instead of as a 503 from the running gate.
#   3. Starts the demo origin (only when ORIGIN_URL is http://127.0.0.1:$ORIGIN_PORT) and
#      wrangler dev (local KV in .wrangler/state; --test-scheduled exposes /__scheduled).
#   4. Once the gate answers, prints tokens minted with the .dev.vars key ring and curl lines.
# Settings are read through `portcullis check-config --json` and tokens minted with
# `portcullis mint --dev-vars`: the CLI is the one dotenv reader, and no secret passes
# through this script.
# Ctrl-C (or SIGTERM/SIGHUP) stops all of it: wrangler, workerd and the demo origin.
#
# PORT (default 8787) and ORIGIN_PORT (default 8788) move the two servers; extra arguments
# go to wrangler dev, e.g. `scripts/dev.sh --log-level debug`.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

PORT=${PORT:-8787}
ORIGIN_PORT=${ORIGIN_PORT:-8788}
HOST=127.0.0.1
GATE=http://$HOST:$PORT

say() { printf 'dev: %s\n' "$*"; }
die() { printf 'dev: %s\n' "$*" >&2; exit 1; }
portcullis() { cargo run -q --bin portcullis -- "$@"; }
listening() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

[ -s build/index.js ] || die "build/index.js missing; run 'make build'"

# Each server runs in its own process group (started with job control on), so stopping it
# reaches every process it started (wrangler's workerd too), and nothing is left behind.
pgids=()
stop() {
  trap - EXIT INT TERM HUP
  local pgid tries
  for pgid in "${pgids[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
  for pgid in "${pgids[@]}"; do
    for tries in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.3
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
}
trap stop EXIT
trap 'echo; say stopping; exit 130' INT
trap 'exit 143' TERM HUP

# 1. Local secrets, once.
if [ ! -e .dev.vars ]; then
  scripts/dev-vars.sh .dev.vars "http://$HOST:$ORIGIN_PORT"
  say "wrote .dev.vars (mode 0600, git-ignored): a fresh key ring, origin key and ORIGIN_URL"
fi

# 2. The configuration, as the Worker will read it.
portcullis check-config --wrangler wrangler.toml --dev-vars .dev.vars \
  || die "fix the configuration above (wrangler.toml [vars] or .dev.vars), then run make dev again"
checked=$(portcullis check-config --json --wrangler wrangler.toml --dev-vars .dev.vars 2>/dev/null)

# A field of the checked configuration (`portcullis check-config --json`), or nothing.
config() {
  node -e 'const v = JSON.parse(process.argv[1]).config[process.argv[2]]; process.stdout.write(v == null ? "" : String(v))' \
    "$checked" "$1"
}

# 3. The servers. Either failing to start ends the script (and stops the other).
for port in "$PORT" "$ORIGIN_PORT"; do
  ! listening "$port" || die "something already listens on $HOST:$port; stop it, or set PORT / ORIGIN_PORT"
done
origin_url=$(config origin)
if [ "${origin_url%/}" = "http://$HOST:$ORIGIN_PORT" ]; then
  set -m
  node scripts/demo-origin.mjs "$ORIGIN_PORT" </dev/null &
  set +m
  pgids+=($!)
  demo=yes
else
  say "ORIGIN_URL in .dev.vars is not http://$HOST:$ORIGIN_PORT: no demo origin started"
  demo=no
fi
# stdin from /dev/null: wrangler's hotkeys would stop a background process group (SIGTTIN).
set -m
npx --no wrangler dev \
  --ip "$HOST" --port "$PORT" \
  --persist-to .wrangler/state \
  --test-scheduled \
  "$@" </dev/null &
set +m
wrangler_pgid=$!
pgids+=("$wrangler_pgid")

# 4. Tokens, minted now with the key ring from .dev.vars (the CLI reads it from the file).
# A minted token must carry the audience and issuer the gate requires, if any.
claims=()
aud=$(config audience)
iss=$(config issuer)
[ -z "$aud" ] || claims+=(--aud "$aud")
[ -z "$iss" ] || claims+=(--iss "$iss")
mint() { portcullis mint --dev-vars .dev.vars "${claims[@]}" "$@"; }
expired=$(mint --sub alice --scope orders:read --ttl 1s)
expired_at=$(date +%s)
token=$(mint --sub alice --scope orders:read --ttl 15m)
other_token=$(mint --sub bob --scope profile:read --ttl 15m)
admin_token=$(mint --sub admin --scope portcullis:admin --ttl 15m)

# Wait until the gate answers (any HTTP status), or wrangler gives up.
for _ in $(seq 1 120); do
  kill -0 "$wrangler_pgid" 2>/dev/null || die "wrangler dev exited; see its output above"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$GATE/health" || true)
  [ "$code" = 000 ] || break
  sleep 0.5
done
[ "$code" != 000 ] || die "the gate did not answer on $GATE within a minute"
# The expired token lived one second; make sure that second is over.
while [ $(($(date +%s) - expired_at)) -lt 2 ]; do sleep 0.5; done

cat <<EOF

================================================================================
Portcullis is running at $GATE (GET /health answered $code)
$([ "$demo" = yes ] && echo "in front of the demo origin at $origin_url, which echoes what it receives." || echo "in front of ORIGIN_URL=$origin_url.")
Tokens (key ring from .dev.vars; alice's and bob's live 15 minutes):

export TOKEN='$token'
export OTHER_TOKEN='$other_token'
export EXPIRED_TOKEN='$expired'
export ADMIN_TOKEN='$admin_token'

# 200: allowed (route GET /orders/* needs orders:read). The origin sees X-Portcullis-Subject,
#      -Scopes, -Token-Id and -Assertion, and no Authorization header.
curl -i -H "Authorization: Bearer \$TOKEN" $GATE/orders/1
# 403: a valid token without the scope (bob has profile:read)
curl -i -H "Authorization: Bearer \$OTHER_TOKEN" $GATE/orders/1
# 401: no token
curl -i $GATE/orders/1
# 401: expired token
curl -i -H "Authorization: Bearer \$EXPIRED_TOKEN" $GATE/orders/1
# 200: public route, no token needed
curl -i $GATE/health
# Admin API (scope portcullis:admin): the key ids in use
curl -s -H "Authorization: Bearer \$ADMIN_TOKEN" $GATE/_portcullis/keys
# Fire the cron handler (rebuilds the revocation snapshot)
curl -s $GATE/__scheduled

More tokens: cargo run -q --bin portcullis -- mint --dev-vars .dev.vars --sub NAME --scope '...'
(the key ring is PORTCULLIS_KEYS in .dev.vars). Ctrl-C stops the gate and the demo origin.
================================================================================

EOF

# Until Ctrl-C, or until a server stops on its own.
wait -n "${pgids[@]}" || true
die "a server stopped; stopping the rest"
