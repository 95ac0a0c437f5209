//! Helpers shared by the integration tests: deterministic keys, key rings, and a token
//! builder that signs ANY header and payload text, so attack cases can craft anything.
#![allow(dead_code)] // each test binary uses a different subset
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use portcullis::codec::b64;
use portcullis::jwt::keyring::{Alg, Key, Keyring, MAX_TAG_LEN};
use portcullis::jwt::verify::VerifyPolicy;
use serde_json::{json, Value};

/// A fixed "now" for tests: 2023-11-14T22:13:20Z.
pub const NOW: i64 = 1_700_000_000;

/// A deterministic full-length secret for `alg`, distinct per `seed`.
pub fn secret(alg: Alg, seed: u8) -> Vec<u8> {
    (0..alg.output_len())
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

/// A deterministic key.
pub fn key(kid: Option<&str>, alg: Alg, seed: u8) -> Key {
    Key::new(kid.map(str::to_owned), alg, &secret(alg, seed)).expect("full-length key")
}

/// A key ring holding exactly these keys (via the JWK Set loader, as production does).
pub fn ring(keys: &[&Key]) -> Keyring {
    let set = json!({ "keys": keys.iter().map(|k| k.to_jwk()).collect::<Vec<_>>() });
    Keyring::from_jwks(&set.to_string()).expect("test ring loads")
}

/// The base64url tag of `key` over `signing_input`.
pub fn tag_b64(key: &Key, signing_input: &str) -> String {
    let mut tag = [0u8; MAX_TAG_LEN];
    let n = key.tag(signing_input.as_bytes(), &mut tag);
    b64::encode(&tag[..n])
}

/// Signs already-encoded (or deliberately mis-encoded) segments: `h.p.tag(h.p)`.
pub fn sign_segments(header_seg: &str, payload_seg: &str, key: &Key) -> String {
    let input = format!("{header_seg}.{payload_seg}");
    let tag = tag_b64(key, &input);
    format!("{input}.{tag}")
}

/// Builds a token from header and payload TEXT (byte for byte, not re-serialized).
pub fn craft(header_json: &str, payload_json: &str, key: &Key) -> String {
    craft_bytes(header_json.as_bytes(), payload_json.as_bytes(), key)
}

/// Builds a token from raw header and payload bytes (which need not be UTF-8 or JSON).
pub fn craft_bytes(header: &[u8], payload: &[u8], key: &Key) -> String {
    sign_segments(&b64::encode(header), &b64::encode(payload), key)
}

/// The plain HS header for `key`, naming its `kid` when it has one.
pub fn header_for(key: &Key) -> String {
    match key.kid() {
        Some(kid) => json!({ "alg": key.alg().name(), "kid": kid }).to_string(),
        None => json!({ "alg": key.alg().name() }).to_string(),
    }
}

/// A token for `key` carrying `claims` (serialized compactly).
pub fn token_with(key: &Key, claims: &Value) -> String {
    craft(&header_for(key), &claims.to_string(), key)
}

/// A token for `key` that is valid at [`NOW`] under [`policy`]: `exp = NOW + 60`.
pub fn valid_token(key: &Key) -> String {
    token_with(key, &json!({ "sub": "alice", "iat": NOW, "exp": NOW + 60 }))
}

/// The default policy: every HS algorithm, no audience, no issuer, no leeway.
pub fn policy() -> VerifyPolicy {
    VerifyPolicy::default()
}

/// Splits a compact token into its three segments (test-side, no checks).
pub fn segments(token: &str) -> [String; 3] {
    let v: Vec<&str> = token.split('.').collect();
    assert_eq!(v.len(), 3, "not a three-segment token: {token}");
    [v[0].to_owned(), v[1].to_owned(), v[2].to_owned()]
}

/// Flips the lowest bit of the last symbol of an unpadded base64url segment whose length
/// leaves spare trailing bits: the same bytes, spelled non-canonically.
pub fn non_canonical(seg: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    assert!(
        matches!(seg.len() % 4, 2 | 3),
        "segment {seg:?} has no spare trailing bits"
    );
    let last = *seg.as_bytes().last().unwrap();
    let value = ALPHABET.iter().position(|&c| c == last).unwrap();
    assert_eq!(value & 1, 0, "canonical segments end in zero bits");
    let mut out = seg[..seg.len() - 1].to_owned();
    out.push(ALPHABET[value | 1] as char);
    out
}

/// Decodes hex (test vectors).
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Reads a JSON file.
pub fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The repository's `tests/vectors/` (shared with the end-to-end suite and the fuzz seeds).
pub fn crate_vectors() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors"))
}

/// Set to `1` to rewrite the vector files under `tests/vectors/` from the Rust tables.
pub const REGENERATE_VECTORS: &str = "PORTCULLIS_REGENERATE_VECTORS";

/// The drift check of a vector file generated from a Rust table: `tests/vectors/<name>` must
/// hold exactly `value` (pretty JSON, one trailing newline). With
/// `PORTCULLIS_REGENERATE_VECTORS=1` the file is rewritten instead. A missing file fails.
pub fn check_vector_file(name: &str, value: &Value) {
    let path = crate_vectors().join(name);
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var(REGENERATE_VECTORS).as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("rewrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; regenerate it with {REGENERATE_VECTORS}=1 (tests/vectors/README.md)",
            path.display()
        )
    });
    assert!(
        committed == text,
        "{} differs from the table that generates it; if the table changed on purpose, \
         regenerate it with {REGENERATE_VECTORS}=1 (tests/vectors/README.md) and commit both",
        path.display()
    );
}

/// Reads the vector file `tests/vectors/<name>`; a missing file fails the test. While the
/// files are being regenerated, `fresh` (the table the file is about to hold) stands in, so
/// no test reads a file another test is rewriting.
pub fn vector_file(name: &str, fresh: impl FnOnce() -> Value) -> Value {
    if std::env::var(REGENERATE_VECTORS).as_deref() == Ok("1") {
        return fresh();
    }
    read_json(&crate_vectors().join(name))
}
