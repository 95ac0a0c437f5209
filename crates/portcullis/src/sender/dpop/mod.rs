//! RFC 9449 DPoP proofs, decided in two steps around the one thing the core does not do
//! itself, the signature check:
//!
//! 1. [`check_proof`]: the `DPoP` header is one compact JWS with `typ` `dpop+jwt`, an allowed
//!    asymmetric `alg`, a public `jwk` whose RFC 7638 thumbprint is the token's `cnf.jkt`;
//!    answers a [`PendingProof`];
//! 2. the caller checks its signature: natively with [`SignatureVerifier`] (an implementation
//!    over the `p256` and `ed25519-dalek` crates is `NativeVerifier`, feature
//!    `native-verifier`), in the Worker with WebCrypto, which ships no curve code in the wasm;
//! 3. [`PendingProof::finish`]: only then are the claims believed: `htm`, `htu`, `iat` within
//!    the window, `ath`, the server nonce when required, and last the replay cache.

mod htu;
mod key;
#[cfg(any(test, feature = "native-verifier"))]
mod native;

pub use htu::normalize_htu;
pub use key::{ProofAlg, ProofKey};
#[cfg(any(test, feature = "native-verifier"))]
pub use native::NativeVerifier;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::codec::{b64, json};
use crate::sender::nonce::NonceIssuer;
use crate::sender::replay::ReplayCache;
use crate::sender::{BindingError, Presentation};

/// Longest proof accepted, in bytes (a P-256 proof with a nonce is about 700).
pub const MAX_PROOF_LEN: usize = 4096;

/// Longest `jti` accepted.
pub const MAX_JTI_LEN: usize = 256;

/// How the gate checks DPoP proofs (setting `PORTCULLIS_DPOP`).
#[derive(Debug, Clone, PartialEq)]
pub struct DpopSettings {
    /// Algorithms accepted for proofs.
    pub algorithms: Vec<ProofAlg>,
    /// A proof's `iat` may be this many seconds before or after `now`.
    pub iat_window_s: u64,
    /// When set, every proof must carry a current server nonce.
    pub nonce: Option<NonceIssuer>,
}

impl Default for DpopSettings {
    fn default() -> Self {
        DpopSettings {
            algorithms: ProofAlg::ALL.to_vec(),
            iat_window_s: 60,
            nonce: None,
        }
    }
}

impl DpopSettings {
    /// The `algs` challenge parameter: the accepted algorithms, space-separated.
    pub fn algs(&self) -> String {
        self.algorithms
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Checks a proof's signature: `signature` over `message` under `key` with `alg`.
pub trait SignatureVerifier {
    /// Whether the signature holds. Any failure (a key off the curve, a malformed signature)
    /// is `false`.
    fn verify(&self, alg: ProofAlg, key: &ProofKey, message: &[u8], signature: &[u8]) -> bool;
}

/// The claims of a proof, read but not yet believed.
#[derive(Debug, Clone, PartialEq)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    ath: Option<String>,
    nonce: Option<String>,
}

/// A proof whose shape, algorithm and key passed; its signature is the caller's to check,
/// then [`PendingProof::finish`] decides on its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingProof {
    /// The algorithm.
    pub alg: ProofAlg,
    /// The public key from the header.
    pub key: ProofKey,
    /// `header.payload`, the signed bytes.
    pub signing_input: String,
    /// The decoded signature.
    pub signature: Vec<u8>,
    jkt: String,
    claims: ProofClaims,
    expected_htm: String,
    expected_htu: Option<String>,
    /// `None` at the token endpoint, where there is no access token yet (RFC 9449 5).
    expected_ath: Option<String>,
}

/// Step one: the `DPoP` header against the token's `cnf.jkt`.
pub fn check_proof(
    jkt: &str,
    presented: &Presentation<'_>,
    settings: &DpopSettings,
    _now: i64,
) -> Result<PendingProof, BindingError> {
    let mut proof = parse_proof(presented.dpop_proof, settings)?;
    if proof.jkt != jkt {
        return Err(BindingError::ProofKeyMismatch);
    }
    proof.expected_htm = presented.method.to_owned();
    proof.expected_htu = normalize_htu(presented.htu);
    proof.expected_ath = Some(access_token_hash(presented.token));
    Ok(proof)
}

/// Step one at the token endpoint (RFC 9449 section 5): a proof of possession of the key the
/// new access token will be bound to ([`PendingProof::jkt`]), for `method` and `htu`, with no
/// access token to hash. Steps two and three are the gate's: the signature, then
/// [`PendingProof::finish`] (same `iat` window, nonce and replay cache).
pub fn check_token_request_proof(
    proof: Option<&str>,
    method: &str,
    htu: &str,
    settings: &DpopSettings,
) -> Result<PendingProof, BindingError> {
    let mut proof = parse_proof(proof, settings)?;
    proof.expected_htm = method.to_owned();
    proof.expected_htu = normalize_htu(htu);
    Ok(proof)
}

/// The header's shape, type, algorithm and key, and the payload's claims: everything a proof
/// is checked for before its signature, wherever it is presented.
fn parse_proof(proof: Option<&str>, settings: &DpopSettings) -> Result<PendingProof, BindingError> {
    let proof = proof.ok_or(BindingError::ProofMissing)?.trim();
    // The platform joins repeated fields with ", ": a JWS never contains a comma.
    if proof.contains(',') {
        return Err(BindingError::ProofMultiple);
    }
    let malformed = |what| BindingError::ProofMalformed { what };
    if proof.len() > MAX_PROOF_LEN {
        return Err(malformed("the DPoP proof is too long"));
    }
    let mut parts = proof.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("the DPoP proof is not a compact JWS"));
    };
    let header = decode_object(h).ok_or(malformed("the DPoP proof header is not a JSON object"))?;
    if header.get("typ") != Some(&Value::String("dpop+jwt".into())) {
        return Err(BindingError::ProofWrongType);
    }
    let alg = match header.get("alg") {
        Some(Value::String(name)) => ProofAlg::from_name(name)
            .filter(|a| settings.algorithms.contains(a))
            .ok_or_else(|| BindingError::ProofAlgorithmNotAllowed {
                alg: name.chars().take(32).collect(),
            })?,
        _ => return Err(malformed("the DPoP proof header has no alg")),
    };
    let key = match header.get("jwk") {
        Some(Value::Object(jwk)) => ProofKey::from_jwk(jwk, alg)?,
        _ => return Err(malformed("the DPoP proof header has no jwk")),
    };
    let payload =
        decode_object(p).ok_or(malformed("the DPoP proof payload is not a JSON object"))?;
    let claims = read_claims(&payload).ok_or(malformed(
        "the DPoP proof needs string jti, htm and htu, and a numeric iat",
    ))?;
    let signature =
        b64::decode(s).map_err(|_| malformed("the DPoP proof signature is not base64url"))?;
    Ok(PendingProof {
        alg,
        jkt: key.thumbprint(),
        key,
        signing_input: proof[..h.len() + 1 + p.len()].to_owned(),
        signature,
        claims,
        expected_htm: String::new(),
        expected_htu: None,
        expected_ath: None,
    })
}

/// `ath`: base64url SHA-256 of the access token's ASCII (RFC 9449 4.2).
pub fn access_token_hash(token: &str) -> String {
    b64::encode(Sha256::digest(token.as_bytes()))
}

fn decode_object(segment: &str) -> Option<Map<String, Value>> {
    json::parse_object(&b64::decode(segment).ok()?).ok()
}

fn read_claims(payload: &Map<String, Value>) -> Option<ProofClaims> {
    let text = |name: &str| match payload.get(name) {
        Some(Value::String(s)) => Some(Some(s.clone())),
        None => Some(None),
        Some(_) => None,
    };
    let jti = text("jti")?.filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)?;
    // A fractional iat is rounded down: the window is checked on whole seconds.
    let iat = payload
        .get("iat")?
        .as_f64()
        .filter(|t| t.is_finite())?
        .floor() as i64;
    Some(ProofClaims {
        jti,
        htm: text("htm")??,
        htu: text("htu")??,
        iat,
        ath: text("ath")?,
        nonce: text("nonce")?,
    })
}

impl PendingProof {
    /// The RFC 7638 thumbprint of the proof's key: the `cnf.jkt` a token bound to it carries.
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// Step three with a native verifier: the signature, then [`PendingProof::finish`].
    pub fn verify_with(
        self,
        verifier: &impl SignatureVerifier,
        settings: &DpopSettings,
        cache: &mut ReplayCache,
        now: i64,
    ) -> Result<(), BindingError> {
        let valid = verifier.verify(
            self.alg,
            &self.key,
            self.signing_input.as_bytes(),
            &self.signature,
        );
        self.finish(valid, settings, cache, now)
    }

    /// Step three: given whether the signature held, the claims; the replay cache is touched
    /// last, so a proof refused for any other reason does not use up its `jti`.
    pub fn finish(
        self,
        signature_valid: bool,
        settings: &DpopSettings,
        cache: &mut ReplayCache,
        now: i64,
    ) -> Result<(), BindingError> {
        if !signature_valid {
            return Err(BindingError::ProofBadSignature);
        }
        let c = &self.claims;
        if c.htm != self.expected_htm {
            return Err(BindingError::ProofMethodMismatch);
        }
        match (normalize_htu(&c.htu), &self.expected_htu) {
            (Some(got), Some(want)) if &got == want => {}
            _ => return Err(BindingError::ProofUrlMismatch),
        }
        let window = settings.iat_window_s as i64;
        if c.iat < now.saturating_sub(window) || c.iat > now.saturating_add(window) {
            return Err(BindingError::ProofIatOutOfWindow {
                iat: c.iat,
                now,
                window: settings.iat_window_s,
            });
        }
        if let Some(expected) = &self.expected_ath {
            if c.ath.as_deref() != Some(expected.as_str()) {
                return Err(BindingError::ProofTokenHashMismatch);
            }
        }
        if let Some(issuer) = &settings.nonce {
            match &c.nonce {
                Some(n) if issuer.accepts(n, now) => {}
                other => {
                    return Err(BindingError::UseNonce {
                        had_nonce: other.is_some(),
                    })
                }
            }
        }
        // Past `iat + window` the iat check refuses the proof anyway.
        cache.record(&self.jkt, &c.jti, c.iat.saturating_add(window), now)
    }
}

#[cfg(test)]
mod tests;
