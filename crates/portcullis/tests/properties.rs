//! Properties: minted tokens verify to the claims they carry, no single-byte change to a
//! valid token survives, and the verifier never panics, whatever it is given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::collections::BTreeMap;

use common::*;
use portcullis::jwt::claims::{Audience, REGISTERED};
use portcullis::jwt::error::TokenError;
use portcullis::jwt::keyring::{Alg, Key, Keyring};
use portcullis::jwt::mint::{mint, MintRequest};
use portcullis::jwt::verify::{verify, VerifyPolicy};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Map, Value};

const CASES: u32 = 256;

fn any_alg() -> impl Strategy<Value = Alg> {
    prop::sample::select(Alg::ALL.to_vec())
}

fn any_claim_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        prop::collection::vec("[a-z]{0,6}", 0..4).prop_map(|v| json!(v)),
    ]
}

fn any_extra() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z_][a-z0-9_:]{0,11}", any_claim_value(), 0..5).prop_map(
        |m: BTreeMap<String, Value>| {
            m.into_iter()
                .filter(|(k, _)| !REGISTERED.contains(&k.as_str()))
                .collect()
        },
    )
}

/// One key per algorithm, in a ring that needs `kid`s.
fn keys() -> (Vec<Key>, Keyring) {
    let keys: Vec<Key> = Alg::ALL
        .iter()
        .enumerate()
        .map(|(i, &alg)| key(Some(alg.name()), alg, i as u8 + 1))
        .collect();
    let ring = ring(&keys.iter().collect::<Vec<_>>());
    (keys, ring)
}

fn key_for(keys: &[Key], alg: Alg) -> &Key {
    keys.iter().find(|k| k.alg() == alg).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        // Integration tests have no lib.rs beside them; keep regressions in a known file.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/proptest-regressions/properties.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn minted_tokens_verify_to_their_claims(
        alg in any_alg(),
        sub in any::<String>(),
        scope in prop::option::of("[a-z:]{1,8}( [a-z:]{1,8}){0,4}"),
        aud in prop::option::of(prop::collection::vec("[a-z0-9.:/-]{1,20}", 1..4)),
        iss in prop::option::of("https://[a-z]{1,10}\\.example"),
        extra in any_extra(),
        ttl in 1u64..=86_400,
        now in 0i64..4_000_000_000,
    ) {
        let (keys, ring) = keys();
        let key = key_for(&keys, alg);
        let audience = aud.as_ref().map(|a| a[0].clone());
        let req = MintRequest {
            sub: sub.clone(),
            scope: scope.clone(),
            aud: aud.map(|mut a| if a.len() == 1 { Audience::One(a.remove(0)) } else { Audience::Many(a) }),
            iss: iss.clone(),
            ttl,
            extra: extra.clone(),
        };
        let minted = mint(key, &req, now, Some(ttl)).unwrap();
        let policy = VerifyPolicy {
            algorithms: vec![alg],
            audience,
            issuer: iss,
            max_ttl: Some(ttl),
            ..VerifyPolicy::default()
        };
        let ok = verify(&minted.token, &ring, &policy, now).unwrap();
        prop_assert_eq!(&ok.claims, &minted.claims);
        prop_assert_eq!(ok.header.alg, alg);
        prop_assert_eq!(ok.header.kid.as_deref(), Some(alg.name()));
        prop_assert_eq!(ok.claims.sub.as_deref(), Some(sub.as_str()));
        prop_assert_eq!(&ok.claims.extra, &extra);
        prop_assert_eq!(ok.claims.exp, now + ttl as i64);
        // Still valid in its last second, expired at exp.
        prop_assert!(verify(&minted.token, &ring, &policy, now + ttl as i64 - 1).is_ok());
        prop_assert_eq!(
            verify(&minted.token, &ring, &policy, now + ttl as i64).unwrap_err(),
            TokenError::Expired { exp: now + ttl as i64, now: now + ttl as i64, leeway: 0 }
        );
    }

    #[test]
    fn any_single_character_change_is_rejected(
        alg in any_alg(),
        pos in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let (keys, ring) = keys();
        let token = valid_token(key_for(&keys, alg));
        let i = pos.index(token.len());
        prop_assume!(token.as_bytes()[i] as char != replacement);
        let mut tampered = token.clone();
        tampered.replace_range(i..i + 1, replacement.encode_utf8(&mut [0; 4]));
        let got = verify(&tampered, &ring, &policy(), NOW);
        prop_assert!(got.is_err(), "accepted {tampered:?}");
        if i > token.find('.').unwrap() {
            prop_assert!(is_signature_layer_error(got.as_ref().unwrap_err()), "{:?}", got);
        }
    }

    #[test]
    fn verify_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let (_, ring) = keys();
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(verify(&text, &ring, &policy(), NOW).is_err());
    }

    #[test]
    fn verify_never_panics_on_token_shaped_strings(text in "[A-Za-z0-9_=+/ .-]{0,400}") {
        let (_, ring) = keys();
        prop_assert!(verify(&text, &ring, &policy(), NOW).is_err());
    }

    #[test]
    fn verify_never_panics_on_mutated_tokens(
        alg in any_alg(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..8),
    ) {
        let (keys, ring) = keys();
        let token = valid_token(key_for(&keys, alg));
        let mut chars: Vec<char> = token.chars().collect();
        for (pos, op, c) in edits {
            match op {
                0 if !chars.is_empty() => { let i = pos.index(chars.len()); chars[i] = c; }
                1 => { let i = pos.index(chars.len() + 1); chars.insert(i, c); }
                _ if !chars.is_empty() => { let i = pos.index(chars.len()); chars.remove(i); }
                _ => {}
            }
        }
        let mutated: String = chars.into_iter().collect();
        let got = verify(&mutated, &ring, &policy(), NOW);
        prop_assert!(got.is_err() || mutated == token, "accepted {mutated:?}");
    }

    #[test]
    fn verify_never_panics_on_signed_arbitrary_payloads(alg in any_alg(), payload in any::<String>()) {
        // A correct tag over whatever text: the claims layer must classify it, not panic.
        let (keys, ring) = keys();
        let key = key_for(&keys, alg);
        let token = craft(&header_for(key), &payload, key);
        let _ = verify(&token, &ring, &policy(), NOW);
    }

    #[test]
    fn verify_never_panics_on_signed_time_claims(
        alg in any_alg(),
        exp in "-?[0-9]{1,25}(\\.[0-9]{1,5})?([eE][+-]?[0-9]{1,3})?",
        iat in "-?[0-9]{1,25}(\\.[0-9]{1,5})?",
        now in any::<i64>(),
        leeway in any::<u64>(),
        max_ttl in prop::option::of(any::<u64>()),
    ) {
        let (keys, ring) = keys();
        let key = key_for(&keys, alg);
        let token = craft(&header_for(key), &format!(r#"{{"exp":{exp},"iat":{iat}}}"#), key);
        let policy = VerifyPolicy { leeway, max_ttl, ..VerifyPolicy::default() };
        if let Ok(ok) = verify(&token, &ring, &policy, now) {
            // Whatever was accepted respects the rule it was checked against.
            prop_assert!(i128::from(now) < i128::from(ok.claims.exp) + i128::from(leeway));
        }
    }
}

/// Errors a tampered payload or signature may produce: the tag is checked before any claim
/// is read, so nothing from the claims layer may appear.
fn is_signature_layer_error(e: &TokenError) -> bool {
    matches!(
        e,
        TokenError::BadSignature
            | TokenError::Encoding { .. }
            | TokenError::SegmentCount { .. }
            | TokenError::TagLength { .. }
    )
}

/// Exhaustive: every position of a valid token of each algorithm, every ASCII replacement.
#[test]
fn every_single_byte_change_is_rejected_exhaustively() {
    let (keys, ring) = keys();
    let mut tried = 0usize;
    for alg in Alg::ALL {
        let token = valid_token(key_for(&keys, alg));
        assert!(
            verify(&token, &ring, &policy(), NOW).is_ok(),
            "baseline {alg}"
        );
        let header_end = token.find('.').unwrap();
        let mut bytes = token.clone().into_bytes();
        for i in 0..bytes.len() {
            let original = bytes[i];
            for b in (0u8..0x80).filter(|&b| b != original) {
                bytes[i] = b;
                let tampered = std::str::from_utf8(&bytes).unwrap();
                match verify(tampered, &ring, &policy(), NOW) {
                    Ok(_) => {
                        panic!("{alg}: byte {i} {original:#04x} -> {b:#04x} accepted: {tampered:?}")
                    }
                    Err(e) if i > header_end => {
                        assert!(
                            is_signature_layer_error(&e),
                            "{alg}: byte {i} -> {b:#04x}: {e:?}"
                        )
                    }
                    Err(_) => {}
                }
                tried += 1;
            }
            bytes[i] = original;
        }
    }
    assert!(tried > 3 * 100 * 127, "{tried}");
    eprintln!("single-byte changes tried: {tried}");
}
