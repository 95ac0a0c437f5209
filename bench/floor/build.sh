#!/usr/bin/env bash
# Build the floor Worker (bench/floor) into bench/out/floor/ exactly as scripts/build.sh builds
# the gate: worker-build --release with the local wasm-bindgen and wasm-opt, then the name
# section stripped. The throughput bench runs it as the contenders floor and floor-log.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
out=bench/out/floor
"${CARGO_HOME:-$HOME/.cargo}/bin/worker-build" --release bench/floor --out-dir ../../$out
"$WASM_OPT_BIN" --strip-debug \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
  --enable-multivalue --enable-reference-types --enable-exception-handling \
  $out/index_bg.wasm -o $out/index_bg.wasm
for f in $out/index.js $out/index_bg.wasm; do
  [ -s "$f" ] || { echo "floor build: expected $f" >&2; exit 1; }
done
