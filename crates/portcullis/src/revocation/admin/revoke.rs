//! The revoke request: what to revoke and why.

use std::fmt;

use super::body::{check_body_len, identifier_member, parse_object, set_once, string_member};
use super::AdminRequestError;
use crate::revocation::entry::Revocation;
use crate::revocation::reason::RevocationReason;

/// A parsed revoke request.
#[derive(Clone, PartialEq, Eq)]
pub enum RevokeRequest {
    /// Revoke this directly (a `jti` or a subject).
    Revoke(Revocation),
    /// Revoke a key of the ring: [`check_key_revocation`](super::check_key_revocation) decides whether it may be.
    Key {
        /// The key's id.
        kid: String,
        /// Whether the request said `"confirm": true`, needed for the signing key and the
        /// caller's own key.
        confirm: bool,
    },
    /// Revoke the presented token: the caller verifies it and revokes its `jti` (with its
    /// `exp` for the expiry, see [`entry_for`](crate::revocation::entry_for)).
    Token(String),
}

impl fmt::Debug for RevokeRequest {
    /// Never prints the presented token: it is a live credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevokeRequest::Revoke(rev) => f.debug_tuple("Revoke").field(rev).finish(),
            RevokeRequest::Key { kid, confirm } => f
                .debug_struct("Key")
                .field("kid", kid)
                .field("confirm", confirm)
                .finish(),
            RevokeRequest::Token(token) => write!(f, "Token(<{} bytes redacted>)", token.len()),
        }
    }
}

/// A parsed revoke request and why it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeOrder {
    /// What to revoke.
    pub request: RevokeRequest,
    /// The body's `reason`, [`RevocationReason::Admin`] when absent.
    pub reason: RevocationReason,
}

/// [`parse_revoke_order`] without the reason, for callers to whom it does not matter.
///
/// # Errors
/// As [`parse_revoke_order`].
pub fn parse_revoke_request(body: &[u8], now: i64) -> Result<RevokeRequest, AdminRequestError> {
    parse_revoke_order(body, now).map(|order| order.request)
}

/// Parses a revoke request body at `now`: exactly one of `{"jti": "…"}`,
/// `{"sub": "…", "before": N}` (`before` optional, default `now`, not later than `now`),
/// `{"kid": "…", "confirm": true}` (`confirm` optional, see [`check_key_revocation`](super::check_key_revocation)),
/// `{"sid": "…"}` (a grant; the Worker also ends the grant itself) or `{"token": "…"}` (the caller verifies the token and revokes its `jti`), plus an optional
/// `"reason"` from [`RevocationReason`] (default `"admin"`).
///
/// Identifiers must pass [`identifier_problem`](crate::revocation::identifier_problem); the token is bounded only by
/// [`MAX_ADMIN_BODY_LEN`](super::MAX_ADMIN_BODY_LEN).
///
/// # Errors
/// One [`AdminRequestError`] variant per reason; none echoes a value.
pub fn parse_revoke_order(body: &[u8], now: i64) -> Result<RevokeOrder, AdminRequestError> {
    check_body_len(body)?;
    let (mut jti, mut sub, mut kid, mut token, mut before) = (None, None, None, None, None);
    let mut sid = None;
    let (mut confirm, mut reason) = (None, None);
    for (name, value) in parse_object(body)? {
        match name.as_str() {
            "jti" => set_once(&mut jti, "jti", identifier_member("jti", value)?)?,
            "sub" => set_once(&mut sub, "sub", identifier_member("sub", value)?)?,
            "kid" => set_once(&mut kid, "kid", identifier_member("kid", value)?)?,
            "sid" => set_once(&mut sid, "sid", identifier_member("sid", value)?)?,
            "token" => set_once(&mut token, "token", string_member("token", value)?)?,
            "before" => set_once(&mut before, "before", before_member(value, now)?)?,
            "confirm" => {
                let serde_json::Value::Bool(value) = value else {
                    return Err(AdminRequestError::WrongType {
                        field: "confirm",
                        expected: "a boolean",
                    });
                };
                set_once(&mut confirm, "confirm", value)?
            }
            "reason" => {
                let value = string_member("reason", value)?;
                let value =
                    RevocationReason::parse(&value).ok_or(AdminRequestError::UnknownReason)?;
                set_once(&mut reason, "reason", value)?
            }
            _ => return Err(AdminRequestError::UnknownField { field: name }),
        }
    }
    let targets = [
        jti.is_some(),
        sub.is_some(),
        kid.is_some(),
        token.is_some(),
        sid.is_some(),
    ];
    match targets.iter().filter(|&&given| given).count() {
        0 => return Err(AdminRequestError::MissingTarget),
        1 => {}
        _ => return Err(AdminRequestError::MultipleTargets),
    }
    if before.is_some() && sub.is_none() {
        return Err(AdminRequestError::BeforeWithoutSubject);
    }
    if confirm.is_some() && kid.is_none() {
        return Err(AdminRequestError::ConfirmWithoutKey);
    }
    if let Some(sid) = sid {
        return Ok(RevokeOrder {
            request: RevokeRequest::Revoke(Revocation::Session { sid }),
            reason: reason.unwrap_or_default(),
        });
    }
    let request = match (jti, sub, kid, token) {
        (Some(jti), ..) => RevokeRequest::Revoke(Revocation::Token { jti }),
        (_, Some(sub), ..) => RevokeRequest::Revoke(Revocation::Subject {
            sub,
            before: before.unwrap_or(now),
        }),
        (_, _, Some(kid), _) => RevokeRequest::Key {
            kid,
            confirm: confirm.unwrap_or(false),
        },
        (.., Some(token)) => RevokeRequest::Token(token),
        (None, None, None, None) => unreachable!("exactly one target was counted"),
    };
    Ok(RevokeOrder {
        request,
        reason: reason.unwrap_or_default(),
    })
}

/// Takes `before`: a non-negative integer no later than `now`.
fn before_member(value: serde_json::Value, now: i64) -> Result<i64, AdminRequestError> {
    let serde_json::Value::Number(n) = value else {
        return Err(AdminRequestError::WrongType {
            field: "before",
            expected: "an integer",
        });
    };
    let before = if let Some(i) = n.as_i64() {
        i
    } else if let Some(u) = n.as_u64() {
        i64::try_from(u).unwrap_or(i64::MAX)
    } else {
        return Err(AdminRequestError::NonIntegerBefore);
    };
    if before < 0 {
        return Err(AdminRequestError::NegativeBefore);
    }
    if before > now {
        return Err(AdminRequestError::BeforeInFuture { before, now });
    }
    Ok(before)
}
