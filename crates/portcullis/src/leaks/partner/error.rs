//! Why a leak report was refused. Nothing is revoked for any of these.

use std::fmt;

/// Why a leak report was refused; each variant has its own code and status. `Display` is
/// safe to show the reporter: it never echoes a value from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeakReportError {
    /// No reporter keys are configured: the endpoint is off (404).
    NotConfigured,
    /// No `Github-Public-Key-Identifier` header.
    MissingKeyId,
    /// No configured key has this identifier (a rotated-out key, or not GitHub).
    UnknownKeyId,
    /// No `Github-Public-Key-Signature` header.
    MissingSignature,
    /// The signature is not base64.
    SignatureNotBase64,
    /// The signature is not a DER ECDSA signature of two P-256-sized integers.
    SignatureNotDer,
    /// The signature does not verify over the body with the named key.
    BadSignature,
    /// The body exceeds [`super::MAX_REPORT_BODY_LEN`].
    BodyTooLarge {
        /// Body length, bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not JSON.
    InvalidJson,
    /// The body is not a JSON array of objects.
    NotAnArray,
    /// The array is empty.
    EmptyReport,
    /// More tokens than [`super::MAX_REPORTED_TOKENS`].
    TooManyTokens {
        /// Tokens sent.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An element lacks a required string field (`token`, `type`, `url`, `source`).
    BadField {
        /// The element's index.
        index: usize,
        /// The field.
        field: &'static str,
    },
    /// A field is longer than its limit.
    FieldTooLong {
        /// The element's index.
        index: usize,
        /// The field.
        field: &'static str,
        /// The limit, bytes.
        max: usize,
    },
}

impl LeakReportError {
    /// A stable code: the problem type's last part and the audit reason.
    pub fn code(&self) -> &'static str {
        match self {
            LeakReportError::NotConfigured => "not_found",
            LeakReportError::MissingKeyId => "missing_key_identifier",
            LeakReportError::UnknownKeyId => "unknown_key_identifier",
            LeakReportError::MissingSignature => "missing_signature",
            LeakReportError::SignatureNotBase64 => "signature_not_base64",
            LeakReportError::SignatureNotDer => "signature_not_der",
            LeakReportError::BadSignature => "bad_signature",
            LeakReportError::BodyTooLarge { .. } => "body_too_large",
            LeakReportError::InvalidJson => "invalid_json",
            LeakReportError::NotAnArray => "not_an_array",
            LeakReportError::EmptyReport => "empty_report",
            LeakReportError::TooManyTokens { .. } => "too_many_tokens",
            LeakReportError::BadField { .. } => "bad_field",
            LeakReportError::FieldTooLong { .. } => "field_too_long",
        }
    }

    /// The HTTP status: 404 when off, 401 for anything about the signature, 413 for size,
    /// 400 for a malformed body.
    pub fn status(&self) -> u16 {
        match self {
            LeakReportError::NotConfigured => 404,
            LeakReportError::MissingKeyId
            | LeakReportError::UnknownKeyId
            | LeakReportError::MissingSignature
            | LeakReportError::SignatureNotBase64
            | LeakReportError::SignatureNotDer
            | LeakReportError::BadSignature => 401,
            LeakReportError::BodyTooLarge { .. } => 413,
            _ => 400,
        }
    }
}

impl fmt::Display for LeakReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeakReportError::NotConfigured => f.write_str("no such admin endpoint"),
            LeakReportError::MissingKeyId => {
                f.write_str("missing Github-Public-Key-Identifier header")
            }
            LeakReportError::UnknownKeyId => {
                f.write_str("no configured reporter key has this identifier")
            }
            LeakReportError::MissingSignature => {
                f.write_str("missing Github-Public-Key-Signature header")
            }
            LeakReportError::SignatureNotBase64 => f.write_str("the signature is not base64"),
            LeakReportError::SignatureNotDer => {
                f.write_str("the signature is not a DER-encoded P-256 ECDSA signature")
            }
            LeakReportError::BadSignature => {
                f.write_str("the signature does not verify over the body")
            }
            LeakReportError::BodyTooLarge { len, max } => {
                write!(f, "request body is {len} bytes, over the {max}-byte limit")
            }
            LeakReportError::InvalidJson => f.write_str("request body is not valid JSON"),
            LeakReportError::NotAnArray => {
                f.write_str("request body must be a JSON array of objects")
            }
            LeakReportError::EmptyReport => f.write_str("the report lists no token"),
            LeakReportError::TooManyTokens { count, max } => {
                write!(
                    f,
                    "the report lists {count} tokens, over the limit of {max}"
                )
            }
            LeakReportError::BadField { index, field } => {
                write!(f, "element {index}: \"{field}\" must be a non-empty string")
            }
            LeakReportError::FieldTooLong { index, field, max } => {
                write!(f, "element {index}: \"{field}\" is over {max} bytes")
            }
        }
    }
}

impl std::error::Error for LeakReportError {}
