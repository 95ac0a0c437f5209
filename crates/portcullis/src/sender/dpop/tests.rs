//! DPoP proofs signed with real keys (p256, ed25519-dalek), each refusal by its reason.

use ed25519_dalek::Signer as _;
use serde_json::{json, Value};

use super::*;
use crate::sender::Scheme;

const NOW: i64 = 1_700_000_000;
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
const HTU: &str = "https://api.example.com/orders/1";

enum Signer {
    Es(p256::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
}

impl Signer {
    fn es() -> Signer {
        Signer::Es(p256::ecdsa::SigningKey::from_bytes(&[3u8; 32].into()).unwrap())
    }
    fn ed() -> Signer {
        Signer::Ed(ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]))
    }
    fn alg(&self) -> &'static str {
        match self {
            Signer::Es(_) => "ES256",
            Signer::Ed(_) => "EdDSA",
        }
    }
    fn jwk(&self) -> Value {
        match self {
            Signer::Es(k) => {
                let point = k.verifying_key().to_encoded_point(false);
                json!({"kty":"EC","crv":"P-256","x": b64::encode(point.x().unwrap()), "y": b64::encode(point.y().unwrap())})
            }
            Signer::Ed(k) => {
                json!({"kty":"OKP","crv":"Ed25519","x": b64::encode(k.verifying_key().to_bytes())})
            }
        }
    }
    fn jkt(&self) -> String {
        let jwk = self.jwk();
        let alg = ProofAlg::from_name(self.alg()).unwrap();
        ProofKey::from_jwk(jwk.as_object().unwrap(), alg)
            .unwrap()
            .thumbprint()
    }
    fn sign(&self, header: &Value, payload: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string()),
            b64::encode(payload.to_string())
        );
        let sig = match self {
            Signer::Es(k) => {
                let s: p256::ecdsa::Signature = k.sign(input.as_bytes());
                s.to_bytes().to_vec()
            }
            Signer::Ed(k) => k.sign(input.as_bytes()).to_bytes().to_vec(),
        };
        format!("{input}.{}", b64::encode(sig))
    }
    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": self.alg(), "jwk": self.jwk()})
    }
    fn proof(&self, payload: Value) -> String {
        self.sign(&self.header(), &payload)
    }
}

fn claims() -> Value {
    json!({"jti": "j1", "htm": "GET", "htu": HTU, "iat": NOW, "ath": access_token_hash(TOKEN)})
}

fn presentation(proof: &str) -> Presentation<'_> {
    Presentation {
        scheme: Scheme::Dpop,
        dpop_proof: Some(proof),
        client_cert: None,
        method: "GET",
        htu: HTU,
        token: TOKEN,
    }
}

fn decide(
    jkt: &str,
    proof: &str,
    settings: &DpopSettings,
    cache: &mut ReplayCache,
    now: i64,
) -> Result<(), BindingError> {
    check_proof(jkt, &presentation(proof), settings, now)?.verify_with(
        &NativeVerifier,
        settings,
        cache,
        now,
    )
}

fn once(signer: &Signer, payload: Value) -> Result<(), BindingError> {
    let proof = signer.proof(payload);
    decide(
        &signer.jkt(),
        &proof,
        &DpopSettings::default(),
        &mut ReplayCache::default(),
        NOW,
    )
}

fn with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims();
    change(c.as_object_mut().unwrap());
    c
}

#[test]
fn es256_and_eddsa_proofs_are_accepted() {
    for signer in [Signer::es(), Signer::ed()] {
        assert_eq!(once(&signer, claims()), Ok(()), "{}", signer.alg());
        // The request URL in another spelling of the same resource.
        assert_eq!(
            once(
                &signer,
                with(|c| {
                    c.insert(
                        "htu".into(),
                        json!("HTTPS://api.example.com:443/orders/./1?q=1"),
                    );
                })
            ),
            Ok(())
        );
    }
}

#[test]
fn each_wrong_claim_is_refused_with_its_reason() {
    let s = Signer::es();
    let cases: Vec<(Value, BindingError)> = vec![
        (
            with(|c| {
                c.insert("htm".into(), json!("POST"));
            }),
            BindingError::ProofMethodMismatch,
        ),
        (
            with(|c| {
                c.insert("htu".into(), json!("https://api.example.com/orders/2"));
            }),
            BindingError::ProofUrlMismatch,
        ),
        (
            with(|c| {
                c.insert("htu".into(), json!("https://evil.example/orders/1"));
            }),
            BindingError::ProofUrlMismatch,
        ),
        (
            with(|c| {
                c.insert("iat".into(), json!(NOW - 61));
            }),
            BindingError::ProofIatOutOfWindow {
                iat: NOW - 61,
                now: NOW,
                window: 60,
            },
        ),
        (
            with(|c| {
                c.insert("iat".into(), json!(NOW + 61));
            }),
            BindingError::ProofIatOutOfWindow {
                iat: NOW + 61,
                now: NOW,
                window: 60,
            },
        ),
        (
            with(|c| {
                c.insert("ath".into(), json!(access_token_hash("another")));
            }),
            BindingError::ProofTokenHashMismatch,
        ),
        (
            with(|c| {
                c.remove("ath");
            }),
            BindingError::ProofTokenHashMismatch,
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(once(&s, payload.clone()), Err(want), "{payload}");
    }
    for missing in ["jti", "htm", "htu", "iat"] {
        let r = once(
            &s,
            with(|c| {
                c.remove(missing);
            }),
        );
        assert!(
            matches!(r, Err(BindingError::ProofMalformed { .. })),
            "{missing}: {r:?}"
        );
    }
}

#[test]
fn a_replayed_proof_is_refused_and_a_refused_one_does_not_use_up_its_jti() {
    let s = Signer::ed();
    let settings = DpopSettings::default();
    let mut cache = ReplayCache::default();
    let proof = s.proof(claims());
    assert_eq!(decide(&s.jkt(), &proof, &settings, &mut cache, NOW), Ok(()));
    assert_eq!(
        decide(&s.jkt(), &proof, &settings, &mut cache, NOW + 5),
        Err(BindingError::ProofReplayed)
    );
    let stale = s.proof(with(|c| {
        c.insert("jti".into(), json!("j2"));
        c.insert("htm".into(), json!("PUT"));
    }));
    assert!(decide(&s.jkt(), &stale, &settings, &mut cache, NOW).is_err());
    let fresh = s.proof(with(|c| {
        c.insert("jti".into(), json!("j2"));
    }));
    assert_eq!(decide(&s.jkt(), &fresh, &settings, &mut cache, NOW), Ok(()));
}

#[test]
fn the_header_is_checked_before_the_signature() {
    let s = Signer::es();
    let other = Signer::ed();
    // Another key than the token's cnf.jkt.
    assert_eq!(
        decide(
            &other.jkt(),
            &s.proof(claims()),
            &DpopSettings::default(),
            &mut ReplayCache::default(),
            NOW
        ),
        Err(BindingError::ProofKeyMismatch)
    );
    // typ, alg none, HS256.
    let mut h = s.header();
    h["typ"] = json!("JWT");
    assert_eq!(once_with_header(&s, h), Err(BindingError::ProofWrongType));
    for alg in ["none", "HS256", "RS256", "ES384"] {
        let mut h = s.header();
        h["alg"] = json!(alg);
        assert_eq!(
            once_with_header(&s, h),
            Err(BindingError::ProofAlgorithmNotAllowed { alg: alg.into() }),
            "{alg}"
        );
    }
    // The private key in the header.
    let mut h = s.header();
    h["jwk"]["d"] = json!(b64::encode([3u8; 32]));
    assert_eq!(once_with_header(&s, h), Err(BindingError::ProofPrivateKey));
    // A header jwk whose key did not sign (the signature is checked).
    let mut h = s.header();
    h["jwk"] = Signer::Es(p256::ecdsa::SigningKey::from_bytes(&[9u8; 32].into()).unwrap()).jwk();
    let jkt = ProofKey::from_jwk(h["jwk"].as_object().unwrap(), ProofAlg::Es256)
        .unwrap()
        .thumbprint();
    let proof = s.sign(&h, &claims());
    assert_eq!(
        decide(
            &jkt,
            &proof,
            &DpopSettings::default(),
            &mut ReplayCache::default(),
            NOW
        ),
        Err(BindingError::ProofBadSignature)
    );
    // An algorithm the settings leave out.
    let only_ed = DpopSettings {
        algorithms: vec![ProofAlg::EdDsa],
        ..DpopSettings::default()
    };
    assert!(matches!(
        decide(
            &s.jkt(),
            &s.proof(claims()),
            &only_ed,
            &mut ReplayCache::default(),
            NOW
        ),
        Err(BindingError::ProofAlgorithmNotAllowed { .. })
    ));
}

fn once_with_header(s: &Signer, header: Value) -> Result<(), BindingError> {
    let proof = s.sign(&header, &claims());
    decide(
        &s.jkt(),
        &proof,
        &DpopSettings::default(),
        &mut ReplayCache::default(),
        NOW,
    )
}

#[test]
fn missing_several_or_malformed_proofs_are_refused() {
    let s = Signer::es();
    let settings = DpopSettings::default();
    let mut p = presentation("");
    p.dpop_proof = None;
    assert_eq!(
        check_proof(&s.jkt(), &p, &settings, NOW).err(),
        Some(BindingError::ProofMissing)
    );
    let proof = s.proof(claims());
    let two = format!("{proof}, {proof}");
    assert_eq!(
        check_proof(&s.jkt(), &presentation(&two), &settings, NOW).err(),
        Some(BindingError::ProofMultiple)
    );
    for bad in ["a.b", "a.b.c.d", "!!.b.c", &"a".repeat(MAX_PROOF_LEN + 1)] {
        assert!(
            matches!(
                check_proof(&s.jkt(), &presentation(bad), &settings, NOW),
                Err(BindingError::ProofMalformed { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn nonces_are_required_when_configured() {
    let s = Signer::es();
    let issuer = NonceIssuer::new(&[8u8; 32], 300);
    let settings = DpopSettings {
        nonce: Some(issuer.clone()),
        ..DpopSettings::default()
    };
    let mut cache = ReplayCache::default();
    let without = s.proof(claims());
    assert_eq!(
        decide(&s.jkt(), &without, &settings, &mut cache, NOW),
        Err(BindingError::UseNonce { had_nonce: false })
    );
    let stale = s.proof(with(|c| {
        c.insert("nonce".into(), json!(issuer.issue(NOW - 700)));
    }));
    assert_eq!(
        decide(&s.jkt(), &stale, &settings, &mut cache, NOW),
        Err(BindingError::UseNonce { had_nonce: true })
    );
    let good = s.proof(with(|c| {
        c.insert("nonce".into(), json!(issuer.issue(NOW)));
    }));
    assert_eq!(decide(&s.jkt(), &good, &settings, &mut cache, NOW), Ok(()));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any one character of a valid proof changed, it is refused: no byte of the header,
        /// the claims or the signature is left unchecked.
        #[test]
        fn a_proof_with_any_character_changed_is_refused(at in 0usize..10_000, with in "[A-Za-z0-9_-]") {
            let s = if at % 2 == 0 { Signer::es() } else { Signer::ed() };
            let proof = s.proof(claims());
            let at = at % proof.len();
            let original = &proof[at..at + 1];
            prop_assume!(original != "." && original != with.as_str());
            let changed = format!("{}{with}{}", &proof[..at], &proof[at + 1..]);
            let result = decide(&s.jkt(), &changed, &DpopSettings::default(), &mut ReplayCache::default(), NOW);
            prop_assert!(result.is_err(), "accepted with byte {at} changed to {with}");
        }
    }
}

#[test]
fn a_token_request_proof_names_its_key_and_is_checked_like_the_gates_without_ath() {
    const TOKEN_URL: &str = "https://api.example.com/_portcullis/token";
    let settings = DpopSettings::default();
    let run = |signer: &Signer, payload: Value, method: &str| {
        let proof = signer.proof(payload);
        let pending = check_token_request_proof(Some(&proof), method, TOKEN_URL, &settings)?;
        let jkt = pending.jkt().to_owned();
        pending
            .verify_with(&NativeVerifier, &settings, &mut ReplayCache::default(), NOW)
            .map(|()| jkt)
    };
    let good = json!({"jti": "t1", "htm": "POST", "htu": TOKEN_URL, "iat": NOW});
    for signer in [Signer::es(), Signer::ed()] {
        assert_eq!(run(&signer, good.clone(), "POST"), Ok(signer.jkt()));
    }
    let signer = Signer::es();
    let mut wrong_htu = good.clone();
    wrong_htu["htu"] = json!("https://api.example.com/orders/1");
    assert_eq!(
        run(&signer, wrong_htu, "POST"),
        Err(BindingError::ProofUrlMismatch)
    );
    assert_eq!(
        run(&signer, good.clone(), "GET"),
        Err(BindingError::ProofMethodMismatch)
    );
    let mut stale = good.clone();
    stale["iat"] = json!(NOW - 3600);
    assert!(matches!(
        run(&signer, stale, "POST"),
        Err(BindingError::ProofIatOutOfWindow { .. })
    ));
    // Signed by another key than the one in its header.
    let other = Signer::ed();
    let forged = format!(
        "{}.{}",
        signer.proof(good.clone()).rsplit_once('.').unwrap().0,
        other.proof(good.clone()).rsplit_once('.').unwrap().1
    );
    let pending = check_token_request_proof(Some(&forged), "POST", TOKEN_URL, &settings).unwrap();
    assert_eq!(
        pending.verify_with(&NativeVerifier, &settings, &mut ReplayCache::default(), NOW),
        Err(BindingError::ProofBadSignature)
    );
    assert_eq!(
        check_token_request_proof(Some("a.b.c"), "POST", TOKEN_URL, &settings).map(|_| ()),
        Err(BindingError::ProofMalformed {
            what: "the DPoP proof header is not a JSON object"
        })
    );
}
