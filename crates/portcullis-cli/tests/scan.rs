//! `portcullis scan` on a corpus generated here: source files, config files, logs, a hidden
//! `.env`, a git history, plus what must not be found (a `.gitignore`d file, a binary, a file
//! behind a symbolic link out of the tree), with live, expired, foreign and fake-example
//! tokens planted at known places, and the gate's refresh tokens and API keys next to fake
//! examples of them with a broken checksum. The scanner must find every live one and call
//! nothing live that is not; offline, a refresh token or API key is `unchecked`. (Revoked,
//! via `--endpoint`, is tested against the real gate in tests/e2e/scan.test.mjs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use portcullis::codec::b64;
use portcullis::jwt::keyring::Keyring;
use portcullis::jwt::mint::sign_compact;
use serde_json::{json, Value};
use support::{Scratch, BIN};

const NOW: i64 = 1_800_000_000;
/// jwt.io's example token: JWT-shaped, HS256, signed with "your-256-bit-secret".
const JWT_IO_EXAMPLE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

fn ring(byte: u8) -> (Keyring, String) {
    let k = b64::encode([byte; 32]);
    let jwks = format!(r#"{{"keys":[{{"kty":"oct","kid":"k1","alg":"HS256","k":"{k}"}}]}}"#);
    (Keyring::from_jwks(&jwks).unwrap(), jwks)
}

fn token(ring: &Keyring, sub: &str, exp: i64) -> String {
    sign_compact(
        &ring.keys()[0],
        &json!({"alg":"HS256","kid":"k1","typ":"JWT"}),
        &json!({"sub": sub, "jti": format!("jti-{sub}"), "iat": NOW - 60, "exp": exp}),
    )
}

fn scan(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .arg("scan")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// (file, line, status, sub) of every finding in a JSON report.
fn findings(out: &Output) -> BTreeSet<(String, u64, String, String)> {
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    });
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_owned(),
                f["line"].as_u64().unwrap(),
                f["status"].as_str().unwrap().to_owned(),
                f["sub"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// A refresh token and an API key as the gate issues them, and fake examples of each: the
/// right prefix and length, a made-up checksum.
fn opaque() -> [String; 4] {
    use portcullis::grant::secrets::{ApiKey, ApiKeyId, GrantId, RefreshToken};
    let rt = RefreshToken {
        grant: GrantId([7; 16]),
        generation: 2,
        secret: [8; 20],
    }
    .encode();
    let key = ApiKey {
        id: ApiKeyId([9; 12]),
        secret: [10; 20],
    }
    .encode();
    let fake_rt = format!("pcrt_{}", "x".repeat(60));
    let mut fake_key = key.clone().into_bytes();
    let last = fake_key.len() - 1;
    fake_key[last] = if fake_key[last] == b'0' { b'1' } else { b'0' };
    [rt, key, fake_rt, String::from_utf8(fake_key).unwrap()]
}

fn row(file: &str, line: u64, status: &str, sub: &str) -> (String, u64, String, String) {
    (file.into(), line, status.into(), sub.into())
}

/// The corpus, its keys file, and every token planted in it.
struct Corpus {
    dir: Scratch,
    outside: Scratch,
    planted: Vec<String>,
}

impl Corpus {
    /// `portcullis scan --keys keys.json --now NOW <args>` in the corpus, `stdin` piped in.
    fn scan_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let now = NOW.to_string();
        let head = ["--keys", "keys.json", "--now", now.as_str()];
        let args: Vec<&str> = head.iter().chain(args).copied().collect();
        scan(&self.dir.0, &args, stdin)
    }

    /// [`Corpus::scan_with`] without stdin.
    fn scan(&self, args: &[&str]) -> Output {
        self.scan_with(args, None)
    }

    /// [`Corpus::scan`] with a JSON report.
    fn scan_json(&self, args: &[&str]) -> Output {
        let args: Vec<&str> = ["--format", "json"].iter().chain(args).copied().collect();
        self.scan(&args)
    }
}

fn corpus() -> Corpus {
    let (ours, jwks) = ring(1);
    let (theirs, _) = ring(2);
    let live = |sub: &str| token(&ours, sub, NOW + 600);
    let dir = Scratch::new();
    let outside = Scratch::new();
    dir.write("keys.json", &jwks);
    let planted = vec![
        live("in-source"),
        live("in-yaml"),
        live("in-log"),
        live("in-dotenv"),
        live("in-json"),
        token(&ours, "expired", NOW - 600),
        token(&theirs, "foreign", NOW + 600),
        live("ignored"),
        live("binary"),
        live("outside"),
    ];
    let p = &planted;
    dir.write(
        "src/settings.py",
        &format!(
            "import os\n\n# for local testing\nAPI_TOKEN = \"{}\"\n",
            p[0]
        ),
    );
    dir.write(
        "config/app.yaml",
        &format!("server:\n  port: 8080\nauth:\n  token: {}\n", p[1]),
    );
    let mut log = String::new();
    for i in 0..200 {
        log.push_str(&format!(
            "2026-11-30T10:00:{:02}Z GET /health 200\n",
            i % 60
        ));
    }
    log.push_str(&format!(
        "2026-11-30T10:01:00Z GET /orders/1 headers={{authorization: Bearer {}}}\n",
        p[2]
    ));
    dir.write("logs/app.log", &log);
    dir.write(".env", &format!("PORTCULLIS_TOKEN={}\n", p[3]));
    dir.write(
        "deploy/nested/secrets.json",
        &json!({"service": {"token": p[4]}}).to_string(),
    );
    dir.write(
        "src/old.rs",
        &format!("// expired\nconst T: &str = \"{}\";\n", p[5]),
    );
    dir.write("src/other.js", &format!("const theirs = '{}';\n", p[6]));
    let [rt, key, fake_rt, fake_key] = opaque();
    dir.write(
        "README.md",
        &format!(
            "# Example\n\n    Authorization: Bearer {JWT_IO_EXAMPLE}\n\nor eyJhbGciOiJIUzI1NiJ9.<payload>.<signature>\n\n    refresh_token={fake_rt}\n    PORTCULLIS_API_KEY={fake_key}\n"
        ),
    );
    dir.write(
        "client/credentials.toml",
        &format!("[portcullis]\nrefresh_token = \"{rt}\"\napi_key = \"{key}\"\n"),
    );
    dir.write(".gitignore", "build/\n");
    dir.write("build/out.txt", &p[7]);
    dir.write_bytes(
        "assets/blob.bin",
        &[b"\x00\x01\x02".as_slice(), p[8].as_bytes()].concat(),
    );
    outside.write("secret.txt", &p[9]);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside.0, dir.0.join("link-out")).unwrap();
    Corpus {
        dir,
        outside,
        planted,
    }
}

fn expected_tree() -> BTreeSet<(String, u64, String, String)> {
    BTreeSet::from([
        row("src/settings.py", 4, "live", "in-source"),
        row("config/app.yaml", 4, "live", "in-yaml"),
        row("logs/app.log", 201, "live", "in-log"),
        row(".env", 1, "live", "in-dotenv"),
        row("deploy/nested/secrets.json", 1, "live", "in-json"),
        row("src/old.rs", 2, "expired", "expired"),
        row("src/other.js", 1, "unverified", ""),
        row("README.md", 3, "unverified", ""),
        row("client/credentials.toml", 2, "unchecked", ""),
        row("client/credentials.toml", 3, "unchecked", ""),
    ])
}

#[test]
fn finds_every_live_token_in_the_tree_and_nothing_ignored_binary_or_outside() {
    let c = corpus();
    let out = c.scan_json(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(findings(&out), expected_tree());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["live"], 5);
    assert_eq!(report["summary"]["binary_skipped"], 1);
    assert_eq!(report["summary"]["unchecked"], 2);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for t in c.planted.iter().chain(opaque().iter()) {
        assert!(!stdout.contains(t.as_str()), "a whole token was printed");
    }
    assert!(c.outside.0.join("secret.txt").exists());

    // --no-ignore reads the ignored file too; still no binary, still nothing outside.
    let out = c.scan_json(&["--no-ignore"]);
    let mut expected = expected_tree();
    expected.insert(row("build/out.txt", 1, "live", "ignored"));
    assert_eq!(findings(&out), expected);
}

#[test]
fn finds_a_token_deleted_from_the_tree_in_the_git_history() {
    let c = corpus();
    let (ours, _) = ring(1);
    let gone = token(&ours, "in-history", NOW + 600);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&c.dir.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    git(&["init", "-q"]);
    c.dir.write(
        "deploy.sh",
        &format!("#!/bin/sh\ncurl -H 'Authorization: Bearer {gone}' $URL\n"),
    );
    git(&["add", "deploy.sh"]);
    git(&["commit", "-q", "-m", "deploy script"]);
    c.dir.write(
        "deploy.sh",
        "#!/bin/sh\ncurl -H \"Authorization: Bearer $TOKEN\" $URL\n",
    );
    git(&["commit", "-q", "-am", "read the token from the environment"]);
    let history = git(&["log", "-p", "--all"]);
    let out = c.scan_with(&["--format", "json", "-"], Some(&history));
    assert_eq!(out.status.code(), Some(1));
    // Twice: the diff that added it and the diff that removed it.
    let found = findings(&out);
    assert_eq!(found.len(), 2, "{found:?}");
    for (file, _, status, sub) in found {
        assert_eq!(
            (file.as_str(), status.as_str(), sub.as_str()),
            ("-", "live", "in-history")
        );
    }
    // The working tree itself no longer holds it.
    let out = c.scan_json(&["deploy.sh"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(findings(&out).is_empty());
}

#[test]
fn exits_0_when_nothing_live_and_2_on_usage_or_io_errors() {
    let c = corpus();
    let out = c.scan(&["src/old.rs", "src/other.js", "README.md"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("src/old.rs:2:18: expired jwt sub=expired"),
        "{text}"
    );
    assert!(
        text.contains("0 live, 0 unchecked, 1 expired, 0 revoked, 2 unverified"),
        "{text}"
    );
    let out = scan(&c.dir.0, &["--keys", "keys.json", "no-such-dir"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read no-such-dir"));
    let out = scan(&c.dir.0, &["--keys", "missing.json", "."], None);
    assert_eq!(out.status.code(), Some(2));
    let out = scan(&c.dir.0, &["--keys", "keys.json", "--revoke", "."], None);
    assert_eq!(out.status.code(), Some(2), "--revoke needs --endpoint");
}

#[test]
fn sarif_output_is_sarif_2_1_0_with_a_located_result_per_finding() {
    let c = corpus();
    let out = c.scan(&["--format", "sarif", "src", "config"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "portcullis-scan");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("src/") || uri.starts_with("config/"),
            "{uri}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let live: Vec<_> = results.iter().filter(|r| r["level"] == "error").collect();
    assert_eq!(live.len(), 2);
    assert!(live
        .iter()
        .all(|r| r["ruleId"] == "portcullis/live-credential"));
}

#[test]
fn a_refresh_token_or_api_key_is_reported_unchecked_by_kind_with_what_it_opens() {
    let c = corpus();
    let out = c.scan_json(&["client"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unchecked credential may be live"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = report["findings"].as_array().unwrap();
    let kinds: Vec<_> = found.iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["refresh_token", "api_key"]);
    let sid = portcullis::grant::secrets::GrantId([7; 16]).to_text();
    let id = portcullis::grant::secrets::ApiKeyId([9; 12]).to_text();
    assert_eq!(found[0]["opens"], format!("sid={sid}"));
    assert_eq!(found[1]["opens"], format!("key={id}"));
    assert_eq!(found[0]["prefix"].as_str().unwrap().len(), 12);
    assert_eq!(found[0]["column"], 18);
    let text = c.scan(&["client"]);
    assert!(String::from_utf8_lossy(&text.stderr).contains("2 unchecked"));
    // Fake examples with a broken checksum: not even unverified findings.
    let out = c.scan_json(&["README.md"]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["kind"] == "jwt"));
}
