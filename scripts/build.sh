#!/usr/bin/env bash
# Build the two Worker scripts with worker-build --release:
#   build-objects/  the objects script (wrangler.objects.toml): the Durable Object classes
#                   GrantObject, ApiKeyStore and RevocationWriter (cargo feature `objects`);
#   build/          the gate (wrangler.toml), which every request loads: none of their code,
#                   it reaches them through bindings with script_name = "portcullis-objects".
# worker-build would otherwise download wasm-bindgen and wasm-opt from GitHub; point it at the
# binaries `make setup` installed (override either variable to use another one).
# Output of each (worker-build 0.8.7): index.js (the esbuild-bundled entry, the config's
# `main`), index_bg.wasm, and worker/shim.mjs (a re-export kept for old configs).
# `scripts/build.sh CRATE OUT_DIR [cargo options]` builds one Worker the same way (the bench's
# floor and slope builds).
# The gate is built last, so target/wasm32-unknown-unknown/release/portcullis_worker.wasm (the
# unstripped wasm `make bench` profiles by crate) is the gate's.
set -euo pipefail
cd "$(dirname "$0")/.."

export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"

# The crate (two levels below the root, as worker-build's --out-dir is relative to it), the
# output directory, then extra cargo options.
build() {
  local crate=$1 dir=$2; shift 2
  "${CARGO_HOME:-$HOME/.cargo}/bin/worker-build" --release "$crate" --out-dir "../../$dir" "$@"

  # worker-build runs wasm-opt with --debuginfo, which keeps the wasm "name" section (function
  # names for stack traces): ~76 KB raw / ~21 KB gzip of the shipped Worker (BENCHMARKS.md,
  # section 6). Strip it; PORTCULLIS_KEEP_WASM_NAMES=1 keeps it for debugging a trace.
  if [ "${PORTCULLIS_KEEP_WASM_NAMES:-0}" != 1 ] && [ -s "$dir/index_bg.wasm" ]; then
    "$WASM_OPT_BIN" --strip-debug \
      --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
      --enable-multivalue --enable-reference-types --enable-exception-handling \
      "$dir/index_bg.wasm" -o "$dir/index_bg.wasm"
  fi

  for f in "$dir/index.js" "$dir/index_bg.wasm"; do
    [ -s "$f" ] || { echo "build: expected $f, worker-build did not produce it" >&2; exit 1; }
  done
}

if [ $# -gt 0 ]; then
  build "$@"
  exit 0
fi
build crates/portcullis-worker build-objects --features objects
build crates/portcullis-worker build
