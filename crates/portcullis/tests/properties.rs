//! Properties: minted tokens verify to the claims they carry, no single-byte change to a
//! valid token survives, and the verifier never panics, whatever it is given.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::collections::BTreeMap;

use common::*;
use portcullis::http::{check_revocation, Denial, Revocations};
use portcullis::jwt::claims::{Audience, REGISTERED};
use portcullis::jwt::error::{MintError, TokenError};
use portcullis::jwt::keyring::{Alg, Key, Keyring};
use portcullis::jwt::mint::{mint, MintRequest};
use portcullis::jwt::verify::VerifiedToken;
use portcullis::jwt::verify::{verify, VerifyPolicy};
use portcullis::revocation::{
    check_key_revocation, entry_for, identifier_problem, parse_revoke_request, CompactList,
    RevocationEntry, RevocationLookup, RevocationPolicy, RevocationSnapshot, RevokeRequest,
    RevokedBy,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Map, Value};

const CASES: u32 = 256;

/// Every property block's settings: integration tests have no lib.rs beside them, so
/// regressions are kept in one known file.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

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
    #![proptest_config(config())]

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
        // A subject the gate could not revoke is refused at minting: the gate would refuse
        // the token (see every_accepted_token_can_be_revoked_by_each_identifier).
        if let Some(problem) = identifier_problem(&sub) {
            prop_assert_eq!(
                mint(key, &req, now, Some(ttl)).unwrap_err(),
                MintError::UnrevocableSubject(problem)
            );
            return Ok(());
        }
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

/// Identifiers of every kind that matters to the store: arbitrary text (control characters
/// included), near the length limit, escapes JSON doubles, the empty string.
fn any_identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z\"\\\\é\u{10FFFF}]{250,260}",
        "[ -~]{0,300}",
        "[\\x00-\\x20a]{0,4}",
        Just(String::new()),
    ]
}

/// Revokes by a JSON body as the admin API does: parse, build the entry, store it (KV key and
/// metadata must fit), read it back from the metadata, build and round-trip the snapshot.
fn revoke_through_the_store(ring: &Keyring, body: Value, token_exp: i64) -> RevocationSnapshot {
    // The edge measures `before` from the next second, as here.
    let rev = match parse_revoke_request(body.to_string().as_bytes(), NOW + 1).unwrap() {
        RevokeRequest::Revoke(rev) => rev,
        RevokeRequest::Key { kid, .. } => check_key_revocation(ring, None, &kid, true).unwrap(),
        RevokeRequest::Token(_) => unreachable!("no token bodies here"),
    };
    let policy = RevocationPolicy {
        max_ttl: 3600,
        leeway: 0,
    };
    let entry = entry_for(rev, NOW, Some(token_exp), &policy);
    assert!(entry.kv_key().unwrap().len() <= portcullis::revocation::MAX_KV_KEY_LEN);
    let stored = RevocationEntry::from_json(&entry.metadata_json().unwrap()).unwrap();
    assert_eq!(stored, entry);
    let snapshot = RevocationSnapshot::from_entries([stored], NOW);
    RevocationSnapshot::from_json(&snapshot.to_json()).unwrap()
}

/// What the gate answers with the clear snapshot, checked to be what it answers with the
/// compact list an isolate holds (through its binary form, as loaded from KV).
fn revoked_by(token: &VerifiedToken, snapshot: &RevocationSnapshot) -> Option<RevokedBy> {
    let answer = |list: &dyn RevocationLookup| match check_revocation(
        token,
        false,
        Revocations::Current(list),
    ) {
        Ok(_) => None,
        Err(Denial::Revoked { by, .. }) => Some(by),
        Err(other) => panic!("unexpected {other:?}"),
    };
    let compact = CompactList::decode(&CompactList::from_snapshot(snapshot).encode()).unwrap();
    let by = answer(snapshot);
    assert_eq!(
        answer(&compact),
        by,
        "the compact list answers as the snapshot does"
    );
    by
}

proptest! {
    #![proptest_config(config())]

    /// The invariant of issue 10 items 1 and 2: every token verify accepts can be revoked by
    /// its `jti`, by its `sub`, by the key that verified it and (issue 14) by its grant's
    /// `sid`, through the admin API's own parser and the store's limits, and that revocation
    /// then refuses it. A token is refused at verification exactly when its `sub` or `jti`
    /// could not be revoked.
    #[test]
    fn every_accepted_token_can_be_revoked_by_each_identifier(
        sub in prop::option::of(any_identifier()),
        jti in prop::option::of(any_identifier()),
        sid in prop::option::of(any_identifier()),
        iat_ms in prop::option::of(0i64..=NOW * 1000),
        name_kid in any::<bool>(),
    ) {
        // A one-key ring: a token may leave out its kid, and is still verified by "k1".
        let key = key(Some("k1"), Alg::HS256, 9);
        let ring = ring(&[&key]);
        let exp = NOW + 60;
        let mut claims = json!({ "exp": exp });
        if let Some(sub) = &sub { claims["sub"] = json!(sub); }
        if let Some(jti) = &jti { claims["jti"] = json!(jti); }
        if let Some(sid) = &sid { claims["sid"] = json!(sid); }
        if let Some(ms) = iat_ms { claims["iat"] = json!(ms as f64 / 1000.0); }
        let header = if name_kid { r#"{"alg":"HS256","kid":"k1"}"# } else { r#"{"alg":"HS256"}"# };
        let token = craft(header, &claims.to_string(), &key);
        let unrevocable = [("sub", &sub), ("jti", &jti)]
            .into_iter()
            .find_map(|(claim, v)| Some((claim, identifier_problem(v.as_deref()?)?)));
        let ok = match (verify(&token, &ring, &policy(), NOW), unrevocable) {
            (Err(TokenError::UnrevocableClaim { claim, problem }), Some(expected)) => {
                prop_assert_eq!((claim, problem), expected);
                return Ok(());
            }
            (Ok(ok), None) => ok,
            (got, expected) => {
                prop_assert!(false, "verify gave {:?}, unrevocable: {:?}", got, expected);
                unreachable!()
            }
        };
        prop_assert_eq!(ok.key_id.as_deref(), Some("k1"));
        prop_assert_eq!(revoked_by(&ok, &RevocationSnapshot::empty(NOW)), None);
        if let Some(jti) = &jti {
            let snap = revoke_through_the_store(&ring, json!({ "jti": jti }), exp);
            prop_assert_eq!(revoked_by(&ok, &snap), Some(RevokedBy::Token));
        }
        if let Some(sub) = &sub {
            let snap = revoke_through_the_store(&ring, json!({ "sub": sub }), exp);
            prop_assert_eq!(revoked_by(&ok, &snap), Some(RevokedBy::Subject { before: NOW + 1 }));
        }
        // The gate mints `sid` itself (a grant id); any identifier the admin API takes works.
        if let Some(sid) = sid.as_deref().filter(|s| identifier_problem(s).is_none()) {
            let snap = revoke_through_the_store(&ring, json!({ "sid": sid }), exp);
            prop_assert_eq!(revoked_by(&ok, &snap), Some(RevokedBy::Session));
        }
        let snap = revoke_through_the_store(&ring, json!({ "kid": "k1" }), exp);
        prop_assert_eq!(revoked_by(&ok, &snap), Some(RevokedBy::Key));
    }

    /// Issue 10 item 3: a subject revocation covers exactly the tokens with `iat < before`,
    /// comparing the exact (fractional) `iat`: `before - 0.5` is covered, `before` is not.
    #[test]
    fn subject_revocation_compares_the_exact_iat(
        iat_ms in (NOW - 10) * 1000..=NOW * 1000,
        before in NOW - 10..=NOW,
    ) {
        let key = key(Some("k1"), Alg::HS256, 9);
        let ring = ring(&[&key]);
        let iat = iat_ms as f64 / 1000.0;
        let claims = json!({ "sub": "alice", "iat": iat, "exp": NOW + 60 });
        let ok = verify(&token_with(&key, &claims), &ring, &policy(), NOW).unwrap();
        let body = json!({ "sub": "alice", "before": before });
        let snap = revoke_through_the_store(&ring, body, NOW + 60);
        let covered = iat_ms < before * 1000;
        prop_assert_eq!(revoked_by(&ok, &snap).is_some(), covered, "iat {} before {}", iat, before);
    }
}

#[test]
fn fractional_iat_just_below_the_cut_off_is_revoked() {
    let key = key(Some("k1"), Alg::HS256, 9);
    let ring = ring(&[&key]);
    let before = NOW - 5;
    for (iat, revoked) in [
        (json!(before as f64 - 0.5), true),
        (json!(before as f64 - 0.001), true),
        (json!(before - 1), true),
        (json!(before), false),
        (json!(before as f64 + 0.5), false),
    ] {
        let claims = json!({ "sub": "alice", "iat": iat, "exp": NOW + 60 });
        let ok = verify(&token_with(&key, &claims), &ring, &policy(), NOW).unwrap();
        let snap =
            revoke_through_the_store(&ring, json!({ "sub": "alice", "before": before }), NOW + 60);
        assert_eq!(revoked_by(&ok, &snap).is_some(), revoked, "iat {iat}");
    }
}

#[test]
fn a_key_revocation_covers_tokens_that_name_no_kid() {
    let key = key(Some("k1"), Alg::HS256, 9);
    let ring = ring(&[&key]);
    let claims = json!({ "sub": "alice", "exp": NOW + 60 });
    let token = craft(r#"{"alg":"HS256"}"#, &claims.to_string(), &key);
    let ok = verify(&token, &ring, &policy(), NOW).unwrap();
    assert_eq!(
        (ok.header.kid.as_deref(), ok.key_id.as_deref()),
        (None, Some("k1"))
    );
    let snap = revoke_through_the_store(&ring, json!({ "kid": "k1" }), NOW + 60);
    assert_eq!(revoked_by(&ok, &snap), Some(RevokedBy::Key));
    let Err(Denial::Revoked { principal, .. }) =
        check_revocation(&ok, false, Revocations::Current(&snap))
    else {
        panic!("not revoked");
    };
    assert_eq!(principal.kid.as_deref(), Some("k1"));
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
