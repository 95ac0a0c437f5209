#!/usr/bin/env bash
# Build the floor Worker (bench/floor) into bench/out/floor/ exactly as scripts/build.sh builds
# the gate: worker-build --release with the local wasm-bindgen and wasm-opt, then the name
# section stripped. The throughput bench runs it as the contenders floor and floor-log; with
# the cargo feature first-load, into bench/out/floor-first-load/, as floor-first-load-deployed.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/build.sh bench/floor bench/out/floor
scripts/build.sh bench/floor bench/out/floor-first-load --features first-load
