//! The admin API's decisions that need no I/O: which endpoint a request names
//! ([`endpoint`]), which requests may change state, who may call it, what a request stores
//! and what each endpoint answers, and why a request is refused ([`AdminError`]).
//!
//! A state-changing admin request (any method but `GET`, `HEAD`, `OPTIONS`) must be one a
//! page on another site cannot make a signed-in operator's browser send:
//! - an `Origin` header, when present, is the request's own origin (else
//!   [`Denial::CrossSiteRequest`]);
//! - the token comes from the `Authorization` header, which a cross-site page cannot set
//!   without a CORS preflight the gate never approves; a token cookie, which the browser
//!   attaches by itself, is refused ([`Denial::CredentialNotInHeader`]);
//! - the body is `application/json`, which a cross-site form cannot send
//!   ([`Denial::UnsupportedMediaType`]). Introspection also takes
//!   `application/x-www-form-urlencoded`, as RFC 7662 section 2.1 requires of it: it changes
//!   nothing, and the two rules above already keep it out of a cross-site page's reach.

mod answers;
mod check_url;
mod error;
mod leaks;

pub use answers::{
    admit_admin, admit_with_scope, check_body_len, endpoint, entry_value, grant_revocation_entry,
    introspected_token, introspection_answer, keys_answer, list_answer, owns, revocation_entry,
    revoked_answer, stats_answer, verify_admin, AdminAnswer, Endpoint, KvCounts,
};
pub use check_url::{check_url, check_url_request, CheckedUrl};
pub use error::AdminError;
pub use leaks::{
    check_report_len, issued_introspection_answer, leak_findings, leak_signature, leaks_answer,
    parse_leak_report,
};

use serde_json::{json, Value};

use crate::http::{credential, Denial, Principal, RequestHead};
use crate::jwt::verify::VerifiedToken;

/// The scope that opens the admin API.
pub const ADMIN_SCOPE: &str = "portcullis:admin";

/// Where the admin token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// The `Authorization: Bearer` header.
    Header,
    /// The configured token cookie.
    Cookie,
}

/// The request's single token and where it came from, under the same rules as
/// [`credential`] (a header and a cookie that differ conflict).
pub fn credential_source<'h>(
    head: &RequestHead<'h>,
    cookie_name: Option<&'h str>,
) -> Result<Option<(&'h str, CredentialSource)>, Denial> {
    let Some(token) = credential(head, cookie_name)? else {
        return Ok(None);
    };
    let header_only = RequestHead {
        authorization: head.authorization,
        ..RequestHead::default()
    };
    let source = match credential(&header_only, None)? {
        Some(_) => CredentialSource::Header,
        None => CredentialSource::Cookie,
    };
    Ok(Some((token, source)))
}

/// The body media types an admin endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyTypes {
    /// `application/json` only.
    Json,
    /// `application/json` or `application/x-www-form-urlencoded` (RFC 7662 introspection).
    JsonOrForm,
    /// `application/x-www-form-urlencoded` only (the RFC 6749 token endpoint, which checks
    /// it itself and answers in RFC 6749's shape).
    Form,
}

/// What [`check_admin_request`] reads of an admin request.
#[derive(Debug, Clone, Copy)]
pub struct AdminRequestHead<'a> {
    /// The method.
    pub method: &'a str,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Origin`.
    pub origin: Option<&'a str>,
    /// The request URL's own origin, `scheme://host[:port]`.
    pub own_origin: &'a str,
    /// Where the token was found, if there is one.
    pub credential: Option<CredentialSource>,
    /// What the endpoint's body may be.
    pub body_types: BodyTypes,
}

/// Whether a method may change state (RFC 9110 section 9.2.1 safe methods may not).
pub fn is_state_changing(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Refuses a state-changing admin request a cross-site page could have made (see the
/// module documentation). Safe methods pass. A request without a token passes here and is
/// refused by authentication.
pub fn check_admin_request(head: &AdminRequestHead<'_>) -> Result<(), Denial> {
    if !is_state_changing(head.method) {
        return Ok(());
    }
    if head
        .origin
        .is_some_and(|o| !o.trim().eq_ignore_ascii_case(head.own_origin))
    {
        return Err(Denial::CrossSiteRequest);
    }
    if head.credential == Some(CredentialSource::Cookie) {
        return Err(Denial::CredentialNotInHeader);
    }
    let media_type = head
        .content_type
        .map(|ct| ct.split(';').next().unwrap_or_default().trim());
    let accepted = match media_type {
        Some(m) if m.eq_ignore_ascii_case("application/json") => head.body_types != BodyTypes::Form,
        Some(m) if m.eq_ignore_ascii_case("application/x-www-form-urlencoded") => {
            head.body_types != BodyTypes::Json
        }
        _ => false,
    };
    if accepted {
        Ok(())
    } else {
        Err(Denial::UnsupportedMediaType)
    }
}

/// An introspection answer and what the audit log keeps of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Introspection {
    /// The response body.
    pub body: Value,
    /// `active`, or the code of what makes the token inactive.
    pub reason: &'static str,
    /// The full reason, for the audit log only.
    pub detail: Option<String>,
}

/// The RFC 7662 answer for a token: its claims with `active: true` when it verifies and is
/// not revoked; otherwise exactly `{"active": false}` (section 2.2), the reason kept for the
/// audit log. `outcome` is the verified token, or the denial verification or the revocation
/// check gave.
pub fn introspection(outcome: Result<&VerifiedToken, &Denial>) -> Introspection {
    match outcome {
        Ok(token) => {
            let mut body = serde_json::to_value(&token.claims).unwrap_or_else(|_| json!({}));
            if !body.is_object() {
                body = json!({});
            }
            body["active"] = json!(true);
            body["token_type"] = json!("Bearer");
            if let Some(kid) = Principal::of(token).kid {
                body["kid"] = json!(kid);
            }
            Introspection {
                body,
                reason: "active",
                detail: None,
            }
        }
        Err(denial) => Introspection {
            body: json!({ "active": false }),
            reason: denial.code(),
            detail: denial.audit_detail(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::error::TokenError;

    const OWN: &str = "https://gate.example";

    fn post(
        content_type: Option<&'static str>,
        origin: Option<&'static str>,
        credential: Option<CredentialSource>,
    ) -> AdminRequestHead<'static> {
        AdminRequestHead {
            method: "POST",
            content_type,
            origin,
            own_origin: OWN,
            credential,
            body_types: BodyTypes::Json,
        }
    }

    const JSON: Option<&str> = Some("application/json");
    const HEADER: Option<CredentialSource> = Some(CredentialSource::Header);

    #[test]
    fn accepts_a_same_origin_json_post_with_a_header_token() {
        assert_eq!(check_admin_request(&post(JSON, None, HEADER)), Ok(()));
        assert_eq!(check_admin_request(&post(JSON, Some(OWN), HEADER)), Ok(()));
        let charset = post(Some("Application/JSON; charset=utf-8"), None, HEADER);
        assert_eq!(check_admin_request(&charset), Ok(()));
    }

    #[test]
    fn refuses_a_cross_site_origin() {
        for origin in [
            "https://evil.example",
            "null",
            "http://gate.example",
            "https://gate.example:8443",
        ] {
            assert_eq!(
                check_admin_request(&post(JSON, Some(origin), HEADER)),
                Err(Denial::CrossSiteRequest),
                "{origin}"
            );
        }
    }

    #[test]
    fn refuses_a_cookie_credential_on_state_changing_requests() {
        let cookie = Some(CredentialSource::Cookie);
        assert_eq!(
            check_admin_request(&post(JSON, None, cookie)),
            Err(Denial::CredentialNotInHeader)
        );
        let get = AdminRequestHead {
            method: "GET",
            ..post(None, Some("https://evil.example"), cookie)
        };
        assert_eq!(
            check_admin_request(&get),
            Ok(()),
            "safe methods are not checked"
        );
    }

    #[test]
    fn requires_json_unless_the_endpoint_takes_a_form() {
        for ct in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonx"),
        ] {
            assert_eq!(
                check_admin_request(&post(ct, None, HEADER)),
                Err(Denial::UnsupportedMediaType),
                "{ct:?}"
            );
        }
        let form = AdminRequestHead {
            body_types: BodyTypes::JsonOrForm,
            ..post(Some("application/x-www-form-urlencoded"), None, HEADER)
        };
        assert_eq!(check_admin_request(&form), Ok(()));
        let text = AdminRequestHead {
            content_type: Some("text/plain"),
            ..form
        };
        assert_eq!(
            check_admin_request(&text),
            Err(Denial::UnsupportedMediaType)
        );
    }

    #[test]
    fn the_cross_site_check_comes_first() {
        let cookie = Some(CredentialSource::Cookie);
        let head = post(Some("text/plain"), Some("https://evil.example"), cookie);
        assert_eq!(check_admin_request(&head), Err(Denial::CrossSiteRequest));
    }

    #[test]
    fn credential_source_tells_header_from_cookie() {
        let head = |authorization, cookie| RequestHead {
            method: "POST",
            authorization,
            cookie,
            ..RequestHead::default()
        };
        assert_eq!(
            credential_source(&head(Some("Bearer t1"), None), Some("pc")),
            Ok(Some(("t1", CredentialSource::Header)))
        );
        assert_eq!(
            credential_source(&head(None, Some("pc=t1")), Some("pc")),
            Ok(Some(("t1", CredentialSource::Cookie)))
        );
        // A header token plus a token cookie is two credentials, even when equal.
        assert_eq!(
            credential_source(&head(Some("Bearer t1"), Some("pc=t1")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        assert_eq!(credential_source(&head(None, None), Some("pc")), Ok(None));
        assert_eq!(
            credential_source(&head(Some("Bearer t1"), Some("pc=t2")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
    }

    #[test]
    fn an_active_token_gets_its_claims_active_and_kid() {
        use crate::jwt::keyring::Keyring;
        use crate::jwt::verify::{verify, VerifyPolicy};
        let k = crate::codec::b64::encode([7u8; 32]);
        let jwks = format!(r#"{{"keys":[{{"kty":"oct","kid":"k1","alg":"HS256","k":"{k}"}}]}}"#);
        let ring = Keyring::from_jwks(&jwks).unwrap();
        let token = crate::jwt::mint::sign_compact(
            &ring.keys()[0],
            &json!({ "alg": "HS256", "kid": "k1" }),
            &json!({ "sub": "alice", "jti": "t1", "iat": 1000, "exp": 1600 }),
        );
        let verified = verify(&token, &ring, &VerifyPolicy::default(), 1100).unwrap();
        let answer = introspection(Ok(&verified));
        assert_eq!(answer.reason, "active");
        let b = &answer.body;
        assert_eq!(
            (
                &b["active"],
                &b["sub"],
                &b["jti"],
                &b["kid"],
                &b["token_type"]
            ),
            (
                &json!(true),
                &json!("alice"),
                &json!("t1"),
                &json!("k1"),
                &json!("Bearer")
            )
        );
    }

    #[test]
    fn inactive_tokens_get_exactly_active_false_and_the_reason_stays_in_the_log() {
        let expired = Denial::InvalidToken(TokenError::Expired {
            exp: 100,
            now: 200,
            leeway: 30,
        });
        let answer = introspection(Err(&expired));
        assert_eq!(answer.body, json!({ "active": false }));
        assert_eq!(answer.reason, "expired");
        assert!(answer
            .detail
            .unwrap()
            .contains("1970-01-01T00:01:40Z (1m 40s ago)"));
        let revoked = Denial::Revoked {
            by: crate::revocation::RevokedBy::Token,
            principal: Principal::default(),
        };
        let answer = introspection(Err(&revoked));
        assert_eq!(answer.body.to_string(), r#"{"active":false}"#);
        assert_eq!(answer.reason, "revoked");
    }
}
