//! Replays every fuzz seed (fuzz/seeds/<target>/) and every input a fuzzer ever failed on
//! (tests/fuzz-regressions/<target>/) through the very checks the fuzz targets run
//! (fuzz/src/lib.rs), so `cargo test` keeps each fixed crash fixed without cargo-fuzz.
//!
//! To keep a new crash: copy the artifact from fuzz/artifacts/<target>/ into
//! tests/fuzz-regressions/<target>/ under a name that says what it found.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "../../../fuzz/src/lib.rs"]
mod checks;

use std::fs;
use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let list = |dir: PathBuf| -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .map(|e| e.expect("readable directory entry").path())
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        files
    };
    let seeds = list(root.join("fuzz/seeds").join(target));
    assert!(
        !seeds.is_empty(),
        "no seeds for {target}: the replay would test nothing"
    );
    let regressions = list(root.join("tests/fuzz-regressions").join(target));
    seeds.into_iter().chain(regressions).collect()
}

/// Runs `check` on every input of `target`, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    for file in files {
        let data = fs::read(&file).expect("readable input");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{} fails the {target} check",
            file.display()
        );
    }
}

#[test]
fn token_inputs_verify_without_failure() {
    replay("token", checks::token);
}

#[test]
fn signed_token_inputs_verify_without_failure() {
    replay("token_signed", checks::token_signed);
}

#[test]
fn path_inputs_normalize_and_route_without_failure() {
    replay("path", checks::path);
}

#[test]
fn jwks_inputs_load_without_failure() {
    replay("jwks", checks::jwks);
}

#[test]
fn admin_inputs_parse_without_failure() {
    replay("admin", checks::admin);
}

#[test]
fn seeds_reach_acceptance_not_only_rejection() {
    // The valid seeds must really pass, or the fuzzer starts from rejections only.
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("fuzz/seeds");
    for kid in ["a", "b", "c"] {
        let token = fs::read_to_string(root.join(format!("token/valid-{kid}"))).unwrap();
        let verified =
            portcullis::jwt::verify::verify(&token, checks::ring(), &checks::policy(), checks::NOW);
        assert!(verified.is_ok(), "seed valid-{kid}: {verified:?}");
    }
    assert!(checks::sign_raw_matches_sign_compact());
}
