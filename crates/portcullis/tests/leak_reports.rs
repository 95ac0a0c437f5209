//! Leak reports signed as GitHub signs them (ECDSA P-256 / SHA-256, DER, base64), with a key
//! generated here; the core's key selection and DER-to-raw conversion must hand a verifier
//! (here `p256`, in the Worker WebCrypto) exactly what verifies the body, and nothing that
//! verifies a changed body or under another key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use portcullis::leaks::partner::{signed_by, ReporterKeys};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32].into()).unwrap()
}

fn keys_setting(keys: &[(&str, &SigningKey, bool)]) -> ReporterKeys {
    let list: Vec<_> = keys
        .iter()
        .map(|(id, k, current)| {
            let pem = k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
            serde_json::json!({"key_identifier": id, "key": pem, "is_current": current})
        })
        .collect();
    ReporterKeys::from_json(&serde_json::json!({ "public_keys": list }).to_string()).unwrap()
}

fn github_signature(key: &SigningKey, body: &[u8]) -> String {
    let sig: DerSignature = key.sign(body);
    STANDARD.encode(sig.as_bytes())
}

/// Verifies as the Worker does: the raw point and the raw `r || s`.
fn verifies(keys: &ReporterKeys, id: &str, sig: &str, body: &[u8]) -> bool {
    let signed = signed_by(Some(keys), Some(id), Some(sig)).unwrap();
    let key = VerifyingKey::from_sec1_bytes(&signed.key.point).unwrap();
    let sig = Signature::from_slice(&signed.signature).unwrap();
    key.verify(body, &sig).is_ok()
}

#[test]
fn a_report_signed_by_the_named_key_verifies_from_the_converted_signature() {
    let (old, current) = (key(1), key(2));
    let keys = keys_setting(&[("old", &old, false), ("current", &current, true)]);
    for seed in 0..32u8 {
        let body = format!(r#"[{{"token":"t{seed}","type":"x","url":"u","source":"content"}}]"#);
        let sig = github_signature(&current, body.as_bytes());
        assert!(verifies(&keys, "current", &sig, body.as_bytes()), "{seed}");
        // A rotation: the old key is still listed, so its reports still verify.
        let sig = github_signature(&old, body.as_bytes());
        assert!(verifies(&keys, "old", &sig, body.as_bytes()), "{seed}");
    }
}

#[test]
fn a_changed_byte_a_wrong_key_or_the_wrong_identifier_does_not_verify() {
    let (old, current) = (key(1), key(2));
    let keys = keys_setting(&[("old", &old, false), ("current", &current, true)]);
    let body = br#"[{"token":"t","type":"x","url":"https://github.com/o/r","source":"content"}]"#;
    let sig = github_signature(&current, body);
    for i in 0..body.len() {
        let mut changed = body.to_vec();
        changed[i] ^= 1;
        assert!(!verifies(&keys, "current", &sig, &changed), "byte {i}");
    }
    assert!(!verifies(&keys, "old", &sig, body), "named the other key");
    let stranger = github_signature(&key(3), body);
    assert!(!verifies(&keys, "current", &stranger, body));
}
