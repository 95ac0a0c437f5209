#!/usr/bin/env bash
# Run each fuzz target for FUZZ_SECONDS (default 60), one after another, one process each.
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh path jwks       just these
#   FUZZ_SECONDS=600 scripts/fuzz.sh
# Needs a nightly toolchain and cargo-fuzz (installed here if missing). The working corpus
# grows in fuzz/corpus/<target>/ (git-ignored), starting from the committed fuzz/seeds/<target>/.
# A failing input lands in fuzz/artifacts/<target>/; keep it as a regression test by copying it
# to tests/fuzz-regressions/<target>/ (tests/fuzz_regressions.rs replays that folder).
# Exits non-zero if any target failed; prints executions per target at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(token token_signed path jwks admin)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked

cd fuzz
summary=()
failed=0
for t in "${targets[@]}"; do
  # target/ holds the logs too, and does not exist before the first build in a fresh clone.
  mkdir -p "corpus/$t" target
  log="target/fuzz-$t.log"
  echo "fuzz: $t for ${seconds}s (log: fuzz/$log)"
  status=ok
  if ! cargo +nightly fuzz run --debug-assertions "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      >"$log" 2>&1; then
    status=FAILED
    failed=1
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
  summary+=("$(printf '%-13s %-7s %6ss %12s execs  %s' "$t" "$status" "$seconds" "${execs:-?}" "${cov}")")
done
echo
printf '%s\n' "${summary[@]}"
exit "$failed"
