#!/usr/bin/env bash
# The bench-only build of the gate (cargo feature bench-repeat: bench_repeat.rs's handler, which
# repeats one piece of the per-request work on request) into bench/out/slope-build, built as
# scripts/build.sh builds the gate. bench/js/slope.mjs measures it. Rebuilds the crate's release
# wasm in target/ with the feature, so scripts/build.sh recompiles the crate after it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/build.sh crates/portcullis-worker bench/out/slope-build --features bench-repeat
