//! Admin request bodies: the revoke request ([`parse_revoke_request`]), the key-revocation
//! guard ([`check_key_revocation`]) and token introspection ([`parse_introspect_request`]).
//! Each rejection is an [`AdminRequestError`] variant with its own problem code.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::entry::Revocation;
use super::reason::RevocationReason;
use super::{identifier_problem, IdentifierProblem, MAX_IDENTIFIER_LEN};
use crate::codec::percent;
use crate::jwt::keyring::Keyring;

/// Largest admin request body (revoke or introspect) accepted, in bytes.
pub const MAX_ADMIN_BODY_LEN: usize = 8 * 1024;

/// A parsed revoke request.
#[derive(Clone, PartialEq, Eq)]
pub enum RevokeRequest {
    /// Revoke this directly (a `jti` or a subject).
    Revoke(Revocation),
    /// Revoke a key of the ring: [`check_key_revocation`] decides whether it may be.
    Key {
        /// The key's id.
        kid: String,
        /// Whether the request said `"confirm": true`, needed for the signing key and the
        /// caller's own key.
        confirm: bool,
    },
    /// Revoke the presented token: the caller verifies it and revokes its `jti` (with its
    /// `exp` for the expiry, see [`entry_for`](super::entry_for)).
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

/// Why an admin request body was rejected. `Display` is safe to show the client: it never
/// echoes a value from the body (field names only when short and plain). Each variant has
/// its own problem code ([`AdminRequestError::code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminRequestError {
    /// The body exceeds [`MAX_ADMIN_BODY_LEN`].
    BodyTooLarge {
        /// Body length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not JSON (or not UTF-8).
    InvalidJson,
    /// The body is JSON but not an object.
    NotAnObject,
    /// A field this request does not take.
    UnknownField {
        /// The field name as sent.
        field: String,
    },
    /// A field given twice.
    DuplicateField {
        /// The field.
        field: &'static str,
    },
    /// A field of the wrong JSON type.
    WrongType {
        /// The field.
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// A field given as an empty string.
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// An identifier over [`MAX_IDENTIFIER_LEN`].
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An identifier holding a control character: no token the gate accepts has one.
    ControlCharacter {
        /// The field.
        field: &'static str,
    },
    /// `confirm` with another target than `kid`.
    ConfirmWithoutKey,
    /// None of `jti`, `sub`, `kid`, `token`.
    MissingTarget,
    /// More than one of `jti`, `sub`, `kid`, `token`.
    MultipleTargets,
    /// `before` without `sub`.
    BeforeWithoutSubject,
    /// `before` is a number but not an integer (e.g. `1.5`, `1e3`).
    NonIntegerBefore,
    /// `before` is negative.
    NegativeBefore,
    /// `before` is later than now: it would revoke tokens not yet issued.
    BeforeInFuture {
        /// The requested cut-off (saturated to `i64::MAX`).
        before: i64,
        /// Now.
        now: i64,
    },
    /// A `reason` outside the closed set ([`RevocationReason`]).
    UnknownReason,
    /// An introspection request without a `Content-Type`.
    MissingContentType,
    /// An introspection request whose `Content-Type` is neither form nor JSON.
    UnsupportedContentType,
    /// A form body with a `%` not followed by two hex digits.
    InvalidPercentEncoding,
    /// A form `token` that is not UTF-8 once decoded.
    InvalidUtf8,
    /// An introspection request without `token`.
    MissingToken,
}

impl AdminRequestError {
    /// A stable code, one per variant: the problem type's last part and the audit reason.
    /// None repeats another code of the gate's, so a client can tell each mistake apart.
    pub fn code(&self) -> &'static str {
        match self {
            AdminRequestError::BodyTooLarge { .. } => "body_too_large",
            AdminRequestError::InvalidJson => "invalid_json",
            AdminRequestError::NotAnObject => "not_an_object",
            AdminRequestError::UnknownField { .. } => "unknown_field",
            AdminRequestError::DuplicateField { .. } => "duplicate_field",
            AdminRequestError::WrongType { .. } => "wrong_type",
            AdminRequestError::EmptyField { .. } => "empty_field",
            AdminRequestError::FieldTooLong { .. } => "field_too_long",
            AdminRequestError::ControlCharacter { .. } => "control_character",
            AdminRequestError::ConfirmWithoutKey => "confirm_without_kid",
            AdminRequestError::MissingTarget => "missing_target",
            AdminRequestError::MultipleTargets => "multiple_targets",
            AdminRequestError::BeforeWithoutSubject => "before_without_sub",
            AdminRequestError::NonIntegerBefore => "non_integer_before",
            AdminRequestError::NegativeBefore => "negative_before",
            AdminRequestError::BeforeInFuture { .. } => "before_in_future",
            AdminRequestError::UnknownReason => "unknown_reason",
            AdminRequestError::MissingContentType => "missing_content_type",
            AdminRequestError::UnsupportedContentType => "unsupported_content_type",
            AdminRequestError::InvalidPercentEncoding => "invalid_percent_encoding",
            AdminRequestError::InvalidUtf8 => "invalid_utf8",
            // Not "missing_token": that code is the gate's "authentication required".
            AdminRequestError::MissingToken => "missing_token_field",
        }
    }
}

impl fmt::Display for AdminRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminRequestError::BodyTooLarge { len, max } => {
                write!(f, "request body is {len} bytes, over the {max}-byte limit")
            }
            AdminRequestError::InvalidJson => f.write_str("request body is not valid JSON"),
            AdminRequestError::NotAnObject => f.write_str("request body must be a JSON object"),
            AdminRequestError::UnknownField { field } if is_safe_to_echo(field) => {
                write!(f, "unknown field \"{field}\"")
            }
            AdminRequestError::UnknownField { .. } => f.write_str("unknown field"),
            AdminRequestError::DuplicateField { field } => {
                write!(f, "field \"{field}\" is given more than once")
            }
            AdminRequestError::WrongType { field, expected } => {
                write!(f, "field \"{field}\" must be {expected}")
            }
            AdminRequestError::EmptyField { field } => write!(f, "field \"{field}\" is empty"),
            AdminRequestError::FieldTooLong { field, len, max } => {
                write!(
                    f,
                    "field \"{field}\" is {len} bytes, over the {max}-byte limit"
                )
            }
            AdminRequestError::ControlCharacter { field } => {
                write!(f, "field \"{field}\" holds a control character")
            }
            AdminRequestError::ConfirmWithoutKey => {
                f.write_str("\"confirm\" is only allowed with \"kid\"")
            }
            AdminRequestError::MissingTarget => {
                f.write_str("give one of \"jti\", \"sub\", \"kid\" or \"token\"")
            }
            AdminRequestError::MultipleTargets => {
                f.write_str("give only one of \"jti\", \"sub\", \"kid\" or \"token\"")
            }
            AdminRequestError::BeforeWithoutSubject => {
                f.write_str("\"before\" is only allowed with \"sub\"")
            }
            AdminRequestError::NonIntegerBefore => {
                f.write_str("\"before\" must be an integer (NumericDate seconds)")
            }
            AdminRequestError::NegativeBefore => f.write_str("\"before\" must not be negative"),
            AdminRequestError::BeforeInFuture { before, now } => {
                write!(
                    f,
                    "\"before\" ({before}, {}) is later than now",
                    crate::time::human(*before, *now)
                )
            }
            AdminRequestError::UnknownReason => {
                f.write_str("\"reason\" must be one of ")?;
                for (i, r) in RevocationReason::ALL.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}\"{r}\"")?;
                }
                Ok(())
            }
            AdminRequestError::MissingContentType => f.write_str("missing Content-Type"),
            AdminRequestError::UnsupportedContentType => f.write_str(
                "Content-Type must be application/x-www-form-urlencoded or application/json",
            ),
            AdminRequestError::InvalidPercentEncoding => {
                f.write_str("form body has invalid percent-encoding")
            }
            AdminRequestError::InvalidUtf8 => f.write_str("\"token\" is not valid UTF-8"),
            AdminRequestError::MissingToken => f.write_str("missing \"token\""),
        }
    }
}

impl std::error::Error for AdminRequestError {}

/// Whether a client-supplied field name is plain enough to repeat in an error message.
fn is_safe_to_echo(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A JSON object's members in order, duplicates kept (serde_json's `Map` keeps only the
/// last, which would let `{"jti":"a","jti":"b"}` pass silently).
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, serde_json::Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Parses a JSON object body into its members.
fn parse_object(body: &[u8]) -> Result<Vec<(String, serde_json::Value)>, AdminRequestError> {
    match serde_json::from_slice::<Members>(body) {
        Ok(Members(members)) => Ok(members),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(AdminRequestError::NotAnObject)
        }
        Err(_) => Err(AdminRequestError::InvalidJson),
    }
}

fn check_body_len(body: &[u8]) -> Result<(), AdminRequestError> {
    if body.len() > MAX_ADMIN_BODY_LEN {
        return Err(AdminRequestError::BodyTooLarge {
            len: body.len(),
            max: MAX_ADMIN_BODY_LEN,
        });
    }
    Ok(())
}

/// Takes a string member, rejecting other types and the empty string.
fn string_member(
    field: &'static str,
    value: serde_json::Value,
) -> Result<String, AdminRequestError> {
    match value {
        serde_json::Value::String(s) if s.is_empty() => {
            Err(AdminRequestError::EmptyField { field })
        }
        serde_json::Value::String(s) => Ok(s),
        _ => Err(AdminRequestError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// Takes an identifier member: a string that [`identifier_problem`] accepts.
fn identifier_member(
    field: &'static str,
    value: serde_json::Value,
) -> Result<String, AdminRequestError> {
    let s = string_member(field, value)?;
    match identifier_problem(&s) {
        None => Ok(s),
        Some(IdentifierProblem::Empty) => Err(AdminRequestError::EmptyField { field }),
        Some(IdentifierProblem::TooLong { len }) => Err(AdminRequestError::FieldTooLong {
            field,
            len,
            max: MAX_IDENTIFIER_LEN,
        }),
        Some(IdentifierProblem::ControlCharacter) => {
            Err(AdminRequestError::ControlCharacter { field })
        }
    }
}

/// Sets a field once, rejecting a second occurrence.
fn set_once<T>(
    slot: &mut Option<T>,
    field: &'static str,
    value: T,
) -> Result<(), AdminRequestError> {
    if slot.is_some() {
        return Err(AdminRequestError::DuplicateField { field });
    }
    *slot = Some(value);
    Ok(())
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
/// `{"kid": "…", "confirm": true}` (`confirm` optional, see [`check_key_revocation`]),
/// `{"sid": "…"}` (a grant; the Worker also ends the grant itself) or `{"token": "…"}` (the caller verifies the token and revokes its `jti`), plus an optional
/// `"reason"` from [`RevocationReason`] (default `"admin"`).
///
/// Identifiers must pass [`identifier_problem`]; the token is bounded only by
/// [`MAX_ADMIN_BODY_LEN`].
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

/// Why a key revocation was refused; nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRevocationRefusal {
    /// No key in the ring has this `kid`: revoking it would report success and revoke
    /// nothing (a typo, or the wrong deployment).
    NotInRing,
    /// The ring's signing key: every token minted from now on would be refused, admin
    /// tokens included. Needs `"confirm": true`.
    SigningKey,
    /// The key that verified the caller's own token: the caller locks themself out. Needs
    /// `"confirm": true`.
    CallersKey,
}

impl KeyRevocationRefusal {
    /// A stable code: the problem type's last part.
    pub fn code(self) -> &'static str {
        match self {
            KeyRevocationRefusal::NotInRing => "kid_not_in_ring",
            KeyRevocationRefusal::SigningKey => "signing_key_needs_confirm",
            KeyRevocationRefusal::CallersKey => "own_key_needs_confirm",
        }
    }
}

impl fmt::Display for KeyRevocationRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyRevocationRefusal::NotInRing => "no key in the key ring has this kid",
            KeyRevocationRefusal::SigningKey => {
                "this is the signing key: revoking it refuses every token it signs, admin \
                 tokens included; send \"confirm\": true to revoke it anyway"
            }
            KeyRevocationRefusal::CallersKey => {
                "this key verified your own token: revoking it locks you out; send \
                 \"confirm\": true to revoke it anyway"
            }
        })
    }
}

impl std::error::Error for KeyRevocationRefusal {}

/// Decides whether `kid` may be revoked by a caller whose token `caller_kid` verified.
///
/// Refuses a `kid` not in `ring` (always), and, unless `confirm`, the ring's signing key and
/// the caller's own key. Answers the revocation to write.
pub fn check_key_revocation(
    ring: &Keyring,
    caller_kid: Option<&str>,
    kid: &str,
    confirm: bool,
) -> Result<Revocation, KeyRevocationRefusal> {
    let key = ring.get(kid).ok_or(KeyRevocationRefusal::NotInRing)?;
    if !confirm {
        if key.signs() {
            return Err(KeyRevocationRefusal::SigningKey);
        }
        if caller_kid == Some(kid) {
            return Err(KeyRevocationRefusal::CallersKey);
        }
    }
    Ok(Revocation::Key {
        kid: kid.to_owned(),
    })
}

/// Parses a token introspection body (RFC 7662) and returns the token.
///
/// `content_type` selects the format (parameters such as `charset` are ignored):
/// - `application/x-www-form-urlencoded`: `token=…`, percent-decoded with `+` as space;
///   other parameters (`token_type_hint`, …) are ignored, but must be well encoded;
/// - `application/json`: `{"token": "…"}`, optionally with a string `token_type_hint`.
///
/// # Errors
/// One [`AdminRequestError`] variant per reason; none echoes the token.
pub fn parse_introspect_request(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<String, AdminRequestError> {
    check_body_len(body)?;
    let content_type = content_type.ok_or(AdminRequestError::MissingContentType)?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        parse_introspect_form(body)
    } else if media_type.eq_ignore_ascii_case("application/json") {
        parse_introspect_json(body)
    } else {
        Err(AdminRequestError::UnsupportedContentType)
    }
}

fn parse_introspect_form(body: &[u8]) -> Result<String, AdminRequestError> {
    let mut token = None;
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[..0]),
        };
        let name = form_decode(name)?;
        let value = form_decode(value)?;
        if name == b"token" {
            let value = String::from_utf8(value).map_err(|_| AdminRequestError::InvalidUtf8)?;
            if value.is_empty() {
                return Err(AdminRequestError::EmptyField { field: "token" });
            }
            set_once(&mut token, "token", value)?;
        }
    }
    token.ok_or(AdminRequestError::MissingToken)
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
fn form_decode(input: &[u8]) -> Result<Vec<u8>, AdminRequestError> {
    percent::decode_form_component(input).map_err(|_| AdminRequestError::InvalidPercentEncoding)
}

fn parse_introspect_json(body: &[u8]) -> Result<String, AdminRequestError> {
    let (mut token, mut hint) = (None, None);
    for (name, value) in parse_object(body)? {
        match name.as_str() {
            "token" => set_once(&mut token, "token", string_member("token", value)?)?,
            "token_type_hint" => {
                let value = string_member("token_type_hint", value)?;
                set_once(&mut hint, "token_type_hint", value)?;
            }
            _ => return Err(AdminRequestError::UnknownField { field: name }),
        }
    }
    token.ok_or(AdminRequestError::MissingToken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::test_support::*;
    use proptest::prelude::*;

    fn revoke(body: &str) -> Result<RevokeRequest, AdminRequestError> {
        parse_revoke_request(body.as_bytes(), NOW)
    }

    #[test]
    fn revoke_request_parses_each_target() {
        assert_eq!(
            revoke(r#"{"jti":"a"}"#),
            Ok(RevokeRequest::Revoke(jti("a")))
        );
        assert_eq!(
            revoke(r#"{"sid":"g1"}"#),
            Ok(RevokeRequest::Revoke(sid("g1")))
        );
        assert_eq!(
            revoke(r#"{"sid":"g1","jti":"a"}"#),
            Err(AdminRequestError::MultipleTargets)
        );
        assert_eq!(
            revoke(r#"{"kid":"k1"}"#),
            Ok(RevokeRequest::Key {
                kid: "k1".into(),
                confirm: false
            })
        );
        assert_eq!(
            revoke(r#"{"kid":"k1","confirm":true}"#),
            Ok(RevokeRequest::Key {
                kid: "k1".into(),
                confirm: true
            })
        );
        assert_eq!(
            revoke(r#"{"token":"eyJ.x.y"}"#),
            Ok(RevokeRequest::Token("eyJ.x.y".into()))
        );
        assert_eq!(
            revoke(&format!(r#"{{"sub":"alice","before":{}}}"#, NOW - 5)),
            Ok(RevokeRequest::Revoke(sub("alice", NOW - 5)))
        );
    }

    #[test]
    fn revoke_order_takes_a_reason_from_the_closed_set_default_admin() {
        let order = |body: &str| parse_revoke_order(body.as_bytes(), NOW);
        assert_eq!(
            order(r#"{"jti":"a","reason":"leaked"}"#).map(|o| o.reason),
            Ok(RevocationReason::Leaked)
        );
        assert_eq!(
            order(r#"{"jti":"a"}"#).map(|o| o.reason),
            Ok(RevocationReason::Admin)
        );
        assert_eq!(
            order(r#"{"reason":"reuse","token":"x"}"#),
            Ok(RevokeOrder {
                request: RevokeRequest::Token("x".into()),
                reason: RevocationReason::Reuse
            })
        );
        for (body, want) in [
            (
                r#"{"jti":"a","reason":"whim"}"#,
                AdminRequestError::UnknownReason,
            ),
            (
                r#"{"jti":"a","reason":"Leaked"}"#,
                AdminRequestError::UnknownReason,
            ),
            (
                r#"{"jti":"a","reason":7}"#,
                AdminRequestError::WrongType {
                    field: "reason",
                    expected: "a string",
                },
            ),
            (
                r#"{"jti":"a","reason":""}"#,
                AdminRequestError::EmptyField { field: "reason" },
            ),
            (
                r#"{"jti":"a","reason":"admin","reason":"leaked"}"#,
                AdminRequestError::DuplicateField { field: "reason" },
            ),
            (r#"{"reason":"leaked"}"#, AdminRequestError::MissingTarget),
        ] {
            assert_eq!(order(body), Err(want.clone()), "{body}");
        }
        let shown = AdminRequestError::UnknownReason.to_string();
        assert!(
            shown.contains("\"leaked\"") && !shown.contains("whim"),
            "{shown}"
        );
    }

    #[test]
    fn revoke_request_subject_before_defaults_to_now() {
        assert_eq!(
            revoke(r#"{"sub":"alice"}"#),
            Ok(RevokeRequest::Revoke(sub("alice", NOW)))
        );
    }

    #[test]
    fn revoke_request_accepts_before_equal_to_now_and_zero() {
        assert_eq!(
            revoke(&format!(r#"{{"before":{NOW},"sub":"a"}}"#)),
            Ok(RevokeRequest::Revoke(sub("a", NOW)))
        );
        assert_eq!(
            revoke(r#"{"sub":"a","before":0}"#),
            Ok(RevokeRequest::Revoke(sub("a", 0)))
        );
    }

    #[test]
    fn revoke_request_rejects_body_over_the_size_limit() {
        let body = format!(
            r#"{{"jti":"a","pad":"{}"}}"#,
            "x".repeat(MAX_ADMIN_BODY_LEN)
        );
        assert_eq!(
            revoke(&body),
            Err(AdminRequestError::BodyTooLarge {
                len: body.len(),
                max: MAX_ADMIN_BODY_LEN
            })
        );
    }

    #[test]
    fn revoke_request_rejects_invalid_json() {
        assert_eq!(revoke(r#"{"jti":"a""#), Err(AdminRequestError::InvalidJson));
        assert_eq!(revoke(""), Err(AdminRequestError::InvalidJson));
        assert_eq!(
            parse_revoke_request(b"{\"jti\":\"\xff\"}", NOW),
            Err(AdminRequestError::InvalidJson)
        );
    }

    #[test]
    fn revoke_request_rejects_non_object_json() {
        for body in [r#"["jti","a"]"#, r#""a""#, "null", "42", "true"] {
            assert_eq!(revoke(body), Err(AdminRequestError::NotAnObject), "{body}");
        }
    }

    #[test]
    fn revoke_request_rejects_unknown_field() {
        assert_eq!(
            revoke(r#"{"jti":"a","why":"x"}"#),
            Err(AdminRequestError::UnknownField {
                field: "why".into()
            })
        );
    }

    #[test]
    fn revoke_request_rejects_duplicate_field() {
        assert_eq!(
            revoke(r#"{"jti":"a","jti":"b"}"#),
            Err(AdminRequestError::DuplicateField { field: "jti" })
        );
        // An escaped name is the same name.
        assert_eq!(
            revoke(r#"{"jti":"a","j\u0074i":"b"}"#),
            Err(AdminRequestError::DuplicateField { field: "jti" })
        );
    }

    #[test]
    fn revoke_request_rejects_empty_strings() {
        for (body, field) in [
            (r#"{"jti":""}"#, "jti"),
            (r#"{"sub":""}"#, "sub"),
            (r#"{"kid":""}"#, "kid"),
            (r#"{"token":""}"#, "token"),
        ] {
            assert_eq!(
                revoke(body),
                Err(AdminRequestError::EmptyField { field }),
                "{body}"
            );
        }
    }

    #[test]
    fn revoke_request_rejects_identifiers_over_the_length_limit() {
        let long = "x".repeat(MAX_IDENTIFIER_LEN + 1);
        assert_eq!(
            revoke(&format!(r#"{{"sub":"{long}"}}"#)),
            Err(AdminRequestError::FieldTooLong {
                field: "sub",
                len: MAX_IDENTIFIER_LEN + 1,
                max: MAX_IDENTIFIER_LEN
            })
        );
        let at_limit = "x".repeat(MAX_IDENTIFIER_LEN);
        assert!(revoke(&format!(r#"{{"kid":"{at_limit}"}}"#)).is_ok());
        // A presented token is not an identifier: only the body limit applies.
        let token = "x".repeat(2 * MAX_IDENTIFIER_LEN);
        assert_eq!(
            revoke(&format!(r#"{{"token":"{token}"}}"#)),
            Ok(RevokeRequest::Token(token))
        );
    }

    #[test]
    fn revoke_request_takes_confirm_only_as_a_boolean_with_kid() {
        assert_eq!(
            revoke(r#"{"jti":"a","confirm":true}"#),
            Err(AdminRequestError::ConfirmWithoutKey)
        );
        assert_eq!(
            revoke(r#"{"kid":"a","confirm":"yes"}"#),
            Err(AdminRequestError::WrongType {
                field: "confirm",
                expected: "a boolean"
            })
        );
        assert_eq!(
            revoke(r#"{"kid":"a","confirm":true,"confirm":true}"#),
            Err(AdminRequestError::DuplicateField { field: "confirm" })
        );
    }

    #[test]
    fn revoke_request_rejects_identifiers_with_control_characters() {
        for body in [
            r#"{"jti":"a\u0000"}"#,
            r#"{"sub":"\u007f"}"#,
            r#"{"kid":"\n"}"#,
        ] {
            assert!(
                matches!(
                    revoke(body),
                    Err(AdminRequestError::ControlCharacter { .. })
                ),
                "{body}"
            );
        }
        assert!(revoke(r#"{"sub":"é \" \\ /"}"#).is_ok());
    }

    fn ring(keys: &str) -> Keyring {
        Keyring::from_jwks(&format!(r#"{{"keys":[{keys}]}}"#)).unwrap()
    }

    const K: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn key_revocation_refuses_a_kid_not_in_the_ring() {
        let ring = ring(&format!(
            r#"{{"kty":"oct","kid":"k1","alg":"HS256","k":"{K}"}}"#
        ));
        for confirm in [false, true] {
            assert_eq!(
                check_key_revocation(&ring, None, "k2", confirm),
                Err(KeyRevocationRefusal::NotInRing)
            );
        }
    }

    #[test]
    fn key_revocation_of_the_signing_or_own_key_needs_confirm() {
        let ring = ring(&format!(
            r#"{{"kty":"oct","kid":"old","alg":"HS256","k":"{K}","key_ops":["verify"]}},
               {{"kty":"oct","kid":"new","alg":"HS256","k":"{K}","key_ops":["sign","verify"]}},
               {{"kty":"oct","kid":"other","alg":"HS256","k":"{K}","key_ops":["verify"]}}"#
        ));
        assert_eq!(
            check_key_revocation(&ring, Some("old"), "new", false),
            Err(KeyRevocationRefusal::SigningKey)
        );
        assert_eq!(
            check_key_revocation(&ring, Some("old"), "old", false),
            Err(KeyRevocationRefusal::CallersKey)
        );
        assert_eq!(
            check_key_revocation(&ring, Some("new"), "new", false),
            Err(KeyRevocationRefusal::SigningKey)
        );
        assert_eq!(
            check_key_revocation(&ring, Some("old"), "other", false),
            Ok(kid("other"))
        );
        assert_eq!(
            check_key_revocation(&ring, None, "other", false),
            Ok(kid("other"))
        );
        for target in ["new", "old"] {
            assert_eq!(
                check_key_revocation(&ring, Some("old"), target, true),
                Ok(kid(target))
            );
        }
    }

    #[test]
    fn key_revocation_refusals_have_distinct_codes() {
        let codes = [
            KeyRevocationRefusal::NotInRing,
            KeyRevocationRefusal::SigningKey,
            KeyRevocationRefusal::CallersKey,
        ]
        .map(KeyRevocationRefusal::code);
        assert_eq!(
            codes,
            [
                "kid_not_in_ring",
                "signing_key_needs_confirm",
                "own_key_needs_confirm"
            ]
        );
    }

    #[test]
    fn revoke_request_rejects_missing_target() {
        assert_eq!(revoke("{}"), Err(AdminRequestError::MissingTarget));
    }

    #[test]
    fn revoke_request_rejects_multiple_targets() {
        assert_eq!(
            revoke(r#"{"jti":"a","kid":"k"}"#),
            Err(AdminRequestError::MultipleTargets)
        );
        assert_eq!(
            revoke(r#"{"sub":"a","token":"t"}"#),
            Err(AdminRequestError::MultipleTargets)
        );
    }

    #[test]
    fn revoke_request_rejects_before_without_subject() {
        assert_eq!(
            revoke(r#"{"jti":"a","before":1}"#),
            Err(AdminRequestError::BeforeWithoutSubject)
        );
        assert_eq!(
            revoke(r#"{"before":1}"#),
            Err(AdminRequestError::MissingTarget)
        );
    }

    #[test]
    fn revoke_request_rejects_non_integer_before() {
        for body in [
            r#"{"sub":"a","before":1.5}"#,
            r#"{"sub":"a","before":1.0}"#,
            r#"{"sub":"a","before":1e3}"#,
        ] {
            assert_eq!(
                revoke(body),
                Err(AdminRequestError::NonIntegerBefore),
                "{body}"
            );
        }
    }

    #[test]
    fn revoke_request_rejects_negative_before() {
        assert_eq!(
            revoke(r#"{"sub":"a","before":-1}"#),
            Err(AdminRequestError::NegativeBefore)
        );
    }

    #[test]
    fn revoke_request_rejects_before_in_the_future() {
        assert_eq!(
            revoke(&format!(r#"{{"sub":"a","before":{}}}"#, NOW + 1)),
            Err(AdminRequestError::BeforeInFuture {
                before: NOW + 1,
                now: NOW
            })
        );
        assert_eq!(
            revoke(r#"{"sub":"a","before":18446744073709551615}"#),
            Err(AdminRequestError::BeforeInFuture {
                before: i64::MAX,
                now: NOW
            })
        );
    }

    #[test]
    fn admin_request_errors_each_have_their_own_stable_code() {
        let all = [
            AdminRequestError::BodyTooLarge { len: 1, max: 0 },
            AdminRequestError::InvalidJson,
            AdminRequestError::NotAnObject,
            AdminRequestError::UnknownField { field: "x".into() },
            AdminRequestError::DuplicateField { field: "jti" },
            AdminRequestError::WrongType {
                field: "jti",
                expected: "a string",
            },
            AdminRequestError::EmptyField { field: "jti" },
            AdminRequestError::FieldTooLong {
                field: "jti",
                len: 2,
                max: 1,
            },
            AdminRequestError::ControlCharacter { field: "jti" },
            AdminRequestError::ConfirmWithoutKey,
            AdminRequestError::MissingTarget,
            AdminRequestError::MultipleTargets,
            AdminRequestError::BeforeWithoutSubject,
            AdminRequestError::NonIntegerBefore,
            AdminRequestError::NegativeBefore,
            AdminRequestError::BeforeInFuture { before: 2, now: 1 },
            AdminRequestError::UnknownReason,
            AdminRequestError::MissingContentType,
            AdminRequestError::UnsupportedContentType,
            AdminRequestError::InvalidPercentEncoding,
            AdminRequestError::InvalidUtf8,
            AdminRequestError::MissingToken,
        ];
        let refusals = [
            KeyRevocationRefusal::NotInRing,
            KeyRevocationRefusal::SigningKey,
            KeyRevocationRefusal::CallersKey,
        ];
        let mut codes: Vec<&str> = all.iter().map(AdminRequestError::code).collect();
        codes.extend(refusals.map(KeyRevocationRefusal::code));
        for code in &codes {
            assert!(
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
        }
        let distinct: std::collections::HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(distinct.len(), codes.len(), "{codes:?}");
        // Spot checks: the codes are part of the HTTP interface and must not drift.
        assert_eq!(AdminRequestError::InvalidJson.code(), "invalid_json");
        assert_eq!(
            AdminRequestError::MissingToken.code(),
            "missing_token_field"
        );
        assert_eq!(
            AdminRequestError::BeforeInFuture { before: 2, now: 1 }.code(),
            "before_in_future"
        );
    }

    #[test]
    fn admin_errors_never_echo_the_token_or_hostile_field_names() {
        let secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig";
        let bodies = [
            format!(r#"{{"token":"{secret}","jti":"a"}}"#),
            format!(r#"{{"token":"{secret}","token":"{secret}"}}"#),
            format!(r#"{{"token":"{secret}","before":1}}"#),
            format!(r#"{{"{secret}":1}}"#),
            format!(r#"{{"token":"{secret}""#),
        ];
        for body in &bodies {
            let e = revoke(body).unwrap_err();
            assert!(!e.to_string().contains(secret), "{e}");
        }
        assert_eq!(
            AdminRequestError::UnknownField {
                field: secret.into()
            }
            .to_string(),
            "unknown field"
        );
        assert_eq!(
            AdminRequestError::UnknownField {
                field: "reason".into()
            }
            .to_string(),
            "unknown field \"reason\""
        );
        let debug = format!("{:?}", RevokeRequest::Token(secret.into()));
        assert!(!debug.contains(secret), "{debug}");
    }

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn introspect_form_returns_the_token_and_ignores_other_params() {
        assert_eq!(
            parse_introspect_request(b"token=abc.def.ghi&token_type_hint=access_token", FORM),
            Ok("abc.def.ghi".into())
        );
        assert_eq!(
            parse_introspect_request(b"foo=bar&&token=t", FORM),
            Ok("t".into())
        );
    }

    #[test]
    fn introspect_form_percent_decodes_with_plus_as_space() {
        assert_eq!(
            parse_introspect_request(b"token=a+b%2Bc%2fd%C3%A9", FORM),
            Ok("a b+c/dé".into())
        );
        assert_eq!(parse_introspect_request(b"t%6Fken=x", FORM), Ok("x".into()));
    }

    #[test]
    fn introspect_content_type_is_case_insensitive_and_ignores_parameters() {
        assert_eq!(
            parse_introspect_request(
                b"token=t",
                Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")
            ),
            Ok("t".into())
        );
        assert_eq!(
            parse_introspect_request(br#"{"token":"t"}"#, Some("application/json;charset=utf-8")),
            Ok("t".into())
        );
    }

    #[test]
    fn introspect_form_rejects_bad_percent_encoding() {
        for body in [
            &b"token=%zz"[..],
            b"token=abc%",
            b"token=%4",
            b"x=%g1&token=t",
        ] {
            assert_eq!(
                parse_introspect_request(body, FORM),
                Err(AdminRequestError::InvalidPercentEncoding)
            );
        }
    }

    #[test]
    fn introspect_form_rejects_non_utf8_token() {
        assert_eq!(
            parse_introspect_request(b"token=%FF", FORM),
            Err(AdminRequestError::InvalidUtf8)
        );
    }

    #[test]
    fn introspect_form_rejects_missing_empty_and_repeated_token() {
        assert_eq!(
            parse_introspect_request(b"token_type_hint=x", FORM),
            Err(AdminRequestError::MissingToken)
        );
        assert_eq!(
            parse_introspect_request(b"", FORM),
            Err(AdminRequestError::MissingToken)
        );
        assert_eq!(
            parse_introspect_request(b"token=", FORM),
            Err(AdminRequestError::EmptyField { field: "token" })
        );
        assert_eq!(
            parse_introspect_request(b"token", FORM),
            Err(AdminRequestError::EmptyField { field: "token" })
        );
        assert_eq!(
            parse_introspect_request(b"token=a&token=b", FORM),
            Err(AdminRequestError::DuplicateField { field: "token" })
        );
    }

    #[test]
    fn introspect_json_returns_the_token() {
        assert_eq!(
            parse_introspect_request(br#"{"token":"t"}"#, JSON),
            Ok("t".into())
        );
        assert_eq!(
            parse_introspect_request(br#"{"token_type_hint":"access_token","token":"t"}"#, JSON),
            Ok("t".into())
        );
    }

    #[test]
    fn introspect_json_rejects_bad_bodies() {
        for (body, expected) in [
            (
                &br#"{"token":"t","x":1}"#[..],
                AdminRequestError::UnknownField { field: "x".into() },
            ),
            (
                br#"{"token":1}"#,
                AdminRequestError::WrongType {
                    field: "token",
                    expected: "a string",
                },
            ),
            (
                br#"{"token":""}"#,
                AdminRequestError::EmptyField { field: "token" },
            ),
            (
                br#"{"token":"a","token":"b"}"#,
                AdminRequestError::DuplicateField { field: "token" },
            ),
            (br#"{}"#, AdminRequestError::MissingToken),
            (br#"["t"]"#, AdminRequestError::NotAnObject),
            (b"token=t", AdminRequestError::InvalidJson),
        ] {
            assert_eq!(parse_introspect_request(body, JSON), Err(expected));
        }
    }

    #[test]
    fn introspect_rejects_missing_or_unsupported_content_type() {
        assert_eq!(
            parse_introspect_request(b"token=t", None),
            Err(AdminRequestError::MissingContentType)
        );
        for ct in ["text/plain", "multipart/form-data", "", "application/jsonx"] {
            assert_eq!(
                parse_introspect_request(b"token=t", Some(ct)),
                Err(AdminRequestError::UnsupportedContentType),
                "{ct}"
            );
        }
    }

    #[test]
    fn introspect_rejects_body_over_the_size_limit() {
        let body = vec![b'a'; MAX_ADMIN_BODY_LEN + 1];
        assert_eq!(
            parse_introspect_request(&body, FORM),
            Err(AdminRequestError::BodyTooLarge {
                len: MAX_ADMIN_BODY_LEN + 1,
                max: MAX_ADMIN_BODY_LEN
            })
        );
    }

    proptest! {
        #[test]
        fn admin_parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_revoke_request(&body, NOW);
            let _ = parse_introspect_request(&body, FORM);
            let _ = parse_introspect_request(&body, JSON);
        }
    }
}
