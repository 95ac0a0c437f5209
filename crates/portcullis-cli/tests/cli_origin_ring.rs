//! `PORTCULLIS_ORIGIN_KEY` as a ring: rotated with the same `keygen` / `keys promote` /
//! `keys retire` steps as `PORTCULLIS_KEYS`, and checked by `check-config` at each step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use support::{stdout_ok, Scratch, BIN};

const WRANGLER: &str = r#"
name = "gate"
main = "build/index.js"
compatibility_date = "2026-04-26"

[vars]
ORIGIN_URL = "https://origin.example"

[[vars.PORTCULLIS_ROUTES]]
match = "GET /orders/*"
scopes = ["orders:read"]
"#;

/// A scratch directory holding [`WRANGLER`].
fn project() -> Scratch {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    dir
}

/// The CLI run in a project directory, and `check-config` on it.
trait Project {
    fn run(&self, args: &[&str]) -> Output;
    fn check_with_origin(&self, origin: &Path) -> Output;
}

impl Project for Scratch {
    /// Runs the CLI in this directory.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .current_dir(&self.0)
            .args(args)
            .output()
            .expect("the binary runs")
    }

    /// Writes `.dev.vars` with a token ring and `origin` (a file's text) as the origin key,
    /// then runs `check-config`.
    fn check_with_origin(&self, origin: &Path) -> Output {
        let tokens = self.path("tokens.json");
        if !tokens.exists() {
            assert!(self
                .run(&["keygen", "--keys", "tokens.json", "--kid", "t1"])
                .status
                .success());
        }
        let one_line = |p: &Path| {
            let v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap();
            v.to_string()
        };
        self.write(
            ".dev.vars",
            &format!(
                "PORTCULLIS_KEYS='{}'\nPORTCULLIS_ORIGIN_KEY='{}'\n",
                one_line(&tokens),
                one_line(origin)
            ),
        );
        self.run(&["check-config", "--wrangler", "wrangler.toml"])
    }
}

#[test]
fn the_origin_key_ring_rotates_with_keygen_promote_retire_and_check_config_follows() {
    let dir = project();
    let ring = dir.path("origin.json");
    let step = |args: &[&str]| {
        let out = dir.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    step(&["keygen", "--keys", "origin.json", "--kid", "origin-1"]);
    let text = stdout_ok(&dir.check_with_origin(&ring));
    assert!(
        text.contains("origin key: 1 key; \"origin-1\" signs assertions"),
        "{text}"
    );

    // 1. the new key joins verify-only: origins learn it, the gate still signs with the old.
    step(&["keygen", "--keys", "origin.json", "--kid", "origin-2"]);
    let text = stdout_ok(&dir.check_with_origin(&ring));
    assert!(
        text.contains("origin key: 2 keys; \"origin-1\" signs assertions"),
        "{text}"
    );

    // 2. promoted: the gate signs with the new key.
    step(&["keys", "promote", "--keys", "origin.json", "origin-2"]);
    let text = stdout_ok(&dir.check_with_origin(&ring));
    assert!(
        text.contains("origin key: 2 keys; \"origin-2\" signs assertions"),
        "{text}"
    );

    // 3. the old key retires once no assertion it signed can be alive (60 s).
    step(&["keys", "retire", "--keys", "origin.json", "origin-1"]);
    let text = stdout_ok(&dir.check_with_origin(&ring));
    assert!(
        text.contains("origin key: 1 key; \"origin-2\" signs assertions"),
        "{text}"
    );
    let secret = serde_json::from_str::<serde_json::Value>(&fs::read_to_string(&ring).unwrap())
        .unwrap()["keys"][0]["k"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!text.contains(&secret), "a key leaked:\n{text}");
}

#[test]
fn a_single_origin_jwk_still_works_as_before_rings() {
    let dir = project();
    let out = dir.run(&["keygen", "--kid", "origin"]);
    assert!(out.status.success());
    fs::write(dir.path("origin.jwk"), &out.stdout).unwrap();
    let text = stdout_ok(&dir.check_with_origin(&dir.path("origin.jwk")));
    assert!(
        text.contains("origin key: 1 key; \"origin\" signs assertions"),
        "{text}"
    );
}

#[test]
fn an_origin_ring_where_no_key_signs_is_a_config_error_naming_the_setting() {
    let dir = project();
    let ring = dir.path("origin.json");
    fs::write(
        &ring,
        serde_json::json!({"keys": [
            {"kty":"oct","kid":"a","alg":"HS256","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","key_ops":["verify"]},
            {"kty":"oct","kid":"b","alg":"HS256","k":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","key_ops":["verify"]}
        ]})
        .to_string(),
    )
    .unwrap();
    let out = dir.check_with_origin(&ring);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("portcullis: PORTCULLIS_ORIGIN_KEY: no key signs"),
        "{err}"
    );
    assert!(!err.contains("AAAAAAAA"), "{err}");
}
