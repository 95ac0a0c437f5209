//! The `portcullis` binary, run as a user would: exit codes, stdout, stderr and files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod support;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use portcullis::codec::b64;
use serde_json::Value;
use support::{Scratch, BIN};

fn run_with_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "1")
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Asserts the exit code, that stderr is one `portcullis:` line and that it leaks nothing.
fn assert_fails(out: &Output, expected: i32, secrets: &[&str]) -> String {
    let err = stderr(out);
    assert_eq!(code(out), expected, "stderr: {err}");
    assert!(err.starts_with("portcullis: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    for secret in secrets {
        assert!(!err.contains(secret), "stderr leaks a secret: {err}");
        assert!(
            !stdout(out).contains(secret),
            "stdout leaks a secret on failure"
        );
    }
    err
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A key set file with one HS256 key `a` that signs; returns its path.
fn key_set(dir: &Scratch) -> PathBuf {
    let keys = dir.path("keys.json");
    let out = run(&["keygen", "--keys", p(&keys), "--kid", "a"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    keys
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Every `k` in a key set file.
fn secrets_of(path: &Path) -> Vec<String> {
    read_json(path)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["k"].as_str().unwrap().to_owned())
        .collect()
}

fn mint(keys: &Path, extra: &[&str]) -> String {
    let mut args = vec!["mint", "--keys", p(keys), "--sub", "alice"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "only the token: {text:?}");
    text.trim_end().to_owned()
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&b64::decode(header).unwrap()).unwrap()
}

#[test]
fn keygen_without_keys_prints_a_jwk_with_a_short_random_kid() {
    let out = run(&["keygen", "--alg", "HS384"]);
    assert_eq!(code(&out), 0);
    let jwk: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(jwk["kty"], "oct");
    assert_eq!(jwk["alg"], "HS384");
    let kid = jwk["kid"].as_str().unwrap();
    assert!(
        kid.len() == 8 && kid.chars().all(|c| c.is_ascii_hexdigit()),
        "{kid}"
    );
    assert_eq!(b64::decode(jwk["k"].as_str().unwrap()).unwrap().len(), 48);
    let set = format!(r#"{{"keys":[{}]}}"#, stdout(&out));
    assert!(portcullis::jwt::keyring::Keyring::from_jwks(&set).is_ok());
}

#[test]
fn keygen_creates_a_private_key_file_whose_only_key_signs() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let set = read_json(&keys);
    assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    assert_eq!(set["keys"][0]["kid"], "a");
    let ring =
        portcullis::jwt::keyring::Keyring::from_jwks(&fs::read_to_string(&keys).unwrap()).unwrap();
    assert_eq!(ring.signing_key().and_then(|k| k.kid()), Some("a"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&keys).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // No temporary files are left behind.
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
}

#[test]
fn keygen_refuses_a_duplicate_kid_and_leaves_the_file_byte_identical() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let before = fs::read(&keys).unwrap();
    let out = run(&["keygen", "--keys", p(&keys), "--kid", "a"]);
    let err = assert_fails(&out, 2, &[]);
    assert!(err.contains("\"a\" already exists"), "{err}");
    assert_eq!(fs::read(&keys).unwrap(), before);
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
}

#[test]
fn keygen_adds_later_keys_verify_only_and_keeps_the_signer_and_user_members() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let mut set = read_json(&keys);
    set["comment"] = "rotated monthly".into();
    set["keys"][0]["x-owner"] = "ops".into();
    fs::write(&keys, serde_json::to_string(&set).unwrap()).unwrap();

    let out = run(&["keygen", "--keys", p(&keys), "--kid", "b", "--alg", "HS512"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("\"b\""), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not sign"), "{}", stderr(&out));
    let after = read_json(&keys);
    assert_eq!(after["comment"], "rotated monthly");
    assert_eq!(after["keys"][0]["x-owner"], "ops");
    assert_eq!(after["keys"][0]["k"], set["keys"][0]["k"]);
    assert_eq!(
        after["keys"][0]["key_ops"],
        serde_json::json!(["sign", "verify"])
    );
    assert_eq!(after["keys"][1]["kid"], "b");
    assert_eq!(after["keys"][1]["alg"], "HS512");
    assert_eq!(after["keys"][1]["key_ops"], serde_json::json!(["verify"]));
    assert_eq!(header_of(&mint(&keys, &[]))["kid"], "a");

    // A third key joins verify-only too; the explicit signer is untouched.
    let out = run(&["keygen", "--keys", p(&keys)]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let after = read_json(&keys);
    assert_eq!(after["keys"].as_array().unwrap().len(), 3);
    assert_eq!(after["keys"][2]["key_ops"], serde_json::json!(["verify"]));
    assert_eq!(header_of(&mint(&keys, &[]))["kid"], "a");
}

#[test]
fn promote_moves_signing_and_retire_removes_only_non_signing_keys() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    assert_eq!(code(&run(&["keygen", "--keys", p(&keys), "--kid", "b"])), 0);
    let old_token = mint(&keys, &[]);

    let out = run(&["keys", "promote", "--keys", p(&keys), "b"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let set = read_json(&keys);
    assert_eq!(set["keys"][0]["key_ops"], serde_json::json!(["verify"]));
    assert_eq!(
        set["keys"][1]["key_ops"],
        serde_json::json!(["sign", "verify"])
    );
    let new_token = mint(&keys, &[]);
    assert_eq!(header_of(&new_token)["kid"], "b");
    // The old signer's tokens still verify after promotion.
    assert_eq!(code(&run(&["verify", "--keys", p(&keys), &old_token])), 0);

    let before = fs::read(&keys).unwrap();
    let err = assert_fails(&run(&["keys", "retire", "--keys", p(&keys), "b"]), 2, &[]);
    assert!(err.contains("signing key"), "{err}");
    assert_eq!(fs::read(&keys).unwrap(), before);
    assert_fails(&run(&["keys", "promote", "--keys", p(&keys), "zz"]), 2, &[]);
    assert_fails(&run(&["keys", "retire", "--keys", p(&keys), "zz"]), 2, &[]);
    assert_eq!(fs::read(&keys).unwrap(), before);

    let out = run(&["keys", "retire", "--keys", p(&keys), "a"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let set = read_json(&keys);
    assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    assert_eq!(set["keys"][0]["kid"], "b");
    let err = assert_fails(
        &run(&["verify", "--keys", p(&keys), &old_token]),
        1,
        &[&old_token],
    );
    assert!(err.contains("(unknown_kid)"), "{err}");
    assert_eq!(code(&run(&["verify", "--keys", p(&keys), &new_token])), 0);
}

#[test]
fn mint_then_verify_round_trips_the_claims_as_json() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let token = mint(
        &keys,
        &[
            "--scope",
            "read write",
            "--aud",
            "api",
            "--iss",
            "https://auth.example",
            "--ttl",
            "1h",
            "--max-ttl",
            "1d",
            "--claim",
            "tenant=acme",
            "--claim",
            "tier=3",
            "--claim",
            r#"flags={"beta":true}"#,
            "--claim",
            r#"quoted="7""#,
        ],
    );
    let out = run(&[
        "verify",
        "--keys",
        p(&keys),
        "--audience",
        "api",
        "--issuer",
        "https://auth.example",
        "--max-ttl",
        "1h",
        &token,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let claims: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["aud"], "api");
    assert_eq!(claims["iss"], "https://auth.example");
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["tier"], 3);
    assert_eq!(claims["flags"]["beta"], true);
    assert_eq!(claims["quoted"], "7");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims["jti"].is_string());
}

#[test]
fn durations_accept_seconds_minutes_hours_and_days() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    for (ttl, secs) in [
        ("300", 300),
        ("300s", 300),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86_400),
    ] {
        let token = mint(&keys, &["--ttl", ttl]);
        let out = run(&["verify", "--keys", p(&keys), &token]);
        let claims: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            secs,
            "{ttl}"
        );
    }
    let out = run(&["mint", "--keys", p(&keys), "--sub", "a", "--ttl", "5x"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn verify_rejects_an_expired_token_with_exit_1() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let token = mint(&keys, &["--ttl", "60"]);
    let later = (payload_of(&token)["exp"].as_i64().unwrap() + 1).to_string();
    let out = run(&["verify", "--keys", p(&keys), "--now", &later, &token]);
    let err = assert_fails(&out, 1, &[&token]);
    assert!(
        err.starts_with("portcullis: rejected: token expired at "),
        "{err}"
    );
    assert!(err.trim_end().ends_with("(expired)"), "{err}");
    // Within the leeway it still passes.
    let out = run(&[
        "verify",
        "--keys",
        p(&keys),
        "--now",
        &later,
        "--leeway",
        "5",
        &token,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

fn payload_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64::decode(payload).unwrap()).unwrap()
}

#[test]
fn verify_rejects_a_tampered_token_with_exit_1() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let token = mint(&keys, &[]);
    let mut claims = payload_of(&token);
    claims["sub"] = "mallory".into();
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64::encode(claims.to_string()),
        parts[2]
    );
    let secrets = secrets_of(&keys);
    let out = run(&["verify", "--keys", p(&keys), &forged]);
    let err = assert_fails(&out, 1, &[&forged, &token, &secrets[0]]);
    assert_eq!(
        err,
        "portcullis: rejected: signature does not match (bad_signature)\n"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn verify_rejects_the_wrong_audience_with_exit_1() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let token = mint(&keys, &["--aud", "api"]);
    let err = assert_fails(
        &run(&[
            "verify",
            "--keys",
            p(&keys),
            "--audience",
            "billing",
            &token,
        ]),
        1,
        &[&token],
    );
    assert!(err.contains("(audience_mismatch)"), "{err}");
    let err = assert_fails(&run(&["verify", "--keys", p(&keys), &token]), 1, &[&token]);
    assert!(err.contains("(audience_not_configured)"), "{err}");
}

#[test]
fn verify_exits_2_for_a_missing_key_file() {
    let dir = Scratch::new();
    let token = mint(&key_set(&dir), &[]);
    let out = run(&["verify", "--keys", p(&dir.path("absent.json")), &token]);
    let err = assert_fails(&out, 2, &[&token]);
    assert!(err.contains("absent.json"), "{err}");
}

#[test]
fn verify_exits_2_for_a_weak_or_malformed_key_file() {
    let dir = Scratch::new();
    let token = mint(&key_set(&dir), &[]);
    let weak_k = b64::encode([0x5a; 16]);
    let weak = dir.path("weak.json");
    fs::write(
        &weak,
        format!(r#"{{"keys":[{{"kty":"oct","kid":"w","alg":"HS256","k":"{weak_k}"}}]}}"#),
    )
    .unwrap();
    let err = assert_fails(
        &run(&["verify", "--keys", p(&weak), &token]),
        2,
        &[&token, &weak_k],
    );
    assert!(err.contains("too short"), "{err}");

    let bad = dir.path("bad.json");
    fs::write(&bad, r#"{"keys": [ "#).unwrap();
    assert_fails(&run(&["verify", "--keys", p(&bad), &token]), 2, &[&token]);
    // The same checks guard minting and editing.
    assert_fails(
        &run(&["mint", "--keys", p(&weak), "--sub", "a"]),
        2,
        &[&weak_k],
    );
    assert_fails(
        &run(&["keygen", "--keys", p(&weak), "--kid", "x"]),
        2,
        &[&weak_k],
    );
}

#[test]
fn bad_flags_exit_2_and_help_exits_0_with_examples() {
    let out = run(&["verify", "--bogus", "x"]);
    assert_eq!(code(&out), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
    assert_eq!(
        code(&run(&["verify", "--keys", "k.json"])),
        2,
        "TOKEN is required"
    );
    assert_eq!(
        code(&run(&["keygen", "--alg", "hs256"])),
        2,
        "alg names are case-sensitive"
    );
    assert_eq!(
        code(&run(&["verify", "--keys", "k", "--leeway", "-1", "t"])),
        2
    );
    for sub in [
        &["keygen"][..],
        &["keys"],
        &["keys", "promote"],
        &["keys", "retire"],
        &["mint"],
        &["verify"],
        &["inspect"],
    ] {
        let mut args = sub.to_vec();
        args.push("--help");
        let out = run(&args);
        assert_eq!(code(&out), 0, "{sub:?}");
        assert!(
            stdout(&out).contains("EXAMPLES:"),
            "{sub:?}: {}",
            stdout(&out)
        );
    }
    assert_eq!(code(&run(&["--help"])), 0);
}

#[test]
fn mint_refuses_registered_claims_and_a_ttl_above_the_maximum() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let secrets = secrets_of(&keys);
    for claim in ["exp=1", "sub=x", "scope=admin", "jti=x"] {
        let out = run(&["mint", "--keys", p(&keys), "--sub", "a", "--claim", claim]);
        let err = assert_fails(&out, 2, &[&secrets[0]]);
        assert!(err.contains("set by portcullis itself"), "{err}");
        assert!(stdout(&out).is_empty());
    }
    let out = run(&[
        "mint",
        "--keys",
        p(&keys),
        "--sub",
        "a",
        "--ttl",
        "2h",
        "--max-ttl",
        "1h",
    ]);
    let err = assert_fails(&out, 2, &[&secrets[0]]);
    assert!(err.contains("7200s exceeds"), "{err}");
    assert_fails(
        &run(&["mint", "--keys", p(&keys), "--sub", "a", "--ttl", "0"]),
        2,
        &[&secrets[0]],
    );
    let out = run(&["mint", "--keys", p(&keys), "--sub", "a", "--kid", "nope"]);
    assert_fails(&out, 2, &[&secrets[0]]);
}

#[test]
fn a_dash_reads_the_token_from_standard_input() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let token = mint(&keys, &[]);
    for input in [format!("{token}\n"), format!("{token}\r\n"), token.clone()] {
        let out = run_with_stdin(&["verify", "--keys", p(&keys), "-"], Some(&input));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let out = run_with_stdin(&["inspect", "-"], Some(&input));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let out = run_with_stdin(&["verify", "--keys", p(&keys), "-"], Some(""));
    assert_fails(&out, 1, &[]);
}

#[test]
fn mint_binds_tokens_to_a_dpop_key_or_a_certificate_and_inspect_shows_the_binding() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let token = mint(&keys, &["--cnf-jkt", jkt]);
    assert_eq!(payload_of(&token)["cnf"], serde_json::json!({ "jkt": jkt }));
    let text = stdout(&run(&["inspect", &token]));
    assert!(
        text.contains(&format!("binding: DPoP key, jkt {jkt}")),
        "{text}"
    );

    // The hex fingerprint Cloudflare reports becomes the base64url RFC 8705 writes.
    let hex = "8d5f2e1c0b3a49586d7e6f5a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8";
    let token = mint(&keys, &["--cnf-x5t", hex]);
    let x5t = payload_of(&token)["cnf"]["x5t#S256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(b64::decode(&x5t).unwrap()[..2], [0x8d, 0x5f]);
    assert_eq!(
        payload_of(&mint(&keys, &["--cnf-x5t", &x5t]))["cnf"]["x5t#S256"],
        x5t.as_str()
    );
    let text = stdout(&run(&["inspect", &token]));
    assert!(
        text.contains(&format!("binding: mTLS client certificate, x5t#S256 {x5t}")),
        "{text}"
    );
    assert!(
        stdout(&run(&["inspect", &mint(&keys, &[])])).contains("binding: none (a bearer token)")
    );

    // Bad input changes nothing: not a digest, both bindings, or cnf given twice.
    for bad in [
        vec!["--cnf-jkt", "short"],
        vec!["--cnf-x5t", "zz"],
        vec!["--cnf-jkt", jkt, "--cnf-x5t", hex],
        vec!["--cnf-jkt", jkt, "--claim", "cnf={}"],
    ] {
        let mut args = vec!["mint", "--keys", p(&keys), "--sub", "alice"];
        args.extend_from_slice(&bad);
        let out = run(&args);
        assert_ne!(code(&out), 0, "{bad:?}");
        assert!(stdout(&out).is_empty(), "{bad:?}");
    }
}

#[test]
fn inspect_labels_its_output_unverified_and_shows_times() {
    let dir = Scratch::new();
    let keys = key_set(&dir);
    let token = mint(&keys, &["--ttl", "1h", "--claim", "tenant=acme"]);
    let out = run(&["inspect", &token]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("UNVERIFIED"), "{text}");
    assert!(text.contains("\"tenant\": \"acme\""), "{text}");
    assert!(text.contains("\"kid\": \"a\""), "{text}");
    let exp = text
        .lines()
        .find(|l| l.trim_start().starts_with("exp: "))
        .unwrap();
    assert!(
        exp.contains("Z (expires in 59m") || exp.contains("Z (expires in 1h)"),
        "{exp}"
    );

    // A forged token is shown just the same, and still labelled.
    let forged = format!(
        "{}.{}.AAAA",
        token.split('.').next().unwrap(),
        b64::encode(r#"{"exp":1000}"#)
    );
    let text = stdout(&run(&["inspect", &forged]));
    assert!(text.starts_with("UNVERIFIED"), "{text}");
    assert!(
        text.contains("exp: 1970-01-01T00:16:40Z (expired "),
        "{text}"
    );

    let err = assert_fails(&run(&["inspect", "not-a-token"]), 1, &["not-a-token"]);
    assert!(err.contains("(malformed)"), "{err}");
}
