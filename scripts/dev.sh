#!/usr/bin/env bash
# `make dev`: the built Worker under wrangler dev (workerd) on 127.0.0.1:8787, in front of a
# demo origin on 127.0.0.1:8788 that echoes what it receives, with tokens and curl lines
# printed to try it. Expects `make build` first (wrangler.toml has no [build] command).
# Every step that can take more than a moment prints a progress line first.
#
#   1. Builds the portcullis CLI (cargo build; about a minute the first time).
#   2. First run only: writes .dev.vars (mode 0600, git-ignored) with a fresh key ring, a
#      fresh origin key and ORIGIN_URL pointing at the demo origin. An existing .dev.vars is
#      never touched: delete it to get fresh keys.
#   3. portcullis check-config (wrangler.toml + .dev.vars): a bad config stops here, with
#      the reason, instead of as a 500 from the running gate.
#   4. Starts the demo origin (only when ORIGIN_URL is http://127.0.0.1:$ORIGIN_PORT) and
#      ONE wrangler dev session running both Worker scripts (-c wrangler.toml -c
#      wrangler.objects.toml: the gate, then the Durable Objects' script it binds by
#      script_name; local KV and object storage in .wrangler/state next to wrangler.toml;
#      --test-scheduled exposes /__scheduled), and mints tokens with the configured audience
#      and issuer.
#   5. Once the gate answers, prints the banner (scripts/dev-banner.mjs): curl lines built
#      from the configured routes, the console URL, how to mint more tokens.
# Settings are read through `portcullis check-config --json` and tokens minted with
# `portcullis mint --dev-vars`: the CLI is the one dotenv reader, and no secret passes
# through this script's command lines.
# Ctrl-C (or SIGTERM/SIGHUP) stops all of it: wrangler, workerd and the demo origin.
#
# PORT (default 8787) and ORIGIN_PORT (default 8788) move the two servers; WRANGLER_CONFIG
# (default wrangler.toml) picks another config, whose directory then holds .dev.vars,
# .wrangler/state and wrangler.objects.toml (OBJECTS_CONFIG moves that one); extra arguments
# go to wrangler dev, e.g. `scripts/dev.sh --log-level debug`.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

PORT=${PORT:-8787}
ORIGIN_PORT=${ORIGIN_PORT:-8788}
HOST=127.0.0.1
GATE=http://$HOST:$PORT
WRANGLER_CONFIG=${WRANGLER_CONFIG:-wrangler.toml}
config_dir=$(dirname "$WRANGLER_CONFIG")
OBJECTS_CONFIG=${OBJECTS_CONFIG:-$config_dir/wrangler.objects.toml}
DEV_VARS=$config_dir/.dev.vars
STATE=$config_dir/.wrangler/state

started=$SECONDS
say() { printf 'dev: %s\n' "$*"; }
# A step that may take a while: announced before, timed after.
step() { say "$* ..."; step_start=$SECONDS; }
done_step() { say "  done in $((SECONDS - step_start))s"; }
die() { printf 'dev: %s\n' "$*" >&2; exit 1; }
listening() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

[ -s build/index.js ] || die "build/index.js missing; run 'make build'"
[ -s build-objects/index.js ] || die "build-objects/index.js missing; run 'make build'"
[ -e "$OBJECTS_CONFIG" ] || die "$OBJECTS_CONFIG missing: the gate's Durable Objects run from it (see wrangler.objects.toml)"

# 1. The CLI, built once and then run directly (cargo run would re-check the build per call).
step "building the portcullis CLI (cargo build --bin portcullis; about a minute the first time)"
cargo build -q --bin portcullis || die "the CLI did not build"
done_step
PORTCULLIS_BIN=${CARGO_TARGET_DIR:-target}/debug/portcullis
# An absolute CARGO_TARGET_DIR stays as it is; a relative one is taken from here.
case $PORTCULLIS_BIN in /*) ;; *) PORTCULLIS_BIN=$PWD/$PORTCULLIS_BIN ;; esac
portcullis() { "$PORTCULLIS_BIN" "$@"; }
export PORTCULLIS=$PORTCULLIS_BIN # for scripts/dev-vars.sh

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

# 2. Local secrets, once.
if [ ! -e "$DEV_VARS" ]; then
  scripts/dev-vars.sh "$DEV_VARS" "http://$HOST:$ORIGIN_PORT"
  say "wrote $DEV_VARS (mode 0600, git-ignored): a fresh key ring, origin key and ORIGIN_URL"
fi

# 3. The configuration, as the Worker will read it.
portcullis check-config --wrangler "$WRANGLER_CONFIG" --dev-vars "$DEV_VARS" \
  || die "fix the configuration above ($WRANGLER_CONFIG [vars] or $DEV_VARS), then run make dev again"
# The objects script reads the same configuration: its settings must be the gate's.
PORTCULLIS=$PORTCULLIS_BIN scripts/same-settings.sh "$WRANGLER_CONFIG" "$OBJECTS_CONFIG" "$DEV_VARS" \
  || die "make $OBJECTS_CONFIG's [vars] the same as $WRANGLER_CONFIG's, then run make dev again"
checked=$(portcullis check-config --json --wrangler "$WRANGLER_CONFIG" --dev-vars "$DEV_VARS" 2>/dev/null)

# A field of the checked configuration (`portcullis check-config --json`), or nothing.
config() {
  node -e 'const v = JSON.parse(process.argv[1]).config[process.argv[2]]; process.stdout.write(v == null ? "" : String(v))' \
    "$checked" "$1"
}

# 4. The servers. Either failing to start ends the script (and stops the other).
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
step "starting wrangler dev on $GATE (local state in $STATE)"
set -m
# The first --config is the gate, the one listening on $PORT; the second runs beside it.
npx --no wrangler dev \
  --config "$WRANGLER_CONFIG" --config "$OBJECTS_CONFIG" \
  --ip "$HOST" --port "$PORT" \
  --persist-to "$STATE" \
  --test-scheduled \
  "$@" </dev/null &
set +m
wrangler_pgid=$!
pgids+=("$wrangler_pgid")

# Tokens, minted while wrangler starts, with the key ring from .dev.vars (the CLI reads it
# from the file) and the audience and issuer the gate requires, if any; never longer-lived
# than the gate accepts. TOKEN carries every scope a protected rule needs.
claims=()
aud=$(config audience)
iss=$(config issuer)
[ -z "$aud" ] || claims+=(--aud "$aud")
[ -z "$iss" ] || claims+=(--iss "$iss")
max_ttl=$(config max_ttl_s)
ttl_s=$((max_ttl < 900 ? max_ttl : 900))
ttl=${ttl_s}s
scopes=$(node -e 'const c = JSON.parse(process.argv[1]).config; process.stdout.write([...new Set(c.rules.flatMap((r) => r.scopes))].join(" "))' "$checked")
mint() { portcullis mint --dev-vars "$DEV_VARS" "${claims[@]}" "$@"; }
alice=(--sub alice)
[ -z "$scopes" ] || alice+=(--scope "$scopes")
EXPIRED_TOKEN=$(mint "${alice[@]}" --ttl 1s)
expired_at=$(date +%s)
TOKEN=$(mint "${alice[@]}" --ttl "$ttl")
OTHER_TOKEN=$(mint --sub bob --ttl "$ttl")
ADMIN_TOKEN=$(mint --sub admin --scope portcullis:admin --ttl "$ttl")

# Wait until the gate answers (any HTTP status), or wrangler gives up.
for i in $(seq 1 240); do
  kill -0 "$wrangler_pgid" 2>/dev/null || die "wrangler dev exited; see its output above"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$GATE/" || true)
  [ "$code" = 000 ] || break
  [ $((i % 10)) -ne 0 ] || say "  still waiting for wrangler dev ($((SECONDS - step_start))s)"
  sleep 0.5
done
[ "$code" != 000 ] || die "the gate did not answer on $GATE within two minutes"
done_step
# The expired token lived one second; make sure that second is over.
while [ $(($(date +%s) - expired_at)) -lt 2 ]; do sleep 0.5; done

# 5. The banner, from the configuration the gate runs with.
printf '%s' "$checked" | GATE=$GATE DEMO=$demo TTL_S=$ttl_s DEV_VARS=$DEV_VARS \
  TOKEN=$TOKEN OTHER_TOKEN=$OTHER_TOKEN EXPIRED_TOKEN=$EXPIRED_TOKEN ADMIN_TOKEN=$ADMIN_TOKEN \
  TOKEN_SCOPES=$scopes MINT="$(type -P portcullis >/dev/null && echo portcullis || echo 'cargo run -q --bin portcullis --')" \
  node scripts/dev-banner.mjs
say "ready in $((SECONDS - started))s"

# Until Ctrl-C, or until a server stops on its own.
wait -n "${pgids[@]}" || true
die "a server stopped; stopping the rest"
