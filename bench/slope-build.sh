#!/usr/bin/env bash
# The bench-only build of the gate (cargo feature bench-repeat: bench_repeat.rs's handler, which
# repeats one piece of the per-request work on request) into bench/out/slope-build, as
# scripts/build.sh builds the gate. bench/js/slope.mjs measures it. Rebuilds the crate's release
# wasm in target/ with the feature, so scripts/build.sh recompiles the crate after it.
set -euo pipefail
cd "$(dirname "$0")/.."
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
out=bench/out/slope-build
"${CARGO_HOME:-$HOME/.cargo}/bin/worker-build" --release crates/portcullis-worker --out-dir "../../$out" --features bench-repeat
"$WASM_OPT_BIN" --strip-debug \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling \
  "$out/index_bg.wasm" -o "$out/index_bg.wasm"
for f in "$out/index.js" "$out/index_bg.wasm"; do
  [ -s "$f" ] || { echo "slope build: expected $f" >&2; exit 1; }
done
