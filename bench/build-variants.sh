#!/usr/bin/env bash
# Build the Worker and the wasm bench (verify, the core's request path) under several
# release-profile variants, for the size/speed table (bench/js/size-variants.mjs measures
# them; BENCHMARKS.md section 6). Slow: every variant rebuilds
# its changed crates and relinks (3-13 min each on 2 shared cores; the first one also builds
# every dependency into its own target dir). Output: bench/out/variants/<name>/
#   gate.wasm    worker-build --release --no-opt output (wasm-opt is applied per level later)
#   bench/       wasm-bindgen --target web output of bench/wasm, also before wasm-opt
# Variants are `--config` overrides of [profile.release]; the committed Cargo.toml is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
# A target dir of its own: a profile change rebuilds every dependency, and sharing the main
# one would make the next `make build` rebuild everything again.
export CARGO_TARGET_DIR="${VARIANTS_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}-variants}"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
out=bench/out/variants
config_of() { # variant name -> cargo --config arguments, one per line. Every variant sets
  # the levels it is about, so it means the same whatever Cargo.toml currently says.
  local all pkg core="" deps=""
  case "$1" in
    o3) all=3 pkg=3 ;;
    os) all='"s"' pkg='"s"' ;;
    oz) all='"z"' pkg='"z"' ;;
    os-sha3) all='"s"' pkg=3 ;;
    oz-sha3) all='"z"' pkg=3 ;;
    # The core's own opt-level (issue 12): everything else "z", sha2/hmac 3 (as shipped before).
    core-z) all='"z"' pkg=3 core='"z"' ;;
    core-s) all='"z"' pkg=3 core='"s"' ;;
    core-2) all='"z"' pkg=3 core=2 ;;
    core-3) all='"z"' pkg=3 core=3 ;;
    # The same, with the libraries the core's hot path calls (JSON, base64) at 3 too.
    core-3-deps3) all='"z"' pkg=3 core=3 deps=3 ;;
    core-2-deps2) all='"z"' pkg=3 core=2 deps=2 ;;
    # The core at "z", only those libraries at 3.
    deps3) all='"z"' pkg=3 core='"z"' deps=3 ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
  printf '%s\n' --config "profile.release.opt-level=$all" \
    --config "profile.release.package.sha2.opt-level=$pkg" --config "profile.release.package.hmac.opt-level=$pkg"
  [ -z "$core" ] || printf '%s\n' --config "profile.release.package.portcullis.opt-level=$core"
  [ -z "$deps" ] || for d in serde_json serde_core base64 zmij itoa memchr; do
    printf '%s\n' --config "profile.release.package.$d.opt-level=$deps"
  done
}
for name in ${VARIANTS:-core-z core-3 core-2 core-s deps3}; do
  mapfile -t cfg < <(config_of "$name")
  dir="$out/$name"
  if [ -s "$dir/gate.wasm" ] && [ -s "$dir/bench/portcullis_bench_wasm_bg.wasm" ]; then
    echo "==> variant $name: already built"; continue
  fi
  echo "==> variant $name: ${cfg[*]:-(Cargo.toml as is)}"
  mkdir -p "$dir"
  t0=$(date +%s)
  "${CARGO_HOME:-$HOME/.cargo}/bin/worker-build" --release --no-opt -d "$PWD/$dir/gate" crates/portcullis-worker "${cfg[@]}"
  cp "$dir/gate/index_bg.wasm" "$dir/gate.wasm"
  cargo build -q -p portcullis-bench-wasm --release --target wasm32-unknown-unknown "${cfg[@]}"
  "$WASM_BINDGEN_BIN" --target web --out-dir "$dir/bench" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/portcullis_bench_wasm.wasm"
  echo "$(( $(date +%s) - t0 ))" > "$dir/build_seconds"
done
