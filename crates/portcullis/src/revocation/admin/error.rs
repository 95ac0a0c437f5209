//! Why an admin request body was rejected.

use std::fmt;

use crate::revocation::reason::RevocationReason;

/// Why an admin request body was rejected. `Display` is safe to show the client: it never
/// echoes a value from the body (field names only when short and plain). Each variant has
/// its own problem code ([`AdminRequestError::code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminRequestError {
    /// The body exceeds [`MAX_ADMIN_BODY_LEN`](super::MAX_ADMIN_BODY_LEN).
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
    /// An identifier over [`MAX_IDENTIFIER_LEN`](crate::revocation::MAX_IDENTIFIER_LEN).
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
