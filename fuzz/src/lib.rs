//! The checks behind each fuzz target, one public function per target.
//!
//! Each takes the fuzzer's bytes, feeds them to a real entry point of the core, and asserts
//! properties that must hold for every input: no panic, plus the oracles written beside
//! each call. `tests/fuzz_regressions.rs` includes this file as a module and replays every
//! seed and every saved crash through the same functions, so `cargo test` keeps them.
//!
//! Everything here depends only on `portcullis` and `serde_json`, which the root crate's
//! tests also have.

use std::sync::OnceLock;

use portcullis::jwt::keyring::{Alg, Key, Keyring};
use portcullis::jwt::mint::sign_compact;
use portcullis::jwt::token::decode_unverified;
use portcullis::jwt::verify::{verify, VerifyPolicy};
use portcullis::revocation::{
    entry_for, parse_introspect_request, parse_revoke_request, RevocationEntry, RevocationPolicy,
    RevocationSnapshot, RevokeRequest, MAX_IDENTIFIER_LEN,
};
use portcullis::routes::{normalize_path, RouteTable, MAX_PATH_LEN};
use serde_json::Value;

/// The fixed clock of every check.
pub const NOW: i64 = 1_700_000_000;
/// The audience the verifier requires.
pub const AUDIENCE: &str = "api";
/// The issuer the verifier requires.
pub const ISSUER: &str = "https://issuer.example";

/// The fixed key ring: three keys of three algorithms, `a` signs. The secrets are test
/// values, public on purpose.
pub const KEYS_JWKS: &str = r#"{"keys":[
 {"kty":"oct","kid":"a","alg":"HS256","key_ops":["sign","verify"],"k":"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE"},
 {"kty":"oct","kid":"b","alg":"HS512","key_ops":["verify"],"k":"YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYg"},
 {"kty":"oct","kid":"c","alg":"HS384","key_ops":["verify"],"k":"Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"}
]}"#;

/// The route table the path target matches against. Rule 0 guards `/admin` and everything
/// under it, so a string-prefix oracle can check the segment matcher.
pub const ROUTES: &str = r#"[
 {"match":"* /admin/**","scopes":["admin"]},
 {"match":"GET,HEAD /health","public":true},
 {"match":"GET /orders/*","scopes":["orders:read"],"allow_preflight":true},
 {"match":"* /a/*/b","scopes":[]},
 {"match":"POST /upload/","scopes":[]}
]"#;

const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "DELETE", "OPTIONS", "get"];

/// The fixed key ring, parsed once.
pub fn ring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| Keyring::from_jwks(KEYS_JWKS).expect("the fuzz key ring loads"))
}

/// A key with kid `a` (like the ring's signer) but another secret: its tokens must fail.
fn foreign_key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| Key::new(Some("a".into()), Alg::HS256, &[0x7a; 32]).expect("key"))
}

fn routes() -> &'static RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE.get_or_init(|| RouteTable::from_json_str(ROUTES).expect("the fuzz routes load"))
}

/// The policy the gate would apply: audience, issuer, leeway and a lifetime cap.
pub fn policy() -> VerifyPolicy {
    VerifyPolicy {
        audience: Some(AUDIENCE.into()),
        issuer: Some(ISSUER.into()),
        leeway: 30,
        max_ttl: Some(3600),
        ..VerifyPolicy::default()
    }
}

/// Token parsing and verification on arbitrary text: never panics, an accepted token also
/// decodes for display, and no error message repeats the signature segment.
pub fn token(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let policy = policy();
    let verified = verify(&text, ring(), &policy, NOW);
    let unverified = decode_unverified(&text);
    match &verified {
        Ok(_) => assert!(unverified.is_ok(), "a verified token must decode"),
        Err(e) => {
            assert!(!e.code().is_empty());
            // Only a segment that could be a real tag counts (a 16-byte tag or longer, in the
            // base64url alphabet): short or wordy ones may match the message's own words.
            let signature = text.rsplit('.').next().unwrap_or_default();
            let tag_like = signature.len() >= 32
                && signature
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if tag_like && text.contains('.') {
                let shown = format!("{e} {e:?}");
                assert!(
                    !shown.contains(signature),
                    "error repeats the signature: {shown}"
                );
            }
        }
    }
    // The default policy (no audience, issuer or lifetime rules) must not panic either.
    let _ = verify(&text, ring(), &VerifyPolicy::default(), NOW);
}

/// Verification of tokens whose header and payload the fuzzer chooses and which are signed
/// correctly, so the fuzzer gets past the MAC into header and claims parsing.
///
/// Layout: `data[0]` flags (bits 0-1 the key: ring keys `a`, `b`, `c`, or a foreign key
/// with kid `a`; bit 2 replaces the header with a well-formed one for that key), `data[1]`
/// the header length `n`, then `n` header bytes, then the payload bytes.
pub fn token_signed(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((&n, rest)) = rest.split_first() else {
        return;
    };
    let (header, payload) = rest.split_at(usize::from(n).min(rest.len()));
    let (key, foreign) = match flags & 3 {
        0 => (ring().get("a").expect("a"), false),
        1 => (ring().get("b").expect("b"), false),
        2 => (ring().get("c").expect("c"), false),
        _ => (foreign_key(), true),
    };
    let header: Vec<u8> = if flags & 4 != 0 {
        let kid = key.kid().unwrap_or_default();
        format!(r#"{{"alg":"{}","kid":"{kid}","typ":"JWT"}}"#, key.alg()).into_bytes()
    } else {
        header.to_vec()
    };
    let token = sign_raw(key, &header, payload);
    let policy = policy();
    let result = verify(&token, ring(), &policy, NOW);
    if foreign {
        assert!(
            result.is_err(),
            "a token signed with a key outside the ring was accepted"
        );
        return;
    }
    let Ok(verified) = result else { return };
    // Everything the policy demands holds for what it accepted.
    let claims = &verified.claims;
    assert!(
        NOW < claims.exp.saturating_add(30),
        "accepted an expired token"
    );
    assert!(claims.nbf.is_none_or(|nbf| nbf <= NOW + 30));
    assert!(claims.iat.is_none_or(|iat| iat <= NOW + 30));
    assert!(claims
        .aud
        .as_ref()
        .is_some_and(|aud| aud.contains(AUDIENCE)));
    assert_eq!(claims.iss.as_deref(), Some(ISSUER));
    assert!(claims.exp.saturating_sub(claims.iat.unwrap_or(NOW)) <= 3600);
    assert_eq!(
        verified.header.alg,
        key.alg(),
        "token verified under another algorithm"
    );
    assert!(
        verified.header.kid.is_none() || verified.header.kid.as_deref() == key.kid(),
        "token verified with a key it did not name"
    );
    // The display decoder agrees on the header and claims it saw.
    let shown = decode_unverified(&token).expect("a verified token decodes");
    assert!(shown.claims.get("exp").and_then(Value::as_f64).is_some());
    // Any change to the last signature character is caught.
    let mut tampered = token.clone();
    let last = tampered.pop().expect("non-empty");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert!(
        verify(&tampered, ring(), &policy, NOW).is_err(),
        "tampered tag accepted"
    );
}

/// Signs raw header and payload bytes (not necessarily JSON) in compact form.
fn sign_raw(key: &Key, header: &[u8], payload: &[u8]) -> String {
    // sign_compact takes JSON values; for raw bytes build the same shape by hand, with the
    // same tag function.
    let mut out = portcullis::codec::b64::encode(header);
    out.push('.');
    out.push_str(&portcullis::codec::b64::encode(payload));
    let mut tag = [0u8; portcullis::jwt::keyring::MAX_TAG_LEN];
    let len = key.tag(out.as_bytes(), &mut tag);
    out.push('.');
    out.push_str(&portcullis::codec::b64::encode(&tag[..len]));
    out
}

/// Keeps `sign_compact` and `sign_raw` in agreement (checked once by the regression test).
pub fn sign_raw_matches_sign_compact() -> bool {
    let key = ring().get("a").expect("a");
    let header = serde_json::json!({"alg":"HS256","kid":"a"});
    let payload = serde_json::json!({"exp": NOW + 60});
    sign_compact(key, &header, &payload)
        == sign_raw(
            key,
            header.to_string().as_bytes(),
            payload.to_string().as_bytes(),
        )
}

/// Path normalization and route matching: `data[0]` picks a method, the rest is the path.
/// A canonical path is idempotent, keeps its documented invariants, and the segment matcher
/// agrees with a plain string check on the `/admin/**` rule.
pub fn path(data: &[u8]) {
    let Some((&m, raw)) = data.split_first() else {
        return;
    };
    let method = METHODS[usize::from(m) % METHODS.len()];
    let raw = String::from_utf8_lossy(raw);
    let Ok(path) = normalize_path(&raw) else {
        return;
    };
    let p = path.as_str();
    assert_eq!(
        normalize_path(p).as_ref(),
        Ok(&path),
        "normalize_path is not idempotent"
    );
    assert!(p.starts_with('/') && p.len() <= MAX_PATH_LEN);
    assert!(!p.contains("//"), "empty segment survived: {p:?}");
    for segment in p[1..].split('/') {
        assert!(
            segment != "." && segment != "..",
            "dot segment survived: {p:?}"
        );
        let after_dots = segment
            .strip_prefix("..")
            .or_else(|| segment.strip_prefix('.'));
        assert!(
            !after_dots.is_some_and(|rest| rest.starts_with(';') || rest.starts_with("%3B")),
            "dot segment with parameters survived: {p:?}"
        );
    }
    let bytes = p.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        assert!(b.is_ascii_graphic(), "unescaped byte {b:#04x} in {p:?}");
        assert!(!matches!(b, b'\\' | b'?' | b'#'), "delimiter in {p:?}");
        if b == b'%' {
            let hex = |j: usize| {
                bytes
                    .get(j)
                    .is_some_and(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
            };
            assert!(hex(i + 1) && hex(i + 2), "bad escape in {p:?}");
        }
    }
    let rule = routes().find(method, &path);
    let under_admin = p == "/admin" || p.starts_with("/admin/");
    assert_eq!(
        rule.is_some_and(|r| r.index() == 0),
        under_admin,
        "admin rule vs prefix on {p:?}"
    );
    if let Some(rule) = rule {
        assert!(rule.matches(method, &path));
    }
    let _ = routes().find_preflight(method, &path);
}

/// The JWK Set loader: a loaded ring keeps its invariants and its keys work; nothing it
/// prints, loaded or refused, contains a `k` value from the input.
pub fn jwks(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secrets = k_values(text);
    let shown = match Keyring::from_jwks(text) {
        Ok(ring) => {
            let keys = ring.keys();
            assert!(!keys.is_empty());
            assert!(
                keys.iter().filter(|k| k.signs()).count() <= 1,
                "several signers"
            );
            if keys.len() > 1 {
                assert!(
                    keys.iter().all(|k| k.kid().is_some()),
                    "several keys, one without kid"
                );
            }
            for (i, key) in keys.iter().enumerate() {
                if let Some(kid) = key.kid() {
                    assert!(
                        keys[..i].iter().all(|k| k.kid() != Some(kid)),
                        "duplicate kid"
                    );
                    assert!(std::ptr::eq(ring.select(Some(kid)).expect("select"), key));
                }
                let mut tag = [0u8; portcullis::jwt::keyring::MAX_TAG_LEN];
                let len = key.tag(b"input", &mut tag);
                assert_eq!(len, key.alg().output_len());
                assert!(key.verify_tag(b"input", &tag[..len]).is_ok());
                assert!(key.verify_tag(b"inpuT", &tag[..len]).is_err());
            }
            format!("{ring:?}")
        }
        Err(e) => format!("{e} {e:?}"),
    };
    let single = match Keyring::from_jwk(text) {
        Ok(ring) => format!("{ring:?}"),
        Err(e) => format!("{e} {e:?}"),
    };
    for k in &secrets {
        assert!(!shown.contains(k.as_str()), "key material in {shown:?}");
        assert!(!single.contains(k.as_str()), "key material in {single:?}");
    }
}

/// Every `k` string anywhere in the JSON text, of 8 bytes or more, that is not also used
/// as another member's value (a kid may legitimately be printed).
fn k_values(text: &str) -> Vec<String> {
    fn walk(v: &Value, ks: &mut Vec<String>, others: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (name, value) in map {
                    match (name.as_str(), value) {
                        ("k", Value::String(s)) => ks.push(s.clone()),
                        (_, Value::String(s)) => others.push(s.clone()),
                        _ => {}
                    }
                    walk(value, ks, others);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, ks, others)),
            Value::String(s) => others.push(s.clone()),
            _ => {}
        }
    }
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let (mut ks, mut others) = (Vec::new(), Vec::new());
    walk(&doc, &mut ks, &mut others);
    ks.retain(|k| k.len() >= 8 && !others.iter().any(|o| o.contains(k.as_str())));
    ks
}

/// Admin API body parsing: `data[0]` picks the request (revoke, or introspect as form, as
/// JSON, without a content type), the rest is the body. An accepted revocation survives
/// the KV entry and snapshot encodings unchanged and revokes what it names; messages stay
/// short and never repeat a presented token.
pub fn admin(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let result = match mode % 4 {
        0 => parse_revoke_request(body, NOW).map(Some),
        1 => parse_introspect_request(body, Some("application/x-www-form-urlencoded")).map(|t| {
            assert!(!t.is_empty());
            None
        }),
        2 => parse_introspect_request(body, Some("application/json; charset=utf-8")).map(|t| {
            assert!(!t.is_empty());
            None
        }),
        _ => {
            assert!(parse_introspect_request(body, None).is_err());
            return;
        }
    };
    // A key request becomes a key revocation once the ring check allows it; the store's
    // limits are the same.
    let result = result.map(|request| {
        request.map(|request| match request {
            RevokeRequest::Key { kid, .. } => {
                RevokeRequest::Revoke(portcullis::revocation::Revocation::Key { kid })
            }
            other => other,
        })
    });
    match result {
        Err(e) => assert!(e.to_string().len() <= 200, "long admin error: {e}"),
        Ok(None) | Ok(Some(RevokeRequest::Key { .. })) => {}
        Ok(Some(RevokeRequest::Token(token))) => {
            assert!(!token.is_empty());
            // Only token-like text counts: a "token" spelling the redacted Debug output
            // itself (the fuzzer found `Token(<26 bytes redacted>)`) is no leak.
            let token_like = token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if token.len() >= 16 && token_like {
                let shown = format!("{:?}", RevokeRequest::Token(token.clone()));
                assert!(!shown.contains(&token), "Debug shows the token");
            }
        }
        Ok(Some(RevokeRequest::Revoke(rev))) => {
            let target = rev.target();
            assert!(!target.is_empty() && target.len() <= MAX_IDENTIFIER_LEN);
            assert!(rev
                .kv_key()
                .expect("an accepted identifier has a KV key")
                .starts_with("rev/"));
            let policy = RevocationPolicy {
                max_ttl: 3600,
                leeway: 30,
            };
            let entry = entry_for(rev.clone(), NOW, None, &policy);
            entry
                .metadata_json()
                .expect("an accepted identifier fits KV metadata");
            let decoded = RevocationEntry::from_json(&entry.to_json()).expect("entry round trip");
            assert_eq!(decoded, entry);
            if entry.is_expired(NOW) {
                // Only a subject cut-off so old that no token it covers can still be valid:
                // a token with `iat < before` has `exp <= iat + max_ttl`, already past.
                let portcullis::revocation::Revocation::Subject { before, .. } = rev else {
                    panic!("a fresh {:?} revocation is already expired", rev.kind());
                };
                assert!(
                    before
                        .saturating_add(policy.max_ttl)
                        .saturating_add(policy.leeway)
                        < NOW
                );
                return;
            }
            let snapshot = RevocationSnapshot::from_entries([entry.clone()], NOW);
            let again =
                RevocationSnapshot::from_json(&snapshot.to_json()).expect("snapshot round trip");
            assert_eq!(again, snapshot);
            let hit = match &rev {
                portcullis::revocation::Revocation::Token { jti } => {
                    snapshot.check(Some(jti), None, None, None, None)
                }
                portcullis::revocation::Revocation::Subject { sub, before } => {
                    assert!((0..=NOW).contains(before));
                    snapshot.check(None, Some(sub), Some(before - 1), None, None)
                }
                portcullis::revocation::Revocation::Key { kid } => {
                    snapshot.check(None, None, None, Some(kid), None)
                }
                portcullis::revocation::Revocation::Session { sid } => {
                    snapshot.check(None, None, None, None, Some(sid))
                }
            };
            assert!(
                hit.is_some(),
                "a fresh revocation does not revoke its target"
            );
        }
    }
}
