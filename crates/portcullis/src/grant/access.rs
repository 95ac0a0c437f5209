//! Access tokens minted for a grant or an API key: signed with the ring's signing key, under
//! the profile the gate verifies (its audience and issuer, within its maximum lifetime), and
//! for a grant carrying `sid`; DPoP-bound (`cnf.jkt`, RFC 9449 section 5) when the token
//! request proved possession of a key.

use serde_json::{Map, Value};

use super::state::Issued;
use crate::config::{self, GateConfig};
use crate::jwt::claims::Audience;
use crate::jwt::error::MintError;
use crate::jwt::mint::{mint, signing_key, MintRequest, DEFAULT_TTL};

/// The session id claim an access token of a grant carries.
pub const SID_CLAIM: &str = "sid";

/// A minted access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The compact JWS.
    pub token: String,
    /// Its lifetime, for `expires_in`.
    pub expires_in: u64,
    /// Its `jti` and `exp`, kept by the grant so that revoking the grant revokes it.
    pub issued: Issued,
}

/// The lifetime of an access token: five minutes, or the gate's maximum when shorter.
pub fn access_ttl(config: &GateConfig) -> u64 {
    DEFAULT_TTL.min(config.verify.max_ttl.unwrap_or(config::defaults::MAX_TTL_S))
}

/// Mints an access token for `sub` with `scope` at `now`; `sid` names the grant, if any;
/// `jkt` (a DPoP key's thumbprint) binds it to that key.
pub fn mint_access(
    config: &GateConfig,
    sub: &str,
    scope: &str,
    sid: Option<&str>,
    jkt: Option<&str>,
    now: i64,
) -> Result<AccessToken, MintError> {
    let key = signing_key(&config.keyring, None)?;
    let mut extra = Map::new();
    if let Some(sid) = sid {
        extra.insert(SID_CLAIM.to_owned(), Value::String(sid.to_owned()));
    }
    if let Some(jkt) = jkt {
        extra.insert("cnf".to_owned(), serde_json::json!({ "jkt": jkt }));
    }
    let ttl = access_ttl(config);
    let minted = mint(
        key,
        &MintRequest {
            sub: sub.to_owned(),
            scope: Some(scope.to_owned()),
            aud: config.verify.audience.clone().map(Audience::One),
            iss: config.verify.issuer.clone(),
            ttl,
            extra,
        },
        now,
        config.verify.max_ttl,
    )?;
    Ok(AccessToken {
        issued: Issued {
            jti: minted.claims.jti.clone().unwrap_or_default(),
            exp: minted.claims.exp,
        },
        token: minted.token,
        expires_in: ttl,
    })
}
