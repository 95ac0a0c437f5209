//! The JSON bodies of the issuing endpoints (`POST /grants`, `POST /api-keys`), checked, and
//! the refusals of the state machines mapped to RFC 6749 errors.

use std::fmt;

use serde::Deserialize;

use super::apikey::KeyRefusal;
use super::oauth::{OAuthError, OAuthErrorCode};
use super::scope::normalize;
use super::state::{Lifetimes, OpenGrant, RefreshRefusal};
use crate::jwt::identifier::identifier_problem;
use crate::revocation::RevocationReason;

/// Why an issuing request's body is refused (400, nothing changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueRequestError {
    /// Not the JSON object the endpoint takes (unknown member, wrong type, not JSON).
    Malformed,
    /// `sub` cannot be a revocable subject (empty, too long, control characters).
    BadSubject,
    /// `scope` is empty.
    EmptyScope,
    /// `client_id` or `name` is empty, too long or has control characters.
    BadLabel(&'static str),
    /// A lifetime out of range.
    BadLifetime(&'static str),
}

impl IssueRequestError {
    /// A stable code for the problem type and the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            IssueRequestError::Malformed => "malformed_body",
            IssueRequestError::BadSubject => "bad_subject",
            IssueRequestError::EmptyScope => "empty_scope",
            IssueRequestError::BadLabel(_) => "bad_label",
            IssueRequestError::BadLifetime(_) => "bad_lifetime",
        }
    }
}

impl fmt::Display for IssueRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueRequestError::Malformed => {
                f.write_str("the body is not the JSON object this endpoint takes (see the README)")
            }
            IssueRequestError::BadSubject => {
                f.write_str("\"sub\" must be 1-256 bytes without control characters")
            }
            IssueRequestError::EmptyScope => f.write_str("\"scope\" must name at least one scope"),
            IssueRequestError::BadLabel(name) => {
                write!(f, "{name:?} must be 1-256 bytes without control characters")
            }
            IssueRequestError::BadLifetime(name) => write!(f, "{name:?} is out of range"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenGrantWire {
    sub: String,
    scope: String,
    client_id: Option<String>,
    grace_s: Option<u64>,
    idle_s: Option<u64>,
    absolute_s: Option<u64>,
}

fn check_sub_scope(sub: &str, scope: &str) -> Result<String, IssueRequestError> {
    if identifier_problem(sub).is_some() {
        return Err(IssueRequestError::BadSubject);
    }
    let scope = normalize(scope);
    if scope.is_empty() {
        return Err(IssueRequestError::EmptyScope);
    }
    Ok(scope)
}

fn check_label(value: &Option<String>, name: &'static str) -> Result<(), IssueRequestError> {
    match value {
        Some(v) if identifier_problem(v).is_some() => Err(IssueRequestError::BadLabel(name)),
        _ => Ok(()),
    }
}

/// `POST /grants`: `{"sub", "scope", "client_id"?, "grace_s"?, "idle_s"?, "absolute_s"?}`.
/// Lifetimes default to [`Lifetimes::DEFAULT`]; grace is at most 5 min, absolute at most a
/// year and at least 1 s, idle between 1 s and absolute.
pub fn parse_open_grant(body: &[u8]) -> Result<OpenGrant, IssueRequestError> {
    let wire: OpenGrantWire =
        serde_json::from_slice(body).map_err(|_| IssueRequestError::Malformed)?;
    let scope = check_sub_scope(&wire.sub, &wire.scope)?;
    check_label(&wire.client_id, "client_id")?;
    let d = Lifetimes::DEFAULT;
    let absolute_s = wire.absolute_s.unwrap_or(d.absolute_s);
    if absolute_s == 0 || absolute_s > Lifetimes::MAX_ABSOLUTE_S {
        return Err(IssueRequestError::BadLifetime("absolute_s"));
    }
    let idle_s = wire.idle_s.unwrap_or(d.idle_s.min(absolute_s));
    if idle_s == 0 || idle_s > absolute_s {
        return Err(IssueRequestError::BadLifetime("idle_s"));
    }
    let grace_s = wire.grace_s.unwrap_or(d.grace_s);
    if grace_s > Lifetimes::MAX_GRACE_S {
        return Err(IssueRequestError::BadLifetime("grace_s"));
    }
    Ok(OpenGrant {
        sub: wire.sub,
        scope,
        client_id: wire.client_id,
        lifetimes: Lifetimes {
            grace_s,
            idle_s,
            absolute_s,
        },
    })
}

/// A checked `POST /api-keys` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateApiKey {
    /// The subject its tokens speak for.
    pub sub: String,
    /// The most its tokens may carry.
    pub scope: String,
    /// A label.
    pub name: Option<String>,
    /// Lifetime in seconds from creation, if it expires.
    pub expires_in_s: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateApiKeyWire {
    sub: String,
    scope: String,
    name: Option<String>,
    expires_in_s: Option<u64>,
}

/// `POST /api-keys`: `{"sub", "scope", "name"?, "expires_in_s"?}` (at least 1 s, at most
/// ten years).
pub fn parse_create_api_key(body: &[u8]) -> Result<CreateApiKey, IssueRequestError> {
    let wire: CreateApiKeyWire =
        serde_json::from_slice(body).map_err(|_| IssueRequestError::Malformed)?;
    let scope = check_sub_scope(&wire.sub, &wire.scope)?;
    check_label(&wire.name, "name")?;
    if wire
        .expires_in_s
        .is_some_and(|s| s == 0 || s > 10 * 365 * 86_400)
    {
        return Err(IssueRequestError::BadLifetime("expires_in_s"));
    }
    Ok(CreateApiKey {
        sub: wire.sub,
        scope,
        name: wire.name,
        expires_in_s: wire.expires_in_s,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SidWire {
    sid: String,
    reason: Option<String>,
}

/// A session revocation: which grant, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidRevocation {
    /// The grant id.
    pub sid: String,
    /// Why: `logout` unless the body says `leaked` (the scanner) or `admin`.
    pub reason: RevocationReason,
}

/// The session a `POST /revocations` body `{"sid": "…", "reason"?: "…"}` names, when that is
/// what it is (any other body is left to the revocation parser). `Some(Err)` for a `sid`
/// that is not a grant id or a reason that is not `logout`, `leaked` or `admin` (`reuse` is
/// the grant object's own finding, never an operator's claim).
pub fn sid_revocation(body: &[u8]) -> Option<Result<SidRevocation, IssueRequestError>> {
    // An object only: serde would read `["jti", "a"]` as the two fields.
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if !value.is_object() {
        return None;
    }
    let wire: SidWire = serde_json::from_value(value).ok()?;
    let reason = match wire.reason.as_deref() {
        None => Some(RevocationReason::Logout),
        Some(name) => RevocationReason::parse(name).filter(|r| *r != RevocationReason::Reuse),
    };
    Some(
        match (super::secrets::GrantId::from_text(&wire.sid), reason) {
            (None, _) => Err(IssueRequestError::BadLabel("sid")),
            (_, None) => Err(IssueRequestError::BadLabel("reason")),
            (Some(_), Some(reason)) => Ok(SidRevocation {
                sid: wire.sid,
                reason,
            }),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeKeyWire {
    id: String,
    reason: Option<String>,
}

/// A checked `POST /api-keys/revoke` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeApiKey {
    /// The key id.
    pub id: String,
    /// Why: `admin` unless the body says `leaked` (`reuse` and `logout` are not a key's).
    pub reason: RevocationReason,
}

/// `POST /api-keys/revoke`: `{"id", "reason"?}`.
pub fn parse_revoke_api_key(body: &[u8]) -> Result<RevokeApiKey, IssueRequestError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| IssueRequestError::Malformed)?;
    if !value.is_object() {
        return Err(IssueRequestError::Malformed);
    }
    let wire: RevokeKeyWire =
        serde_json::from_value(value).map_err(|_| IssueRequestError::Malformed)?;
    let reason = match wire.reason.as_deref() {
        None | Some("admin") => RevocationReason::Admin,
        Some("leaked") => RevocationReason::Leaked,
        Some(_) => return Err(IssueRequestError::BadLabel("reason")),
    };
    Ok(RevokeApiKey {
        id: wire.id,
        reason,
    })
}

/// A refused refresh as the client sees it.
pub fn refresh_error(refusal: &RefreshRefusal) -> OAuthError {
    let code = match refusal {
        RefreshRefusal::Scope(_) => OAuthErrorCode::InvalidScope,
        _ => OAuthErrorCode::InvalidGrant,
    };
    let description = match refusal {
        RefreshRefusal::Scope(_) => "the requested scope exceeds the grant",
        RefreshRefusal::Expired { .. } | RefreshRefusal::Idle { .. } => {
            "the refresh token has expired"
        }
        RefreshRefusal::Revoked(_) | RefreshRefusal::Reuse { .. } => {
            "the refresh token has been revoked"
        }
        _ => "the refresh token is invalid",
    };
    OAuthError::new(code, description, refusal.code())
}

/// A refused key exchange as the client sees it: the same `invalid_client` for an unknown,
/// revoked or expired key, so the answer does not tell which.
pub fn key_error(refusal: &KeyRefusal) -> OAuthError {
    match refusal {
        KeyRefusal::Scope(_) => OAuthError::new(
            OAuthErrorCode::InvalidScope,
            "the requested scope exceeds the key's",
            refusal.code(),
        ),
        _ => OAuthError::new(
            OAuthErrorCode::InvalidClient,
            "client authentication failed",
            refusal.code(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_grant_defaults_and_limits() {
        let g = parse_open_grant(br#"{"sub":"alice","scope":"a  b a"}"#).unwrap();
        assert_eq!(g.scope, "a b");
        assert_eq!(g.lifetimes, Lifetimes::DEFAULT);
        let g =
            parse_open_grant(br#"{"sub":"a","scope":"x","grace_s":0,"absolute_s":60}"#).unwrap();
        assert_eq!((g.lifetimes.grace_s, g.lifetimes.idle_s), (0, 60));
        for (body, code) in [
            (&br#"{"sub":"a"}"#[..], "malformed_body"),
            (br#"{"sub":"a","scope":"x","extra":1}"#, "malformed_body"),
            (br#"{"sub":"","scope":"x"}"#, "bad_subject"),
            (br#"{"sub":"a","scope":"  "}"#, "empty_scope"),
            (br#"{"sub":"a","scope":"x","grace_s":301}"#, "bad_lifetime"),
            (
                br#"{"sub":"a","scope":"x","idle_s":61,"absolute_s":60}"#,
                "bad_lifetime",
            ),
            (br#"{"sub":"a","scope":"x","absolute_s":0}"#, "bad_lifetime"),
            (br#"{"sub":"a","scope":"x","client_id":""}"#, "bad_label"),
        ] {
            assert_eq!(parse_open_grant(body).unwrap_err().code(), code, "{body:?}");
        }
    }

    #[test]
    fn create_api_key_checks() {
        let k = parse_create_api_key(br#"{"sub":"svc","scope":"a","expires_in_s":60}"#).unwrap();
        assert_eq!(k.expires_in_s, Some(60));
        assert_eq!(
            parse_create_api_key(br#"{"sub":"svc","scope":"a","expires_in_s":0}"#)
                .unwrap_err()
                .code(),
            "bad_lifetime"
        );
    }

    #[test]
    fn an_api_key_revocation_may_say_leaked() {
        assert_eq!(
            parse_revoke_api_key(br#"{"id":"k"}"#).unwrap().reason,
            RevocationReason::Admin
        );
        assert_eq!(
            parse_revoke_api_key(br#"{"id":"k","reason":"leaked"}"#).unwrap(),
            RevokeApiKey {
                id: "k".into(),
                reason: RevocationReason::Leaked
            }
        );
        assert_eq!(
            parse_revoke_api_key(br#"{"id":"k","reason":"logout"}"#),
            Err(IssueRequestError::BadLabel("reason"))
        );
        assert_eq!(
            parse_revoke_api_key(br#"{"id":"k","x":1}"#),
            Err(IssueRequestError::Malformed)
        );
        assert_eq!(
            parse_revoke_api_key(br#"["k","leaked"]"#),
            Err(IssueRequestError::Malformed)
        );
    }

    #[test]
    fn recognizes_a_sid_revocation_and_leaves_others() {
        let sid = crate::grant::secrets::GrantId([3; 16]).to_text();
        assert_eq!(
            sid_revocation(format!(r#"{{"sid":"{sid}"}}"#).as_bytes()),
            Some(Ok(SidRevocation {
                sid: sid.clone(),
                reason: RevocationReason::Logout
            }))
        );
        assert_eq!(
            sid_revocation(format!(r#"{{"sid":"{sid}","reason":"leaked"}}"#).as_bytes()),
            Some(Ok(SidRevocation {
                sid: sid.clone(),
                reason: RevocationReason::Leaked
            }))
        );
        for bad in ["reuse", "nope", ""] {
            assert_eq!(
                sid_revocation(format!(r#"{{"sid":"{sid}","reason":"{bad}"}}"#).as_bytes()),
                Some(Err(IssueRequestError::BadLabel("reason"))),
                "{bad}"
            );
        }
        assert_eq!(
            sid_revocation(br#"{"sid":"nope"}"#),
            Some(Err(IssueRequestError::BadLabel("sid")))
        );
        assert_eq!(sid_revocation(br#"{"jti":"x"}"#), None);
        assert_eq!(
            sid_revocation(br#"["jti","a"]"#),
            None,
            "an array is not a sid body"
        );
    }

    #[test]
    fn refusals_map_to_rfc_6749_codes() {
        let reuse = RefreshRefusal::Reuse {
            presented: 0,
            current: 1,
            access_exp: 0,
        };
        assert_eq!(refresh_error(&reuse).code, OAuthErrorCode::InvalidGrant);
        assert_eq!(
            refresh_error(&RefreshRefusal::Scope(
                super::super::scope::ScopeError::NotGranted("x".into())
            ))
            .code,
            OAuthErrorCode::InvalidScope
        );
        assert_eq!(
            key_error(&KeyRefusal::Revoked).description,
            key_error(&KeyRefusal::Unknown).description
        );
    }
}
