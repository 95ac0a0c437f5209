#!/usr/bin/env bash
# The bench-only builds of the gate that bench/js/fixed-rate.mjs compares with the shipped one
# (cargo features bench-noprivate, bench-nosignal, bench-lean; never shipped), each into
# bench/out/tail/<name> (under the worktree: workerd refuses module paths above it), built as
# scripts/build.sh builds the gate. Then the gate itself again, so target/'s release wasm (the
# one `make bench` profiles by crate) is the shipped gate's.
#   bench/tail-variants-build.sh [noprivate nosignal lean]
set -euo pipefail
cd "$(dirname "$0")/.."
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(noprivate nosignal lean)
for v in "${variants[@]}"; do
  scripts/build.sh crates/portcullis-worker "bench/out/tail/$v" --features "bench-$v"
done
scripts/build.sh crates/portcullis-worker build
