#!/usr/bin/env bash
# Install everything the build and the tests need. Idempotent: each step checks first, so a
# second run takes about a second. Works offline-ish (only package registries are needed):
# nothing here downloads from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
WORKER_BUILD_VERSION=0.8.7

step() { printf '==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Prerequisites we do not install ourselves: a Rust toolchain via rustup, and Node >= 20.3
# (wrangler 4.86 needs it; Debian's nodejs is too old).
for tool in rustup cargo node npm; do
  have "$tool" || { echo "setup: '$tool' not found; install rustup and Node >= 20.3 first" >&2; exit 1; }
done
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' \
  || { echo "setup: Node $(node --version) is too old; wrangler 4.86 needs >= 20.3" >&2; exit 1; }

# 1. The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. worker-build, pinned (its output layout and shim change between releases).
installed_version() { # prints the version a binary reports, or nothing
  [ -x "$1" ] && "$1" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true
}
if [ "$(installed_version "$CARGO_BIN/worker-build")" != "$WORKER_BUILD_VERSION" ]; then
  step "cargo install worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi

# 3. wasm-bindgen CLI: exactly the library version in Cargo.lock, or the generated glue and
#    the wasm disagree. No --locked: one of its locked deps is missing from crates.io.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$bindgen_version" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
if [ "$(installed_version "$CARGO_BIN/wasm-bindgen")" != "$bindgen_version" ]; then
  step "cargo install wasm-bindgen-cli $bindgen_version (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# 4. npm packages (wrangler, miniflare, wasm-opt, playwright-core, jose), exactly as locked.
#    `npm ci` wipes node_modules, so run it only when package-lock.json changed.
stamp=node_modules/.portcullis-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# 5. Chromium for browser tests (driven by playwright-core; `playwright install` can't be used
#    here, it downloads from a CDN).
if [ ! -x /usr/bin/chromium ]; then
  step "apt-get install chromium"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# 6. Go and golang-jwt for the Go examples (examples/go), from Debian: there is no Go module
#    proxy here. Best effort: where they cannot install, tests/e2e/examples.test.mjs reports the
#    Go cases as SKIPPED with the reason, and the Node and Python examples still run.
if ! have go || [ ! -d /usr/share/gocode/src/github.com/golang-jwt/jwt ]; then
  step "apt-get install golang golang-github-golang-jwt-jwt-dev (Go examples)"
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive \
         apt-get install -y golang golang-github-golang-jwt-jwt-dev; }; then
    echo "setup: Go could not be installed; the Go examples will be skipped (and say so)" >&2
  fi
fi

step "setup ok"
