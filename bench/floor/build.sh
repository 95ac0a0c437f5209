#!/usr/bin/env bash
# Build the floor Worker (bench/floor) into bench/out/floor/ exactly as scripts/build.sh builds
# the gate: worker-build --release with the local wasm-bindgen and wasm-opt, then the name
# section stripped. The throughput bench runs it as the contenders floor and floor-log.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/build.sh bench/floor bench/out/floor
