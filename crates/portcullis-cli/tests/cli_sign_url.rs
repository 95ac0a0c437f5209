//! `portcullis sign-url` and `portcullis verify-url`, run as a user would: a minted link
//! verifies for its path and method only, every format round-trips, and nothing secret is
//! printed in an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Command, Output};

use serde_json::Value;
use support::{stdout_ok, Scratch, BIN};

const CF_KEY: &str = "cloudflare";
const AKAMAI_KEY: &str = "7a5c2be9f42a1f32cd889d1cf775f05d0cd162bd2871d00fe705ab28c9bba5a5";

/// The CLI with the test keys in its environment and, when given, a legacy Akamai MAC.
fn run_with(akamai_algorithm: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("PORTCULLIS_AKAMAI_SALT")
        .env_remove("PORTCULLIS_AKAMAI_ALGORITHM")
        .env("PORTCULLIS_CLOUDFLARE_HMAC_KEY", CF_KEY)
        .env("PORTCULLIS_AKAMAI_KEY", AKAMAI_KEY);
    if let Some(algorithm) = akamai_algorithm {
        command.env("PORTCULLIS_AKAMAI_ALGORITHM", algorithm);
    }
    command.output().expect("the binary runs")
}

fn run(args: &[&str]) -> Output {
    run_with(None, args)
}

fn ok(out: &Output) -> String {
    stdout_ok(out).trim().to_owned()
}

/// Exit 1, one `portcullis: rejected: … (<code>)` line; returns the code.
fn rejected(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("portcullis: rejected: "), "{err}");
    assert!(!err.contains(CF_KEY) && !err.contains(AKAMAI_KEY), "{err}");
    err.trim_end()
        .rsplit_once('(')
        .unwrap()
        .1
        .trim_end_matches(')')
        .to_owned()
}

/// A key set with one signing key (`k1`), in a scratch file.
struct Ring {
    dir: Scratch,
    /// The JWK Set's text.
    text: String,
}

impl Ring {
    fn new() -> Ring {
        let dir = Scratch::new();
        let file = dir.path("ring.json");
        ok(&run(&[
            "keygen",
            "--kid",
            "k1",
            "--keys",
            file.to_str().unwrap(),
        ]));
        let text = std::fs::read_to_string(&file).unwrap();
        Ring { dir, text }
    }

    /// `portcullis <command> --keys <this ring> <args>`.
    fn run(&self, command: &str, args: &[&str]) -> Output {
        let file = self.dir.path("ring.json");
        let head = [command, "--keys", file.to_str().unwrap()];
        run(&[&head[..], args].concat())
    }
}

#[test]
fn a_signed_url_verifies_for_its_path_and_method_only() {
    let ring = Ring::new();
    let verify = |args: &[&str]| ring.run("verify-url", args);
    let url = ok(&ring.run(
        "sign-url",
        &["--ttl", "10m", "https://cdn.example/media/a.mp4?w=1"],
    ));
    assert!(
        url.starts_with("https://cdn.example/media/a.mp4?w=1&pc_path=/media/a.mp4&pc_exp="),
        "{url}"
    );
    assert!(url.contains("&pc_kid=k1&pc_sig="), "{url}");
    let report: Value = serde_json::from_str(&ok(&verify(&[&url]))).unwrap();
    assert_eq!(report["kid"], "k1");
    assert_eq!(report["path"], "/media/a.mp4");
    assert_eq!(report["forwarded_query"], "w=1");
    let left = report["expires_in_s"].as_i64().unwrap();
    assert!((590..=600).contains(&left), "{left}");
    ok(&verify(&["--method", "HEAD", &url]));
    assert_eq!(
        rejected(&verify(&["--method", "PUT", &url])),
        "signed_for_another_method"
    );
    let other = url.replace("/media/a.mp4?", "/media/b.mp4?");
    assert_eq!(rejected(&verify(&[&other])), "signed_for_another_path");
    assert_eq!(
        rejected(&verify(&[&url.replace("w=1", "w=2")])),
        "signature_mismatch"
    );
    let exp = report["exp"].as_i64().unwrap().to_string();
    assert_eq!(
        rejected(&verify(&["--now", &exp, &url])),
        "signature_expired"
    );
    assert_eq!(
        rejected(&verify(&["--ttl", "5m", &url])),
        "signature_lifetime_too_long"
    );
    // No key material in the link or the report.
    let k: Value = serde_json::from_str(&ring.text).unwrap();
    let secret = k["keys"][0]["k"].as_str().unwrap();
    assert!(!url.contains(secret));
}

#[test]
fn prefix_and_cookie_links() {
    let ring = Ring::new();
    let sign = |args: &[&str]| ring.run("sign-url", args);
    let verify = |args: &[&str]| ring.run("verify-url", args);
    let url = ok(&sign(&[
        "--prefix",
        "https://cdn.example/media/show/index.m3u8",
    ]));
    assert!(url.contains("pc_path=/media/show/*"), "{url}");
    let seg = url.replace("/media/show/index.m3u8?", "/media/show/1/seg.ts?");
    ok(&verify(&[&seg]));
    let out = url.replace("/media/show/index.m3u8?", "/media/other.ts?");
    assert_eq!(rejected(&verify(&[&out])), "signed_for_another_path");
    let explicit = ok(&sign(&[
        "--prefix-path",
        "/media/",
        "--cookie",
        "/media/show/index.m3u8",
    ]));
    assert!(
        explicit.contains("pc_path=/media/*") && explicit.contains("pc_cookie=1"),
        "{explicit}"
    );
    let usage = sign(&["--prefix-path", "/other/", "/media/a"]);
    assert_eq!(usage.status.code(), Some(2));
    let usage = sign(&["--cookie", "/media/a"]);
    assert_eq!(usage.status.code(), Some(2));
}

/// `portcullis <command> --format <format> <args>`.
fn in_format(command: &str, format: &str, args: &[&str]) -> Output {
    run(&[&[command, "--format", format][..], args].concat())
}

#[test]
fn cloudflare_links_round_trip_and_match_the_worked_example() {
    let cf = |command: &str, args: &[&str]| in_format(command, "cloudflare_hmac_v0", args);
    let url = ok(&cf("sign-url", &["/tokenauth/kayak.mp4"]));
    assert!(url.starts_with("/tokenauth/kayak.mp4?verify="), "{url}");
    ok(&cf("verify-url", &["--ttl", "60", &url]));
    let example =
        "/tokenauth/kayak.mp4?verify=1657026353-ZXJWAyFwAgJSY%2B5j3CkJE80TatA33E3MEH4D%2FkSnh7M%3D";
    ok(&cf(
        "verify-url",
        &["--ttl", "60", "--now", "1657026383", example],
    ));
    let late = cf(
        "verify-url",
        &["--ttl", "60", "--now", "1657026413", example],
    );
    assert_eq!(rejected(&late), "signature_expired");
    let safe = ok(&cf("sign-url", &["--urlsafe", "/a?x=1"]));
    ok(&cf("verify-url", &["--urlsafe", "--ttl", "60", &safe]));
}

#[test]
fn akamai_links_round_trip_in_acl_and_url_mode() {
    let akamai = |command: &str, args: &[&str]| in_format(command, "akamai_edgeauth2", args);
    let acl = ok(&akamai(
        "sign-url",
        &["--acl", "/vod/*", "https://cdn.example/vod/a.ts"],
    ));
    assert!(acl.contains("__token__=st%3D"), "{acl}");
    ok(&akamai("verify-url", &[&acl]));
    let moved = acl.replace("/vod/a.ts", "/live/a.ts");
    assert_eq!(
        rejected(&akamai("verify-url", &[&moved])),
        "signed_for_another_path"
    );
    let url_mode = ok(&akamai("sign-url", &["/vod/b.ts"]));
    ok(&akamai("verify-url", &[&url_mode]));
    let moved = url_mode.replace("/vod/b.ts", "/vod/c.ts");
    assert_eq!(
        rejected(&akamai("verify-url", &[&moved])),
        "signature_mismatch"
    );
}

/// `PORTCULLIS_AKAMAI_ALGORITHM=sha1|md5` signs with that MAC and verifies it besides SHA-256,
/// says the weakness on stderr; a legacy link fails without the opt-in or under the other one.
#[test]
fn akamai_legacy_algorithms_are_opt_in_and_warned() {
    let with = |algorithm: &str, args: &[&str]| run_with(Some(algorithm), args);
    let url = "https://cdn.example/vod/a.ts";
    for (algorithm, hex_len) in [("sha1", 40), ("md5", 32)] {
        let sign = [
            "sign-url",
            "--format",
            "akamai_edgeauth2",
            "--acl",
            "/vod/*",
            url,
        ];
        let out = with(algorithm, &sign);
        let link = ok(&out);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "warning: PORTCULLIS_AKAMAI_ALGORITHM = {algorithm}: HMAC-"
            )),
            "{err}"
        );
        assert!(!err.contains(AKAMAI_KEY), "{err}");
        let mac = link.rsplit_once("hmac%3D").unwrap().1;
        assert_eq!(mac.len(), hex_len, "{link}");
        let verify = ["verify-url", "--format", "akamai_edgeauth2", link.as_str()];
        ok(&with(algorithm, &verify));
        // The default (sha256) and the other legacy algorithm refuse it; a sha256 link still
        // verifies under the opt-in.
        assert_eq!(rejected(&run(&verify)), "signature_mismatch");
        let other = if algorithm == "sha1" { "md5" } else { "sha1" };
        let out = with(other, &verify);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("(signature_mismatch)"));
        let modern = ok(&run(&sign));
        ok(&with(
            algorithm,
            &["verify-url", "--format", "akamai_edgeauth2", &modern],
        ));
    }
    let out = with("sha512", &["sign-url", "--format", "akamai_edgeauth2", url]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PORTCULLIS_AKAMAI_ALGORITHM must be sha256, sha1 or md5"),
        "{err}"
    );
}
