//! The strict verifier: one decision, exactly right on every input.
//!
//! Order matters: length before decoding; shape and header before any key is touched; the
//! tag before any claim is believed; claims last.

use crate::codec::b64;
use crate::jwt::alg::Alg;
use crate::jwt::claims::Claims;
use crate::jwt::error::{Segment, TokenError};
use crate::jwt::identifier::identifier_problem;
use crate::jwt::keyring::{Key, Keyring};
use crate::jwt::token::{self, Header};

/// What the verifier requires. The verifier decides the algorithms, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// Algorithms accepted; a token's `alg` must be one of these and match its key's.
    pub algorithms: Vec<Alg>,
    /// When set, the token's `aud` must contain it. When unset, a token with `aud` is refused.
    pub audience: Option<String>,
    /// When set, the token's `iss` must equal it.
    pub issuer: Option<String>,
    /// Allowed clock skew in seconds, applied to `exp`, `nbf` and `iat`.
    pub leeway: u64,
    /// Longest lifetime accepted: `exp - iat`, or `exp - now` when there is no `iat`.
    pub max_ttl: Option<u64>,
    /// Longest token accepted, in bytes.
    pub max_token_len: usize,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy {
            algorithms: Alg::ALL.to_vec(),
            audience: None,
            issuer: None,
            leeway: 0,
            max_ttl: None,
            max_token_len: token::DEFAULT_MAX_TOKEN_LEN,
        }
    }
}

/// A token whose signature and claims passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    /// Its header.
    pub header: Header,
    /// Its claims.
    pub claims: Claims,
    /// The `kid` of the ring key that verified it: what a key revocation and the audit
    /// line go by. Not the header's `kid`, which a one-key ring lets a token leave out.
    /// `None` only for a one-key ring whose key has no `kid`.
    pub key_id: Option<String>,
}

/// Verifies a compact JWS token at time `now` (seconds since the epoch): signature, then
/// claims.
pub fn verify(
    token: &str,
    keyring: &Keyring,
    policy: &VerifyPolicy,
    now: i64,
) -> Result<VerifiedToken, TokenError> {
    let (header, payload, key) = check_signature(token, keyring, policy)?;
    let claims = token::with_decoded(payload, Segment::Payload, Claims::parse)?;
    check_claims(&claims, policy, now)?;
    Ok(VerifiedToken {
        header,
        claims,
        key_id: key.kid().map(str::to_owned),
    })
}

/// A JWS whose header and tag passed every check; its payload is not yet interpreted.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJws {
    /// Its header.
    pub header: Header,
    /// The decoded payload bytes, authenticated but not parsed.
    pub payload: Vec<u8>,
}

/// The signature layer alone (RFC 7515): shape, header, key selection and tag. The payload
/// is decoded only after the tag has checked.
pub fn verify_jws(
    token: &str,
    keyring: &Keyring,
    policy: &VerifyPolicy,
) -> Result<VerifiedJws, TokenError> {
    let (header, payload, _) = check_signature(token, keyring, policy)?;
    let payload = token::decode_segment(payload, Segment::Payload)?;
    Ok(VerifiedJws { header, payload })
}

/// Everything up to and including the tag; answers the header, the still-encoded payload
/// and the key that verified the tag.
fn check_signature<'t, 'k>(
    token: &'t str,
    keyring: &'k Keyring,
    policy: &VerifyPolicy,
) -> Result<(Header, &'t str, &'k Key), TokenError> {
    let parts = token::split(token, policy.max_token_len)?;
    let remembered = keyring.remembered_header(parts.header);
    let header = match remembered {
        Some(header) => header.clone(),
        None => Header::decode(parts.header)?,
    };
    if !policy.algorithms.contains(&header.alg) {
        return Err(TokenError::AlgorithmNotAllowed(header.alg));
    }
    let key = keyring.select(header.kid.as_deref())?;
    if key.alg() != header.alg {
        return Err(TokenError::AlgorithmKeyMismatch {
            token: header.alg,
            key: key.alg(),
        });
    }
    // The longest tag is 64 bytes (HS512); anything that decodes longer is refused by
    // verify_tag for its length, once it has been found to be canonical base64url.
    let mut tag = [0u8; 64];
    if b64::decoded_len(parts.signature.len()) <= tag.len() {
        let n = b64::decode_to_slice(parts.signature, &mut tag).map_err(|problem| {
            TokenError::Encoding {
                segment: Segment::Signature,
                problem,
            }
        })?;
        key.verify_tag(parts.signing_input.as_bytes(), &tag[..n])?;
    } else {
        let tag = token::decode_segment(parts.signature, Segment::Signature)?;
        key.verify_tag(parts.signing_input.as_bytes(), &tag)?;
    }
    if remembered.is_none() {
        Keyring::remember_header(key, parts.header, &header);
    }
    Ok((header, parts.payload, key))
}

/// The time, audience, issuer and lifetime rules, on claims whose signature already checked;
/// last, that the token can be revoked by its `sub` and its `jti`
/// ([`crate::jwt::identifier::identifier_problem`]): the gate accepts no token it cannot revoke.
pub fn check_claims(claims: &Claims, policy: &VerifyPolicy, now: i64) -> Result<(), TokenError> {
    let leeway = policy.leeway;
    let skew = i64::try_from(leeway).unwrap_or(i64::MAX);
    if now >= claims.exp.saturating_add(skew) {
        return Err(TokenError::Expired {
            exp: claims.exp,
            now,
            leeway,
        });
    }
    if let Some(nbf) = claims.nbf {
        if nbf > now.saturating_add(skew) {
            return Err(TokenError::NotYetValid { nbf, now, leeway });
        }
    }
    if let Some(iat) = claims.iat {
        if iat > now.saturating_add(skew) {
            return Err(TokenError::IssuedInFuture { iat, now, leeway });
        }
    }
    match (&policy.audience, &claims.aud) {
        (Some(ours), Some(theirs)) if theirs.contains(ours) => {}
        (Some(_), _) => return Err(TokenError::AudienceMismatch),
        (None, Some(_)) => return Err(TokenError::AudienceNotConfigured),
        (None, None) => {}
    }
    if let Some(issuer) = &policy.issuer {
        if claims.iss.as_deref() != Some(issuer.as_str()) {
            return Err(TokenError::IssuerMismatch);
        }
    }
    if let Some(max) = policy.max_ttl {
        let lifetime = claims.exp.saturating_sub(claims.iat.unwrap_or(now));
        if lifetime > i64::try_from(max).unwrap_or(i64::MAX) {
            return Err(TokenError::LifetimeTooLong { lifetime, max });
        }
    }
    for (claim, value) in [("sub", &claims.sub), ("jti", &claims.jti)] {
        if let Some(problem) = value.as_deref().and_then(identifier_problem) {
            return Err(TokenError::UnrevocableClaim { claim, problem });
        }
    }
    Ok(())
}
