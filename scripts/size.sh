#!/usr/bin/env bash
# Print the size of a Worker bundle directory (default: build/), raw and gzip -9.
# Cloudflare's script size limit applies to the gzipped upload (3 MB free, 10 MB paid).
set -euo pipefail
dir="${1:-build}"
shopt -s nullglob globstar

size_of() { # kind, files...
  local kind=$1; shift
  local raw=0 gz=0 f
  for f in "$@"; do
    raw=$(( raw + $(wc -c < "$f") ))
    gz=$(( gz + $(gzip -9 -c "$f" | wc -c) ))
  done
  printf '%-6s %8d bytes raw, %8d bytes gzip\n' "$kind:" "$raw" "$gz"
}

wasm=("$dir"/**/*.wasm)
js=("$dir"/**/*.js "$dir"/**/*.mjs)
[ ${#wasm[@]} -gt 0 ] || { echo "size: no .wasm under $dir" >&2; exit 1; }
size_of wasm "${wasm[@]}"
size_of js "${js[@]}"
size_of total "${wasm[@]}" "${js[@]}"
