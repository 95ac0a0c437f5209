//! Minting tokens with the same core that verifies them.

use serde_json::{json, Map, Value};

use crate::codec::b64;
use crate::jwt::claims::{Audience, Claims, REGISTERED};
use crate::jwt::error::MintError;
use crate::jwt::identifier::identifier_problem;
use crate::jwt::keyring::{Key, Keyring, MAX_TAG_LEN};

/// The default lifetime of a minted token: five minutes.
pub const DEFAULT_TTL: u64 = 5 * 60;

/// What to put in a new token. `jti`, `iat` and `exp` are set by [`mint`].
#[derive(Debug, Clone, Default)]
pub struct MintRequest {
    /// `sub`.
    pub sub: String,
    /// `scope`, space-separated.
    pub scope: Option<String>,
    /// `aud`.
    pub aud: Option<Audience>,
    /// `iss`.
    pub iss: Option<String>,
    /// Lifetime in seconds; `exp = now + ttl`.
    pub ttl: u64,
    /// Other claims; registered names are refused.
    pub extra: Map<String, Value>,
}

/// A new token and the claims it carries.
#[derive(Debug, Clone)]
pub struct Minted {
    /// The compact JWS.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

/// Signs a header and payload with `key`, in JWS compact form.
pub fn sign_compact(key: &Key, header: &Value, payload: &Value) -> String {
    let mut out = String::with_capacity(256);
    b64::encode_into(header.to_string(), &mut out);
    out.push('.');
    b64::encode_into(payload.to_string(), &mut out);
    let mut tag = [0u8; MAX_TAG_LEN];
    let n = key.tag(out.as_bytes(), &mut tag);
    out.push('.');
    b64::encode_into(&tag[..n], &mut out);
    out
}

/// A fresh token id: 128 bits from the CSPRNG, base64url.
pub fn new_jti() -> Result<String, MintError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| MintError::Random)?;
    Ok(b64::encode(bytes))
}

/// Picks the key to sign with: the ring's signing key, or the named one. Naming a
/// verify-only key is refused while the ring designates a signer: during a rotation, a key
/// not yet promoted may not have reached every verifier.
pub fn signing_key<'k>(ring: &'k Keyring, kid: Option<&str>) -> Result<&'k Key, MintError> {
    match kid {
        Some(kid) => {
            let key = ring
                .get(kid)
                .ok_or_else(|| MintError::UnknownKeyId(kid.to_owned()))?;
            match ring.signing_key() {
                Some(signer) if !key.signs() => Err(MintError::NotTheSigningKey {
                    kid: kid.to_owned(),
                    signer: signer.kid().unwrap_or_default().to_owned(),
                }),
                _ => Ok(key),
            }
        }
        None => ring.signing_key().ok_or(MintError::NoSigningKey),
    }
}

/// Mints a token at time `now`, refusing a lifetime above `max_ttl`.
pub fn mint(
    key: &Key,
    req: &MintRequest,
    now: i64,
    max_ttl: Option<u64>,
) -> Result<Minted, MintError> {
    if req.ttl == 0 {
        return Err(MintError::ZeroTtl);
    }
    if let Some(max) = max_ttl {
        if req.ttl > max {
            return Err(MintError::TtlTooLong { ttl: req.ttl, max });
        }
    }
    if let Some(problem) = identifier_problem(&req.sub) {
        return Err(MintError::UnrevocableSubject(problem));
    }
    if let Some(name) = req.extra.keys().find(|k| REGISTERED.contains(&k.as_str())) {
        return Err(MintError::ReservedClaim(name.clone()));
    }
    let claims = Claims {
        iss: req.iss.clone(),
        sub: Some(req.sub.clone()),
        aud: req.aud.clone(),
        exp: now.saturating_add(i64::try_from(req.ttl).unwrap_or(i64::MAX)),
        nbf: None,
        iat: Some(now),
        iat_floor: Some(now),
        jti: Some(new_jti()?),
        scope: req.scope.clone().filter(|s| !s.trim().is_empty()),
        extra: req.extra.clone(),
    };
    let mut header = json!({ "alg": key.alg().name(), "typ": "JWT" });
    if let Some(kid) = key.kid() {
        header["kid"] = Value::String(kid.to_owned());
    }
    #[expect(
        clippy::expect_used,
        reason = "Claims holds strings, numbers and a string-keyed map: it always serializes"
    )]
    let payload = serde_json::to_value(&claims).expect("claims serialize");
    Ok(Minted {
        token: sign_compact(key, &header, &payload),
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::keyring::Alg;

    fn ring_with_old_signer() -> Keyring {
        let old = Key::generate(Some("old".into()), Alg::HS256)
            .unwrap()
            .to_jwk();
        let new = Key::generate(Some("new".into()), Alg::HS256)
            .unwrap()
            .to_jwk();
        let mut old = old;
        let mut new = new;
        old["key_ops"] = json!(["sign", "verify"]);
        new["key_ops"] = json!(["verify"]);
        Keyring::from_jwks(&json!({ "keys": [old, new] }).to_string()).unwrap()
    }

    #[test]
    fn refuses_to_sign_with_a_key_not_yet_promoted() {
        let ring = ring_with_old_signer();
        assert_eq!(signing_key(&ring, None).unwrap().kid(), Some("old"));
        assert_eq!(signing_key(&ring, Some("old")).unwrap().kid(), Some("old"));
        assert_eq!(
            signing_key(&ring, Some("new")).unwrap_err(),
            MintError::NotTheSigningKey {
                kid: "new".into(),
                signer: "old".into()
            }
        );
        assert_eq!(
            signing_key(&ring, Some("gone")).unwrap_err(),
            MintError::UnknownKeyId("gone".into())
        );
    }

    #[test]
    fn refuses_ttls_that_are_zero_or_too_long_and_reserved_claims() {
        let ring = ring_with_old_signer();
        let key = signing_key(&ring, None).unwrap();
        let req = MintRequest {
            sub: "u".into(),
            ttl: 301,
            ..MintRequest::default()
        };
        assert_eq!(
            mint(key, &req, 0, Some(300)).unwrap_err(),
            MintError::TtlTooLong { ttl: 301, max: 300 }
        );
        let req = MintRequest {
            sub: "u".into(),
            ttl: 0,
            ..MintRequest::default()
        };
        assert_eq!(mint(key, &req, 0, None).unwrap_err(), MintError::ZeroTtl);
        let mut extra = Map::new();
        extra.insert("exp".into(), json!(1));
        let req = MintRequest {
            sub: "u".into(),
            ttl: 60,
            extra,
            ..MintRequest::default()
        };
        assert_eq!(
            mint(key, &req, 0, None).unwrap_err(),
            MintError::ReservedClaim("exp".into())
        );
        let minted = mint(
            key,
            &MintRequest {
                sub: "u".into(),
                ttl: 60,
                ..MintRequest::default()
            },
            100,
            Some(300),
        )
        .unwrap();
        assert_eq!((minted.claims.iat, minted.claims.exp), (Some(100), 160));
        assert_eq!(minted.claims.jti.as_ref().map(String::len), Some(22));
    }
}
