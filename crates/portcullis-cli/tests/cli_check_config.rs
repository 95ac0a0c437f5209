//! `portcullis check-config`, run as a user would against a wrangler.toml and a .dev.vars in a
//! scratch directory: exit codes, the summary, the one-line errors, and that no key leaks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "../../portcullis/tests/common/mod.rs"]
mod common;
mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use portcullis::jwt::keyring::Alg;
use serde_json::{json, Value};
use support::{Scratch, BIN};

/// `check-config` with the files of a scratch directory.
trait CheckConfig {
    fn check(&self, extra: &[&str]) -> Output;
}

impl CheckConfig for Scratch {
    fn check(&self, extra: &[&str]) -> Output {
        Command::new(BIN)
            .arg("check-config")
            .arg("--wrangler")
            .arg(self.0.join("wrangler.toml"))
            .args(extra)
            .output()
            .expect("the binary runs")
    }
}

/// Like the project's wrangler.toml: routes as TOML tables, plain vars as strings.
const WRANGLER: &str = r#"
name = "gate"
main = "build/index.js"
compatibility_date = "2026-04-26"

[vars]
PORTCULLIS_AUDIENCE = "api"
PORTCULLIS_MAX_TTL_S = 900

[[vars.PORTCULLIS_ROUTES]]
match = "GET /health"
public = true

[[vars.PORTCULLIS_ROUTES]]
match = "GET /orders/*"
scopes = ["orders:read"]
"#;

fn jwk(kid: &str, seed: u8) -> Value {
    common::key(Some(kid), Alg::HS256, seed).to_jwk()
}

/// A .dev.vars as `make dev` writes it: JSON in single quotes, a URL bare.
fn dev_vars(keys: &Value, origin_key: &Value) -> String {
    format!(
        "# local secrets\nPORTCULLIS_KEYS='{keys}'\nPORTCULLIS_ORIGIN_KEY='{origin_key}'\nORIGIN_URL=http://127.0.0.1:8788\n"
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Asserts exit `code` and one `portcullis: <SETTING>: ...` line on stderr; returns it.
fn assert_config_error(out: &Output, code: i32, setting: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with(&format!("portcullis: {setting}: ")),
        "{err}"
    );
    assert!(stdout(out).is_empty(), "nothing on stdout: {}", stdout(out));
    err
}

#[test]
fn a_valid_config_passes_with_a_summary_of_keys_routes_and_policy() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let keys = json!({"keys": [jwk("k1", 1)]});
    dir.write(".dev.vars", &dev_vars(&keys, &jwk("origin", 2)));

    // .dev.vars next to wrangler.toml is found without --dev-vars, as wrangler dev does.
    let out = dir.check(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "configuration ok",
        "1 key; \"k1\" (HS256) signs",
        "2 rules, 1 public",
        "origin:    http://127.0.0.1:8788",
        "audience:  api",
        "issuer:    any",
        "leeway:    0 s; max ttl: 900 s",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn the_summary_says_a_key_without_kid_cannot_be_revoked_by_kid() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let mut key = jwk("k1", 1);
    key.as_object_mut().unwrap().remove("kid");
    dir.write(
        ".dev.vars",
        &dev_vars(&json!({"keys": [key]}), &jwk("origin", 2)),
    );
    let out = dir.check(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("the key without kid (HS256) signs; without a kid it cannot be revoked"),
        "{text}"
    );
}

#[test]
fn the_summary_names_the_signer_of_a_ring_in_rotation_and_never_prints_a_key() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let mut old = jwk("old", 1);
    old["key_ops"] = json!(["verify"]);
    let mut new = jwk("new", 3);
    new["key_ops"] = json!(["sign", "verify"]);
    let origin = jwk("origin", 2);
    let dev = dir.write(
        ".dev.vars.local",
        &dev_vars(&json!({"keys": [old, new]}), &origin),
    );

    let out = dir.check(&["--dev-vars", dev.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("2 keys; \"new\" (HS256) signs"), "{text}");
    for k in [&jwk("old", 1), &jwk("new", 3), &origin] {
        let k = k["k"].as_str().unwrap();
        assert!(
            !text.contains(k) && !stderr(&out).contains(k),
            "a key leaked:\n{text}"
        );
    }
}

#[test]
fn a_weak_key_is_rejected_naming_the_setting_but_not_the_key() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let weak = "c2hvcnQtc2VjcmV0"; // "short-secret": 12 bytes, far below HS256's 32
    let keys = json!({"keys": [{"kty": "oct", "kid": "w", "alg": "HS256", "k": weak}]});
    dir.write(".dev.vars", &dev_vars(&keys, &jwk("origin", 2)));

    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_KEYS");
    assert!(
        !err.contains(weak) && !err.contains("short-secret"),
        "{err}"
    );
}

#[test]
fn a_route_rule_with_an_unknown_field_is_rejected() {
    let dir = Scratch::new();
    // `scope` for `scopes`: a typo that must not quietly open the route.
    dir.write(
        "wrangler.toml",
        &WRANGLER.replace("scopes = [\"orders:read\"]", "scope = [\"orders:read\"]"),
    );
    dir.write(
        ".dev.vars",
        &dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2)),
    );

    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ROUTES");
    assert!(err.contains("scope"), "names the field: {err}");
    // The setting named once, then the rule (no `PORTCULLIS_ROUTES: PORTCULLIS_ROUTES[1]`).
    assert_eq!(
        err.trim_end(),
        "portcullis: PORTCULLIS_ROUTES: rule 1: unknown field `scope`; did you mean `scopes`?"
    );
}

#[test]
fn a_route_rule_with_a_duplicate_member_in_dev_vars_is_rejected() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    // As JSON text (a .dev.vars line or a secret), a lax parser would keep the last `public`.
    let routes = r#"[{"match": "GET /orders/*", "public": false, "public": true}]"#;
    dir.write(
        ".dev.vars",
        &format!(
            "{}PORTCULLIS_ROUTES='{routes}'\n",
            dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2))
        ),
    );

    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ROUTES");
    assert_eq!(
        err.trim_end(),
        "portcullis: PORTCULLIS_ROUTES: JSON text has a duplicate member name"
    );
}

#[test]
fn leak_reporter_keys_that_are_not_p256_keys_in_githubs_shape_are_rejected() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let base = dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2));
    // An RSA-sized blob where a P-256 key belongs.
    let keys = r#"{"public_keys":[{"key_identifier":"a","key":"-----BEGIN PUBLIC KEY-----\nMAwwCgYIKoZIzj0DAQc=\n-----END PUBLIC KEY-----","is_current":true}]}"#;
    dir.write(
        ".dev.vars",
        &format!("{base}PORTCULLIS_LEAK_REPORTER_KEYS='{keys}'\n"),
    );
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_LEAK_REPORTER_KEYS");
    assert_eq!(
        err.trim_end(),
        "portcullis: PORTCULLIS_LEAK_REPORTER_KEYS: public_keys[0].key is not an ECDSA P-256 public key"
    );
}

#[test]
fn a_missing_secret_says_how_to_provide_it() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    // No .dev.vars at all: the secrets only exist in a deployment.
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_KEYS");
    assert!(err.contains("wrangler secret put PORTCULLIS_KEYS"), "{err}");
    assert!(err.contains(".dev.vars"), "{err}");

    dir.write(
        ".dev.vars",
        &format!("PORTCULLIS_KEYS='{}'\n", json!({"keys": [jwk("k1", 1)]})),
    );
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ORIGIN_KEY");
    assert!(
        err.contains("wrangler secret put PORTCULLIS_ORIGIN_KEY"),
        "{err}"
    );
}

#[test]
fn dev_vars_override_wrangler_vars_and_env_vars_are_not_inherited() {
    let dir = Scratch::new();
    let toml = format!(
        "{WRANGLER}\n[env.staging.vars]\nPORTCULLIS_AUDIENCE = \"staging-api\"\nPORTCULLIS_ROUTES = '[{{\"match\":\"*\",\"scopes\":[]}}]'\n"
    );
    dir.write("wrangler.toml", &toml);
    let secrets = dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2));
    dir.write(
        ".dev.vars",
        &format!("{secrets}PORTCULLIS_AUDIENCE=local\n"),
    );

    let out = dir.check(&[]);
    assert!(
        stdout(&out).contains("audience:  local"),
        "{}",
        stdout(&out)
    );

    // [env.staging.vars] replaces [vars]: one route, not two; and .dev.vars still overlays.
    let out = dir.check(&["--env", "staging"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("1 rule, 0 public"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("max ttl: 3600 s"), "{}", stdout(&out));

    let out = dir.check(&["--env", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no [env.prod]"), "{}", stderr(&out));
}

#[test]
fn a_malformed_dev_vars_line_is_reported_by_number_without_its_text() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let secrets = dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2));
    let path = dir.write(".dev.vars", &format!("{secrets}hunter2-no-equals-sign\n"));

    let out = dir.check(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim_end(),
        format!("portcullis: {} line 5: expected KEY=VALUE", path.display())
    );
}

#[test]
fn an_unreadable_file_is_a_usage_error() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let out = dir.check(&["--dev-vars", dir.0.join("absent").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("portcullis: cannot read "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unset_origin_url_is_a_warning_not_an_error() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let secrets = dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2));
    dir.write(".dev.vars", &secrets);
    let out = dir.check(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(!stderr(&out).contains("ORIGIN_URL"), "{}", stderr(&out));

    // Without ORIGIN_URL the gate forwards to its own URL: it still passes, with a warning.
    let without: String = secrets
        .lines()
        .filter(|l| !l.starts_with("ORIGIN_URL="))
        .map(|l| format!("{l}\n"))
        .collect();
    dir.write(".dev.vars", &without);
    let out = dir.check(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("configuration ok"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("portcullis: warning: ORIGIN_URL is not set") && err.contains("508"),
        "{err}"
    );
}

#[test]
fn a_rate_limit_without_its_binding_or_with_other_numbers_is_a_warning() {
    let dir = Scratch::new();
    dir.write(
        ".dev.vars",
        &dev_vars(&json!({"keys": [jwk("k1", 1)]}), &jwk("origin", 2)),
    );
    let rule = r#"
[[vars.PORTCULLIS_ROUTES]]
match = "GET /limited/*"
scopes = []
rate_limit = { limiter = "PER_SUB", key = "sub", limit = 100, period = 60 }
"#;
    let cases = [
        ("", Some("names no [[ratelimits]] binding")),
        ("[[ratelimits]]\nname = \"PER_SUB\"\nnamespace_id = \"1\"\nsimple = { limit = 10, period = 60 }\n", Some("simple = { limit = 10, period = 60 }")),
        ("[[ratelimits]]\nname = \"PER_SUB\"\nnamespace_id = \"1\"\nsimple = { limit = 100, period = 60 }\n", None),
    ];
    for (binding, warning) in cases {
        dir.write("wrangler.toml", &format!("{WRANGLER}{rule}\n{binding}"));
        let out = dir.check(&[]);
        assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
        let err = stderr(&out);
        match warning {
            Some(w) => assert!(
                err.contains("warning: rate limit \"PER_SUB\"") && err.contains(w),
                "{err}"
            ),
            None => assert!(!err.contains("rate limit"), "{err}"),
        }
    }
    // A rule that counts a public route by its token is an error, naming the rule.
    let public = "\n[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /open\"\npublic = true\nrate_limit = { limiter = \"L\", key = \"sub\", limit = 1, period = 60 }\n";
    dir.write("wrangler.toml", &format!("{WRANGLER}{public}"));
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ROUTES");
    assert!(
        err.contains("rule 2: a public rule can only rate-limit by ip"),
        "{err}"
    );
}

// --- `check-config --json` and `mint --dev-vars`: what the scripts read ---------------------

/// The key material of a JWK Set: every `k`, which must never be printed.
fn secrets_of(set: &Value) -> Vec<String> {
    set["keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .map(|k| k["k"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_else(|| vec![set["k"].as_str().unwrap().to_owned()])
}

#[test]
fn check_config_json_gives_settings_and_config_but_secrets_only_as_set() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let keys = json!({"keys": [jwk("k1", 1)]});
    let origin_key = jwk("origin", 2);
    dir.write(
        ".dev.vars",
        &format!(
            "{}ORIGIN_URL=http://user:pw@127.0.0.1:8788\nMY_TOKEN=hunter2\n",
            dev_vars(&keys, &origin_key).replace("ORIGIN_URL=http://127.0.0.1:8788\n", "")
        ),
    );
    let out = dir.check(&["--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["errors"], json!([]));
    assert_eq!(doc["settings"]["PORTCULLIS_AUDIENCE"], "api");
    assert_eq!(doc["settings"]["PORTCULLIS_MAX_TTL_S"], 900);
    assert_eq!(doc["settings"]["ORIGIN_URL"], "http://***@127.0.0.1:8788");
    assert_eq!(
        doc["secrets"],
        json!({"PORTCULLIS_KEYS": true, "PORTCULLIS_ORIGIN_KEY": true,
               "PORTCULLIS_CLOUDFLARE_HMAC_KEY": false, "PORTCULLIS_AKAMAI_KEY": false,
               "PORTCULLIS_AKAMAI_TRANSITION_KEY": false, "PORTCULLIS_AKAMAI_SALT": false})
    );
    assert_eq!(
        doc["other"],
        json!(["MY_TOKEN"]),
        "unknown names: name only"
    );
    assert_eq!(doc["config"]["audience"], "api");
    assert_eq!(doc["config"]["issuer"], Value::Null);
    assert_eq!(doc["config"]["kids"], json!(["k1"]));
    assert_eq!(doc["config"]["signing_kid"], "k1");
    assert_eq!(doc["config"]["max_ttl_s"], 900);
    assert_eq!(doc["config"]["origin"], "http://***@127.0.0.1:8788");
    for secret in secrets_of(&keys)
        .into_iter()
        .chain(secrets_of(&origin_key))
        .chain(["hunter2".to_owned(), "pw@".to_owned()])
    {
        assert!(!text.contains(&secret), "--json printed a secret: {text}");
    }
}

#[test]
fn check_config_json_on_an_invalid_config_lists_the_error_and_exits_1() {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let keys = json!({"keys": [jwk("k1", 1)]});
    dir.write(
        ".dev.vars",
        &format!("PORTCULLIS_KEYS='{keys}'\nORIGIN_URL=http://127.0.0.1:8788\n"),
    );
    let out = dir.check(&["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["config"], Value::Null);
    assert_eq!(doc["secrets"]["PORTCULLIS_ORIGIN_KEY"], false);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]
        .as_str()
        .unwrap()
        .starts_with("PORTCULLIS_ORIGIN_KEY: "));
    // A dotenv line error: the line number, never its text; exit 1 as without --json.
    dir.write(".dev.vars", "A=1\nsecret-without-equals\n");
    let out = dir.check(&["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(
        doc["errors"][0].as_str().unwrap().contains("line 2"),
        "{text}"
    );
    assert!(!text.contains("secret-without"), "{text}");
}

#[test]
fn mint_with_dev_vars_signs_with_the_dotenv_ring_and_prints_only_the_token() {
    let dir = Scratch::new();
    let keys = json!({"keys": [jwk("k1", 1)]});
    let path = dir.write(".dev.vars", &dev_vars(&keys, &jwk("origin", 2)));
    let out = Command::new(BIN)
        .args(["mint", "--sub", "alice", "--aud", "api", "--dev-vars"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert_eq!(token.lines().count(), 1);
    let ring = portcullis::jwt::keyring::Keyring::from_jwks(&keys.to_string()).unwrap();
    let policy = portcullis::jwt::verify::VerifyPolicy {
        audience: Some("api".into()),
        ..Default::default()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let verified = portcullis::jwt::verify::verify(&token, &ring, &policy, now).unwrap();
    assert_eq!(verified.claims.sub.as_deref(), Some("alice"));
    for secret in secrets_of(&keys) {
        assert!(!stdout(&out).contains(&secret) && !stderr(&out).contains(&secret));
    }
}

#[test]
fn mint_with_dev_vars_refuses_a_file_without_a_key_ring() {
    let dir = Scratch::new();
    let path = dir.write(".dev.vars", "ORIGIN_URL=http://127.0.0.1:8788\n");
    let out = Command::new(BIN)
        .args(["mint", "--sub", "alice", "--dev-vars"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("PORTCULLIS_KEYS is not set"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    // Neither flag: clap's own usage error.
    let out = Command::new(BIN)
        .args(["mint", "--sub", "alice"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Signed-link rules: each compatibility format needs its key setting, Akamai keys are hex,
/// SHA-1 and MD5 pass with a warning and anything else fails, a short key is a warning, and no
/// key appears in any output.
#[test]
fn signed_link_rules_need_their_own_secrets() {
    let dir = Scratch::new();
    let wrangler = format!(
        "{WRANGLER}\n[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /tokenauth/*\"\nauth = \"cloudflare_hmac_v0\"\nsigned = {{ ttl_s = 60 }}\n\n[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /vod/**\"\nauth = \"akamai_edgeauth2\"\n\n[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /media/**\"\nauth = \"signed_url\"\n"
    );
    dir.write("wrangler.toml", &wrangler);
    let keys = json!({"keys": [jwk("k1", 1)]});
    let base = dev_vars(&keys, &jwk("origin", 2));
    dir.write(".dev.vars", &base);
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_CLOUDFLARE_HMAC_KEY");
    assert!(err.contains("rule 2 needs it"), "{err}");

    dir.write(
        ".dev.vars",
        &format!("{base}PORTCULLIS_CLOUDFLARE_HMAC_KEY=cloudflare\n"),
    );
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_AKAMAI_KEY");
    assert!(err.contains("rule 3 needs it"), "{err}");

    dir.write(
        ".dev.vars",
        &format!(
            "{base}PORTCULLIS_CLOUDFLARE_HMAC_KEY=cloudflare\nPORTCULLIS_AKAMAI_KEY=not-hex\n"
        ),
    );
    assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_AKAMAI_KEY");

    let akamai = "7a5c2be9f42a1f32cd889d1cf775f05d0cd162bd2871d00fe705ab28c9bba5a5";
    let good = format!(
        "{base}PORTCULLIS_CLOUDFLARE_HMAC_KEY=cloudflare\nPORTCULLIS_AKAMAI_KEY={akamai}\n"
    );
    dir.write(
        ".dev.vars",
        &format!("{good}PORTCULLIS_AKAMAI_ALGORITHM=sha512\n"),
    );
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_AKAMAI_ALGORITHM");
    assert!(err.contains("sha256") && err.contains("md5"), "{err}");

    // SHA-1 and MD5 are opt-in: accepted, with a warning naming the weakness (in --json too).
    for (algorithm, weakness) in [
        ("sha1", "SHA-1 is broken for collisions"),
        ("md5", "MD5 has been broken for collisions"),
    ] {
        dir.write(
            ".dev.vars",
            &format!("{good}PORTCULLIS_AKAMAI_ALGORITHM={algorithm}\n"),
        );
        let out = dir.check(&[]);
        assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
        let err = stderr(&out);
        let line = format!("warning: PORTCULLIS_AKAMAI_ALGORITHM = {algorithm}: HMAC-");
        assert!(err.contains(&line) && err.contains(weakness), "{err}");
        let report: serde_json::Value =
            serde_json::from_str(&stdout(&dir.check(&["--json"]))).unwrap();
        let warned = report["warnings"].as_array().unwrap().iter().any(|w| {
            w.as_str()
                .is_some_and(|w| w.contains("PORTCULLIS_AKAMAI_ALGORITHM") && w.contains(weakness))
        });
        assert!(warned, "{report}");
        assert!(!err.contains(akamai), "{err}");
    }

    dir.write(".dev.vars", &good);
    let out = dir.check(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("AKAMAI_ALGORITHM"),
        "sha256 does not warn: {err}"
    );
    assert!(
        err.contains("PORTCULLIS_CLOUDFLARE_HMAC_KEY is shorter than 32 bytes"),
        "{err}"
    );
    assert!(!err.contains("PORTCULLIS_AKAMAI_KEY is shorter"), "{err}");
    let json_out = stdout(&dir.check(&["--json"]));
    for shown in [stdout(&out), err, json_out] {
        assert!(
            !shown.contains(akamai) && !shown.contains("=cloudflare"),
            "{shown}"
        );
    }
}

// --- Issue 18: the check tells the truth about .dev.vars, typos and rules ---------------------

/// A valid scratch config: the project-like wrangler.toml and a complete .dev.vars.
fn valid_dir() -> Scratch {
    let dir = Scratch::new();
    dir.write("wrangler.toml", WRANGLER);
    let keys = json!({"keys": [jwk("k1", 1)]});
    dir.write(".dev.vars", &dev_vars(&keys, &jwk("origin", 2)));
    assert_eq!(
        dir.check(&[]).status.code(),
        Some(0),
        "the base config passes"
    );
    dir
}

/// The base .dev.vars with `line` appended (a later line for the same name wins).
fn with_dev_vars_line(dir: &Scratch, line: &str) {
    let keys = json!({"keys": [jwk("k1", 1)]});
    dir.write(
        ".dev.vars",
        &format!("{}{line}\n", dev_vars(&keys, &jwk("origin", 2))),
    );
}

#[test]
fn a_misspelt_setting_in_wrangler_toml_is_an_error_with_did_you_mean() {
    let dir = valid_dir();
    let toml = WRANGLER.replace(
        "[vars]\n",
        "[vars]\nPORTCULIS_ISSUER = \"https://issuer.example\"\n",
    );
    dir.write("wrangler.toml", &toml);
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULIS_ISSUER");
    assert!(err.contains("did you mean PORTCULLIS_ISSUER?"), "{err}");
}

#[test]
fn a_misspelt_setting_in_dev_vars_is_an_error_with_did_you_mean() {
    let dir = valid_dir();
    with_dev_vars_line(&dir, "PORTCULLIS_AUDIENCES=api");
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_AUDIENCES");
    assert!(err.contains("did you mean PORTCULLIS_AUDIENCE?"), "{err}");
    // The JSON report says the same, and other people's names are left alone.
    with_dev_vars_line(&dir, "MY_APP_DEBUG=1");
    let out = dir.check(&["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_removed_secret_in_dev_vars_is_an_error() {
    let dir = valid_dir();
    let keys = json!({"keys": [jwk("k1", 1)]});
    dir.write(
        ".dev.vars",
        &format!("PORTCULLIS_KEYS='{keys}'\nORIGIN_URL=http://127.0.0.1:8788\n"),
    );
    assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ORIGIN_KEY");
}

#[test]
fn an_origin_url_without_a_scheme_in_dev_vars_is_an_error() {
    let dir = valid_dir();
    with_dev_vars_line(&dir, "ORIGIN_URL=127.0.0.1:8788");
    let err = assert_config_error(&dir.check(&[]), 1, "ORIGIN_URL");
    assert!(err.contains("http:// or https://"), "{err}");
}

#[test]
fn a_16_byte_origin_key_in_dev_vars_is_an_error_that_never_shows_it() {
    let dir = valid_dir();
    let short = portcullis::codec::b64::encode([7u8; 16]);
    let key = json!({"kty": "oct", "kid": "origin", "alg": "HS256", "k": short});
    with_dev_vars_line(&dir, &format!("PORTCULLIS_ORIGIN_KEY='{key}'"));
    let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ORIGIN_KEY");
    assert!(!err.contains(&short), "{err}");
}

/// wrangler.toml with `rules` (TOML `[[vars.PORTCULLIS_ROUTES]]` tables) as the routes.
fn with_routes(dir: &Scratch, rules: &str) {
    let head = WRANGLER.split("[[vars.PORTCULLIS_ROUTES]]").next().unwrap();
    dir.write("wrangler.toml", &format!("{head}{rules}"));
}

#[test]
fn route_rules_that_would_misbehave_are_errors() {
    let dir = valid_dir();
    let cases = [
        // Neither public nor scopes: would have let any valid token through.
        (
            "[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /orders/*\"\n",
            "rule 0: needs `public = true` or `scopes`",
        ),
        (
            "[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GETT /orders/*\"\nscopes = []\n",
            "unknown method `GETT`; did you mean `GET`?",
        ),
        (
            "[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /orders/*\"\npubilc = true\n",
            "unknown field `pubilc`; did you mean `public`?",
        ),
        (
            "[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /orders/*\"\nscopes = [\"orders:read\"]\n\n\
             [[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /orders/export\"\nscopes = [\"orders:export\"]\n",
            "rule 1: `GET /orders/export` is unreachable: rule 0 `GET /orders/*` comes first",
        ),
    ];
    for (rules, expected) in cases {
        with_routes(&dir, rules);
        let err = assert_config_error(&dir.check(&[]), 1, "PORTCULLIS_ROUTES");
        assert!(err.contains(expected), "{rules}\n=> {err}");
    }
    // The specific rule first is fine.
    with_routes(
        &dir,
        "[[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /orders/export\"\nscopes = [\"orders:export\"]\n\n\
         [[vars.PORTCULLIS_ROUTES]]\nmatch = \"GET /orders/*\"\nscopes = [\"orders:read\"]\n",
    );
    assert_eq!(dir.check(&[]).status.code(), Some(0));
}

/// `scripts/check-config.sh DIR` (what `make check-config` runs), with this build's binary.
fn check_config_script(dir: &Scratch) -> Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new(root.join("scripts/check-config.sh"))
        .arg(&dir.0)
        .env("PORTCULLIS", BIN)
        .output()
        .expect("the script runs")
}

#[test]
fn make_check_config_reads_the_users_dev_vars_when_there_is_one() {
    let dir = valid_dir();
    let out = check_config_script(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(".dev.vars"), "{}", stdout(&out));

    with_dev_vars_line(&dir, "ORIGIN_URL=127.0.0.1:8788");
    let out = check_config_script(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("ORIGIN_URL"), "{}", stderr(&out));
}
