#!/usr/bin/env bash
# Interop: tokens minted by PyJWT and npm `jose` verify with `portcullis verify`, tokens from
# `portcullis mint` verify with both, and tampered tokens are rejected on every side, for
# HS256, HS384 and HS512.
#
# Usage: tests/interop/run.sh [--jose-dir DIR]
#
#   --jose-dir DIR   a directory whose node_modules holds `jose` (default: the repository
#                    root, where package.json installs it). It is added to NODE_PATH; a
#                    NODE_PATH already set is kept after it.
#
# Needs cargo, python3 and node. Installs PyJWT with pip if `import jwt` fails.
# Exits non-zero on any failure; ends with `interop: N passed, M failed`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jose_dir="$root"

while [ $# -gt 0 ]; do
  case "$1" in
    --jose-dir) jose_dir="${2:?--jose-dir needs a directory}"; shift 2 ;;
    --jose-dir=*) jose_dir="${1#--jose-dir=}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
jose_dir="$(cd "$jose_dir" && pwd)"
export NODE_PATH="$jose_dir/node_modules${NODE_PATH:+:$NODE_PATH}"

# The binary: build it, then ask cargo where its target directory is (CARGO_TARGET_DIR,
# .cargo/config or the default all work).
(cd "$root" && cargo build --quiet --bin portcullis)
target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/debug/portcullis"
[ -x "$bin" ] || { echo "run.sh: no binary at $bin" >&2; exit 2; }

if ! python3 -c 'import jwt' 2>/dev/null; then
  python3 -m pip install --quiet 'PyJWT>=2.8'
fi
if ! node -e "require.resolve('jose')" 2>/dev/null; then
  echo "run.sh: npm 'jose' not found in $jose_dir/node_modules or NODE_PATH;" \
       "run 'npm install' in the repository or pass --jose-dir DIR" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-interop.XXXXXX")"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
tally() { # tally <log>: count PASS/FAIL lines, echo them
  local log="$1"
  cat "$log"
  passed=$((passed + $(grep -c '^PASS ' "$log" || true)))
  failed=$((failed + $(grep -c '^FAIL ' "$log" || true)))
}

for alg in HS256 HS384 HS512; do
  keys="$work/keys-$alg.json"
  "$bin" keygen --keys "$keys" --kid "interop-$alg" --alg "$alg" 2>/dev/null
  for lib in pyjwt jose; do
    log="$work/$lib-$alg.log"
    status=0
    case "$lib" in
      pyjwt) python3 "$here/pyjwt_interop.py" "$bin" "$keys" "$alg" >"$log" 2>&1 || status=$? ;;
      jose) node "$here/jose_interop.mjs" "$bin" "$keys" "$alg" >"$log" 2>&1 || status=$? ;;
    esac
    tally "$log"
    # A script that died without reporting a FAIL line still counts as a failure.
    if [ "$status" -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
      echo "FAIL $lib $alg: exited with status $status"
      failed=$((failed + 1))
    fi
  done
done

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
