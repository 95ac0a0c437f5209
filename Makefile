# Portcullis: build and test pipeline. Two commands on a fresh machine:
#   make setup   install the toolchain (idempotent; every other target runs it first)
#   make test    everything CI runs (lint first)
# Other targets: make build (the gate into build/, its Durable Objects' script into
# build-objects/), make dev (wrangler dev on 127.0.0.1:8787 in
# front of a demo origin, with tokens and curl lines built from your routes), make check-config
# (wrangler.toml + .dev.vars as the Worker reads them; throwaway secrets when there is no
# .dev.vars), make bench (benchmarks ->
# BENCHMARKS.md + bench/results.json; see scripts/bench.sh), make fuzz (each fuzz target
# FUZZ_SECONDS, default 60), make soak (SOAK_SECONDS, default 60).
# The logic lives in scripts/; this file only orders the steps.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
export WRANGLER_SEND_METRICS := false

.PHONY: setup build lint test dev check-config bench fuzz soak

setup:
	scripts/setup.sh

build: setup
	scripts/build.sh

# Lints as policy: rustfmt, clippy with every warning an error (native and wasm32: the gate,
# the objects build, the bench-only bench-repeat and bench-lean builds, the workers-rs floor
# with its first-load calls, which is wasm32 only), and rustdoc with broken links or
# missing docs an error.
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p portcullis -p portcullis-worker --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p portcullis-worker --target wasm32-unknown-unknown --features objects -- -D warnings
	cargo clippy -p portcullis-worker --target wasm32-unknown-unknown --features bench-repeat -- -D warnings
	cargo clippy -p portcullis-worker --target wasm32-unknown-unknown --features bench-lean -- -D warnings
	cargo clippy -p portcullis-bench-floor --target wasm32-unknown-unknown --features first-load -- -D warnings
	# One crate at a time: the CLI's binary is also named `portcullis`, and documenting it beside
	# the core in one cargo run races on target/doc/portcullis ("Directory not empty").
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -q -p portcullis
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -q -p portcullis-cli
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -q -p portcullis-worker --target wasm32-unknown-unknown --features objects

test: export CI := true
test: setup lint
	cargo test --all-targets
	scripts/install-check.sh
	tests/interop/run.sh
	scripts/check-config.sh
	cargo build -p portcullis --target wasm32-unknown-unknown
	scripts/build.sh
	scripts/dry-run.sh
	node --test tests/e2e/
	node --test tests/browser/

dev: build
	scripts/dev.sh

check-config: setup
	scripts/check-config.sh

bench: export CI := true
bench: build
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh

soak: build
	node scripts/soak.mjs
