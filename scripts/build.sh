#!/usr/bin/env bash
# Build the Worker into build/ with worker-build --release.
# worker-build would otherwise download wasm-bindgen and wasm-opt from GitHub; point it at the
# binaries `make setup` installed (override either variable to use another one).
# Output (worker-build 0.8.7): build/index.js (the esbuild-bundled entry, wrangler.toml `main`),
# build/index_bg.wasm, and build/worker/shim.mjs (a re-export kept for old configs).
set -euo pipefail
cd "$(dirname "$0")/.."

export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"

# The Worker crate lives in crates/portcullis-worker; its output goes to build/ at the root,
# where wrangler.toml's `main` points.
"${CARGO_HOME:-$HOME/.cargo}/bin/worker-build" --release crates/portcullis-worker --out-dir ../../build

# worker-build runs wasm-opt with --debuginfo, which keeps the wasm "name" section (function
# names for stack traces): ~76 KB raw / ~21 KB gzip of the shipped Worker (BENCHMARKS.md,
# section 6). Strip it; PORTCULLIS_KEEP_WASM_NAMES=1 keeps it for debugging a trace.
if [ "${PORTCULLIS_KEEP_WASM_NAMES:-0}" != 1 ] && [ -s build/index_bg.wasm ]; then
  "$WASM_OPT_BIN" --strip-debug \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling \
    build/index_bg.wasm -o build/index_bg.wasm
fi

for f in build/index.js build/index_bg.wasm; do
  [ -s "$f" ] || { echo "build: expected $f, worker-build did not produce it" >&2; exit 1; }
done
