//! `portcullis sign-url` and `portcullis verify-url`, run as a user would: a minted link
//! verifies for its path and method only, every format round-trips, and nothing secret is
//! printed in an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_portcullis");
const CF_KEY: &str = "cloudflare";
const AKAMAI_KEY: &str = "7a5c2be9f42a1f32cd889d1cf775f05d0cd162bd2871d00fe705ab28c9bba5a5";

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("PORTCULLIS_AKAMAI_SALT")
        .env_remove("PORTCULLIS_AKAMAI_ALGORITHM")
        .env("PORTCULLIS_CLOUDFLARE_HMAC_KEY", CF_KEY)
        .env("PORTCULLIS_AKAMAI_KEY", AKAMAI_KEY)
        .output()
        .expect("the binary runs")
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
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

/// A key set with one signing key, in a scratch file.
fn keys() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-sign-url-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ring.json");
    ok(&run(&[
        "keygen",
        "--kid",
        "k1",
        "--keys",
        file.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&file).unwrap();
    (file, text)
}

#[test]
fn a_signed_url_verifies_for_its_path_and_method_only() {
    let (file, ring) = keys();
    let f = file.to_str().unwrap();
    let url = ok(&run(&[
        "sign-url",
        "--keys",
        f,
        "--ttl",
        "10m",
        "https://cdn.example/media/a.mp4?w=1",
    ]));
    assert!(
        url.starts_with("https://cdn.example/media/a.mp4?w=1&pc_path=/media/a.mp4&pc_exp="),
        "{url}"
    );
    assert!(url.contains("&pc_kid=k1&pc_sig="), "{url}");
    let report: Value =
        serde_json::from_str(&ok(&run(&["verify-url", "--keys", f, &url]))).unwrap();
    assert_eq!(report["kid"], "k1");
    assert_eq!(report["path"], "/media/a.mp4");
    assert_eq!(report["forwarded_query"], "w=1");
    let left = report["expires_in_s"].as_i64().unwrap();
    assert!((590..=600).contains(&left), "{left}");
    ok(&run(&["verify-url", "--keys", f, "--method", "HEAD", &url]));
    assert_eq!(
        rejected(&run(&["verify-url", "--keys", f, "--method", "PUT", &url])),
        "signed_for_another_method"
    );
    let other = url.replace("/media/a.mp4?", "/media/b.mp4?");
    assert_eq!(
        rejected(&run(&["verify-url", "--keys", f, &other])),
        "signed_for_another_path"
    );
    assert_eq!(
        rejected(&run(&[
            "verify-url",
            "--keys",
            f,
            &url.replace("w=1", "w=2")
        ])),
        "signature_mismatch"
    );
    let exp = report["exp"].as_i64().unwrap().to_string();
    assert_eq!(
        rejected(&run(&["verify-url", "--keys", f, "--now", &exp, &url])),
        "signature_expired"
    );
    assert_eq!(
        rejected(&run(&["verify-url", "--keys", f, "--ttl", "5m", &url])),
        "signature_lifetime_too_long"
    );
    // No key material in the link or the report.
    let k: Value = serde_json::from_str(&ring).unwrap();
    let secret = k["keys"][0]["k"].as_str().unwrap();
    assert!(!url.contains(secret));
}

#[test]
fn prefix_and_cookie_links() {
    let (file, _) = keys();
    let f = file.to_str().unwrap();
    let url = ok(&run(&[
        "sign-url",
        "--keys",
        f,
        "--prefix",
        "https://cdn.example/media/show/index.m3u8",
    ]));
    assert!(url.contains("pc_path=/media/show/*"), "{url}");
    let seg = url.replace("/media/show/index.m3u8?", "/media/show/1/seg.ts?");
    ok(&run(&["verify-url", "--keys", f, &seg]));
    let out = url.replace("/media/show/index.m3u8?", "/media/other.ts?");
    assert_eq!(
        rejected(&run(&["verify-url", "--keys", f, &out])),
        "signed_for_another_path"
    );
    let explicit = ok(&run(&[
        "sign-url",
        "--keys",
        f,
        "--prefix-path",
        "/media/",
        "--cookie",
        "/media/show/index.m3u8",
    ]));
    assert!(
        explicit.contains("pc_path=/media/*") && explicit.contains("pc_cookie=1"),
        "{explicit}"
    );
    let usage = run(&[
        "sign-url",
        "--keys",
        f,
        "--prefix-path",
        "/other/",
        "/media/a",
    ]);
    assert_eq!(usage.status.code(), Some(2));
    let usage = run(&["sign-url", "--keys", f, "--cookie", "/media/a"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn cloudflare_links_round_trip_and_match_the_worked_example() {
    let url = ok(&run(&[
        "sign-url",
        "--format",
        "cloudflare_hmac_v0",
        "/tokenauth/kayak.mp4",
    ]));
    assert!(url.starts_with("/tokenauth/kayak.mp4?verify="), "{url}");
    ok(&run(&[
        "verify-url",
        "--format",
        "cloudflare_hmac_v0",
        "--ttl",
        "60",
        &url,
    ]));
    let example =
        "/tokenauth/kayak.mp4?verify=1657026353-ZXJWAyFwAgJSY%2B5j3CkJE80TatA33E3MEH4D%2FkSnh7M%3D";
    ok(&run(&[
        "verify-url",
        "--format",
        "cloudflare_hmac_v0",
        "--ttl",
        "60",
        "--now",
        "1657026383",
        example,
    ]));
    let late = run(&[
        "verify-url",
        "--format",
        "cloudflare_hmac_v0",
        "--ttl",
        "60",
        "--now",
        "1657026413",
        example,
    ]);
    assert_eq!(rejected(&late), "signature_expired");
    let safe = ok(&run(&[
        "sign-url",
        "--format",
        "cloudflare_hmac_v0",
        "--urlsafe",
        "/a?x=1",
    ]));
    ok(&run(&[
        "verify-url",
        "--format",
        "cloudflare_hmac_v0",
        "--urlsafe",
        "--ttl",
        "60",
        &safe,
    ]));
}

#[test]
fn akamai_links_round_trip_in_acl_and_url_mode() {
    let acl = ok(&run(&[
        "sign-url",
        "--format",
        "akamai_edgeauth2",
        "--acl",
        "/vod/*",
        "https://cdn.example/vod/a.ts",
    ]));
    assert!(acl.contains("__token__=st%3D"), "{acl}");
    ok(&run(&["verify-url", "--format", "akamai_edgeauth2", &acl]));
    let moved = acl.replace("/vod/a.ts", "/live/a.ts");
    assert_eq!(
        rejected(&run(&[
            "verify-url",
            "--format",
            "akamai_edgeauth2",
            &moved
        ])),
        "signed_for_another_path"
    );
    let url_mode = ok(&run(&[
        "sign-url",
        "--format",
        "akamai_edgeauth2",
        "/vod/b.ts",
    ]));
    ok(&run(&[
        "verify-url",
        "--format",
        "akamai_edgeauth2",
        &url_mode,
    ]));
    let moved = url_mode.replace("/vod/b.ts", "/vod/c.ts");
    assert_eq!(
        rejected(&run(&[
            "verify-url",
            "--format",
            "akamai_edgeauth2",
            &moved
        ])),
        "signature_mismatch"
    );
}

/// `PORTCULLIS_AKAMAI_ALGORITHM=sha1|md5` signs with that MAC and verifies it besides SHA-256,
/// says the weakness on stderr; a legacy link fails without the opt-in or under the other one.
#[test]
fn akamai_legacy_algorithms_are_opt_in_and_warned() {
    let with = |algorithm: &str, args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env_remove("PORTCULLIS_AKAMAI_SALT")
            .env("PORTCULLIS_AKAMAI_KEY", AKAMAI_KEY)
            .env("PORTCULLIS_AKAMAI_ALGORITHM", algorithm)
            .output()
            .expect("the binary runs")
    };
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
