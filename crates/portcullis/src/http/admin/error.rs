//! Why an admin request cannot be accepted: one typed error, each variant with its own
//! problem code, a `Display` for the audit log, and a client detail safe to show anyone.

use std::fmt;

use crate::jwt::error::TokenError;
use crate::revocation::{AdminRequestError, RevocationError};

/// Why an admin request cannot be accepted ([`crate::http::Denial::BadAdminRequest`], 400).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AdminError {
    /// The body does not parse as the endpoint's request ([`crate::revocation`]'s parsers).
    Request(AdminRequestError),
    /// The body could not be read from the connection.
    BodyUnreadable,
    /// A token given for revocation is not one this gate accepts.
    TokenNotRevocable(TokenError),
    /// A token given for revocation verified, but its claims cannot be read.
    TokenClaimsUnreadable,
    /// A token given for revocation has no `jti`: only its subject can be revoked.
    TokenWithoutJti,
    /// The revocation cannot be stored (its KV key or metadata would be over KV's limits).
    Unstorable(RevocationError),
    /// A link-check body is not `{"url": "…", "method": "…"}`.
    CheckUrlBody {
        /// What is wrong.
        what: &'static str,
    },
}

/// A body parser error as a client may see it: the parser's own `Display` (written to be
/// shown, never a value from the body), except where it names the server's clock.
fn request_error_detail(error: &AdminRequestError) -> String {
    match error {
        // The admin API's documented body limit, not the length the client sent twice.
        AdminRequestError::BodyTooLarge { max, .. } => {
            format!("the body is larger than {max} bytes")
        }
        AdminRequestError::BeforeInFuture { .. } => "\"before\" is later than now".to_owned(),
        other => other.to_string(),
    }
}

impl AdminError {
    /// The stable problem code: the last part of the problem `type`, and the audit `reason`.
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Request(e) => e.code(),
            AdminError::BodyUnreadable => "body_unreadable",
            AdminError::TokenNotRevocable(_) => "token_not_revocable",
            AdminError::TokenClaimsUnreadable => "token_claims_unreadable",
            AdminError::TokenWithoutJti => "token_without_jti",
            AdminError::Unstorable(_) => "unstorable_revocation",
            AdminError::CheckUrlBody { .. } => "bad_check_url_body",
        }
    }

    /// What the client is told: never the server's clock, leeway or KV limits, never a token.
    pub fn client_detail(&self) -> String {
        match self {
            AdminError::Request(e) => request_error_detail(e),
            AdminError::BodyUnreadable => "the body could not be read".to_owned(),
            AdminError::TokenNotRevocable(e) => {
                format!("the token cannot be revoked: {}", e.client_detail())
            }
            AdminError::TokenClaimsUnreadable => "the token's claims cannot be read".to_owned(),
            AdminError::TokenWithoutJti => {
                "the token has no jti; revoke its subject instead".to_owned()
            }
            AdminError::Unstorable(_) => "the identifier is too long to store".to_owned(),
            AdminError::CheckUrlBody { what } => (*what).to_owned(),
        }
    }
}

/// The full reason, for the audit log: may name the server's clock and limits.
impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::Request(e) => e.fmt(f),
            AdminError::TokenNotRevocable(e) => write!(f, "the token cannot be revoked: {e}"),
            AdminError::Unstorable(e) => write!(f, "the revocation cannot be stored: {e}"),
            other => f.write_str(&other.client_detail()),
        }
    }
}

impl std::error::Error for AdminError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AdminError::Request(e) => Some(e),
            AdminError::TokenNotRevocable(e) => Some(e),
            AdminError::Unstorable(e) => Some(e),
            _ => None,
        }
    }
}

impl From<AdminRequestError> for AdminError {
    fn from(e: AdminRequestError) -> AdminError {
        AdminError::Request(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_details_name_no_clock_and_the_log_keeps_it() {
        let future = AdminError::Request(AdminRequestError::BeforeInFuture {
            before: 1_700_003_600,
            now: 1_700_000_000,
        });
        assert_eq!(future.client_detail(), "\"before\" is later than now");
        assert!(future.to_string().contains("2023-11-14T23:13:20Z (in 1h)"));
        let expired = AdminError::TokenNotRevocable(TokenError::Expired {
            exp: 100,
            now: 1_700_000_000,
            leeway: 30,
        });
        assert!(!expired.client_detail().contains("1700000000"));
        assert!(expired
            .client_detail()
            .starts_with("the token cannot be revoked: "));
        assert!(expired
            .to_string()
            .contains("1970-01-01T00:01:40Z (19675d 22h ago)"));
        let large = AdminError::Request(AdminRequestError::BodyTooLarge {
            len: 9000,
            max: 8192,
        });
        assert_eq!(large.client_detail(), "the body is larger than 8192 bytes");
    }

    #[test]
    fn each_error_beyond_the_body_parser_has_its_own_code() {
        let codes = [
            AdminError::Request(AdminRequestError::MissingTarget).code(),
            AdminError::BodyUnreadable.code(),
            AdminError::TokenNotRevocable(TokenError::BadSignature).code(),
            AdminError::TokenClaimsUnreadable.code(),
            AdminError::TokenWithoutJti.code(),
            AdminError::Unstorable(RevocationError::KeyTooLong { len: 600, max: 512 }).code(),
        ];
        let mut unique = codes.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "{codes:?}");
        assert_eq!(codes[0], "missing_target");
    }

    #[test]
    fn no_detail_is_debug_text() {
        for e in [
            AdminError::Request(AdminRequestError::DuplicateField { field: "jti" }),
            AdminError::Unstorable(RevocationError::KeyTooLong { len: 600, max: 512 }),
        ] {
            for text in [e.client_detail(), e.to_string()] {
                assert!(!text.contains('{') && !text.contains("Field"), "{text}");
            }
        }
    }
}
