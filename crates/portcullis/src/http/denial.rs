//! Every reason the gate refuses a request ([`Denial`]) and the one map from a decision to
//! HTTP: status, headers, the RFC 9457 problem document and the RFC 6750 challenge.
//!
//! What a client is shown ([`Denial::response`]) is written for an anonymous caller: never a
//! token, never the server's clock, leeway, limits or settings, never `Debug` text. The full
//! reason goes to the audit log only ([`Denial::audit_detail`]).

use serde::Serialize;
use serde_json::json;

use crate::grant::oauth::OAuthError;
use crate::grant::requests::IssueRequestError;
use crate::http::admin::AdminError;
use crate::jwt::error::TokenError;
use crate::jwt::verify::VerifiedToken;
use crate::leaks::partner::LeakReportError;
use crate::ratelimit::RateLimit;
use crate::revocation::{KeyRevocationRefusal, RevokedBy};
use crate::routes::PathError;
use crate::sender::BindingError;
use crate::signed::SignedUrlError;

/// Who a verified token speaks for, for denials that happen after verification.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Principal {
    /// `sub`.
    pub sub: Option<String>,
    /// `jti`.
    pub jti: Option<String>,
    /// The `kid` of the key that verified the token.
    pub kid: Option<String>,
}

impl Principal {
    /// The principal of a verified token.
    pub fn of(token: &VerifiedToken) -> Principal {
        Principal {
            sub: token.claims.sub.clone(),
            jti: token.claims.jti.clone(),
            kid: token.key_id.clone(),
        }
    }
}

/// A token binding refusal ([`Denial::Binding`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BindingRefusal {
    /// Why.
    pub error: BindingError,
    /// Whose token it is.
    pub principal: Principal,
    /// The DPoP algorithms accepted, for the `DPoP` challenge's `algs`.
    pub algs: String,
    /// A fresh server nonce, for [`BindingError::UseNonce`] (`DPoP-Nonce`).
    pub nonce: Option<String>,
}

/// A rate limit refusal ([`Denial::RateLimited`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitRefusal {
    /// The limit.
    pub limit: RateLimit,
    /// Whose token it is, when one was verified.
    pub principal: Option<Principal>,
}

/// Every reason the gate refuses a request. [`Denial::response`] turns one into HTTP.
#[derive(Debug, Clone, PartialEq)]
pub enum Denial {
    /// `access_token` in the query string, in any spelling a framework reads as it
    /// ([`crate::http::query_names_token`]; RFC 6750 2.3 is never accepted here).
    TokenInQuery,
    /// An `Authorization: Bearer` header that is not `Bearer <b64token>`.
    MalformedAuthorization,
    /// More than one credential: a header token and a token cookie (even equal), or two
    /// different token cookies.
    ConflictingCredentials,
    /// The path cannot be normalized safely.
    BadPath(PathError),
    /// No rule matches this method and path.
    NoRoute,
    /// The rule needs a token and there is none.
    MissingToken {
        /// The position of the rule that matched, for the audit log; `None` on the admin API.
        rule: Option<usize>,
    },
    /// The token failed verification.
    InvalidToken(TokenError),
    /// A signed link (URL, cookie or compatibility token) is refused: a 403 with the
    /// error's own code.
    SignedUrl(SignedUrlError),
    /// The token is valid but revoked.
    Revoked {
        /// Which revocation covers it.
        by: RevokedBy,
        /// Whose token it is.
        principal: Principal,
    },
    /// The token lacks scopes the rule requires.
    InsufficientScope {
        /// Every scope the rule requires.
        required: Vec<String>,
        /// Whose token it is.
        principal: Principal,
    },
    /// The token's binding (mTLS certificate or DPoP proof) is not satisfied, or the route
    /// wants a bound token.
    /// (Boxed: the refusal carries the challenge's parts, and most denials are small.)
    Binding(Box<BindingRefusal>),
    /// The rule's rate limit is reached for this request's key.
    RateLimited(Box<RateLimitRefusal>),
    /// No usable revocation snapshot, and the rule fails closed.
    RevocationUnavailable {
        /// Seconds after which a retry may succeed.
        retry_after_s: u64,
    },
    /// The configuration is unusable; names the setting only.
    Misconfigured {
        /// The setting at fault (a name, never its value).
        setting: String,
    },
    /// The origin could not be reached.
    OriginUnreachable,
    /// The origin did not answer in time.
    OriginTimeout,
    /// The request carries this gate's own hop marker for this method and URL: the gate
    /// forwarded it and it came back (no `ORIGIN_URL`, or one that leads here).
    LoopDetected,
    /// An admin API path that does not exist.
    AdminNotFound,
    /// An admin API path that exists, with another method.
    AdminMethodNotAllowed {
        /// The methods it takes.
        allow: &'static str,
    },
    /// An admin request that cannot be accepted; each [`AdminError`] has its own code.
    BadAdminRequest(AdminError),
    /// A state-changing admin request whose `Origin` is another site's.
    CrossSiteRequest,
    /// A state-changing admin request whose token came from a cookie, not `Authorization`.
    CredentialNotInHeader,
    /// A state-changing admin request whose body is not of a media type the endpoint takes.
    UnsupportedMediaType,
    /// A key revocation the core refused ([`crate::revocation::check_key_revocation`]).
    KeyRevocationRefused(KeyRevocationRefusal),
    /// A secret-scanning leak report refused before anything was revoked: no keys
    /// configured, a bad signature or key identifier, an oversized or malformed body.
    LeakReportRefused(LeakReportError),
    /// A token endpoint refusal: answered in RFC 6749 section 5.2's shape, not RFC 9457's.
    OAuth(OAuthError),
    /// A `POST /grants` or `/api-keys` body that cannot be accepted (400, nothing changes).
    BadIssueRequest(IssueRequestError),
    /// No API key with that id.
    ApiKeyNotFound,
    /// No grant with that id (`sid`) at this gate.
    GrantNotFound,
    /// The Worker's runtime failed (a binding, a header, a body stream): the request could
    /// not be completed. `error` is the runtime's own message, for the audit log only.
    Internal {
        /// The runtime's error text; never shown to the client.
        error: String,
    },
}

impl Denial {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        use Denial::*;
        match self {
            TokenInQuery | MalformedAuthorization | ConflictingCredentials | BadPath(_) => 400,
            BadAdminRequest(_) | BadIssueRequest(_) => 400,
            OAuth(e) => e.status(),
            ApiKeyNotFound | GrantNotFound => 404,
            MissingToken { .. } | InvalidToken(_) | Revoked { .. } => 401,
            Binding(b) if b.error == BindingError::ReplayCacheFull => 503,
            Binding(_) => 401,
            RateLimited(_) => 429,
            CredentialNotInHeader => 401,
            KeyRevocationRefused(KeyRevocationRefusal::NotInRing) => 400,
            KeyRevocationRefused(_) => 409,
            NoRoute | InsufficientScope { .. } | CrossSiteRequest | SignedUrl(_) => 403,
            UnsupportedMediaType => 415,
            AdminNotFound => 404,
            AdminMethodNotAllowed { .. } => 405,
            Misconfigured { .. } | Internal { .. } => 500,
            OriginUnreachable => 502,
            RevocationUnavailable { .. } => 503,
            OriginTimeout => 504,
            LoopDetected => 508,
            LeakReportRefused(e) => e.status(),
        }
    }

    /// A stable reason code: the last part of the problem `type`, and the audit `reason`.
    pub fn code(&self) -> &'static str {
        use Denial::*;
        match self {
            TokenInQuery => "token_in_query",
            MalformedAuthorization => "malformed_authorization",
            ConflictingCredentials => "conflicting_credentials",
            BadPath(_) => "bad_path",
            NoRoute => "no_route",
            MissingToken { .. } => "missing_token",
            InvalidToken(e) => e.code(),
            SignedUrl(e) => e.code(),
            Revoked { .. } => "revoked",
            Binding(b) => b.error.code(),
            RateLimited(_) => "rate_limited",
            InsufficientScope { .. } => "insufficient_scope",
            RevocationUnavailable { .. } => "revocation_unavailable",
            Misconfigured { .. } => "misconfigured",
            OriginUnreachable => "origin_unreachable",
            OriginTimeout => "origin_timeout",
            LoopDetected => "loop_detected",
            AdminNotFound => "not_found",
            AdminMethodNotAllowed { .. } => "method_not_allowed",
            BadAdminRequest(e) => e.code(),
            OAuth(e) => e.reason,
            BadIssueRequest(e) => e.code(),
            ApiKeyNotFound => "api_key_not_found",
            GrantNotFound => "grant_not_found",
            CrossSiteRequest => "cross_site_request",
            CredentialNotInHeader => "credential_not_in_header",
            UnsupportedMediaType => "unsupported_media_type",
            KeyRevocationRefused(refusal) => refusal.code(),
            Internal { .. } => "internal_error",
            LeakReportRefused(e) => e.code(),
        }
    }

    /// The rule that matched before the denial, when it carries one.
    pub fn rule(&self) -> Option<usize> {
        match self {
            Denial::MissingToken { rule } => *rule,
            _ => None,
        }
    }

    /// The full reason, for the audit log only: may name the server's clock, limits and
    /// settings, never a token. `None` when the code says it all.
    pub fn audit_detail(&self) -> Option<String> {
        use Denial::*;
        match self {
            BadPath(e) => Some(e.to_string()),
            InvalidToken(e) => Some(e.to_string()),
            SignedUrl(e) => Some(e.to_string()),
            Revoked { by, .. } => Some(match by {
                RevokedBy::Token => "revoked by its jti".to_owned(),
                RevokedBy::Subject { before } => {
                    let when = crate::time::utc(*before).unwrap_or_else(|| before.to_string());
                    format!("revoked by its subject (tokens issued before {when})")
                }
                RevokedBy::Key => "revoked by its key".to_owned(),
                RevokedBy::Session => "revoked by its session (sid)".to_owned(),
            }),
            InsufficientScope { required, .. } => {
                Some(format!("requires the scopes: {}", required.join(" ")))
            }
            Misconfigured { setting } => Some(format!("setting {setting}")),
            Binding(b) => Some(b.error.to_string()),
            RateLimited(r) => Some(format!(
                "limiter {} by {}: over {} per {} s",
                r.limit.limiter,
                r.limit.key.name(),
                r.limit.limit,
                r.limit.period_s
            )),
            BadAdminRequest(e) => Some(e.to_string()),
            OAuth(e) => Some(e.to_string()),
            Internal { error } => Some(error.clone()),
            KeyRevocationRefused(refusal) => Some(refusal.to_string()),
            LeakReportRefused(e) => Some(e.to_string()),
            _ => None,
        }
    }

    /// The principal, when the token verified before the denial.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Denial::Revoked { principal, .. } | Denial::InsufficientScope { principal, .. } => {
                Some(principal)
            }
            Denial::Binding(b) => Some(&b.principal),
            Denial::RateLimited(r) => r.principal.as_ref(),
            _ => None,
        }
    }

    /// The `detail` a client is shown (the problem document's), for answers that describe a
    /// refusal without making it (the console's link checker).
    pub fn client_detail(&self) -> String {
        self.title_and_detail().1
    }

    fn title_and_detail(&self) -> (&'static str, String) {
        use Denial::*;
        match self {
            TokenInQuery => (
                "Token in query string",
                "tokens are accepted only in the Authorization header or the configured cookie"
                    .into(),
            ),
            MalformedAuthorization => (
                "Malformed Authorization header",
                "expected `Authorization: Bearer <token>`".into(),
            ),
            ConflictingCredentials => (
                "Conflicting credentials",
                "the request carries more than one token".into(),
            ),
            BadPath(PathError::TooLong { .. }) => {
                ("Bad request path", "the request path is too long".into())
            }
            // The offsets and bytes of the client's own path; nothing of the server's.
            BadPath(e) => ("Bad request path", e.to_string()),
            NoRoute => ("No route", "no rule allows this method and path".into()),
            MissingToken { .. } => (
                "Authentication required",
                "this route requires a bearer token".into(),
            ),
            // Never the Display: that names the server's clock, leeway and limits.
            InvalidToken(e) => ("Invalid token", e.client_detail().into()),
            SignedUrl(e) => ("Signed link refused", e.client_detail().into()),
            Revoked { .. } => ("Token revoked", "the token has been revoked".into()),
            Binding(b) if b.error.is_proof_error() => {
                ("Invalid DPoP proof", b.error.client_detail().into())
            }
            Binding(b) if matches!(b.error, BindingError::UseNonce { .. }) => (
                "DPoP nonce required",
                BindingError::UseNonce { had_nonce: false }
                    .client_detail()
                    .into(),
            ),
            Binding(b) => (
                "Token binding not satisfied",
                b.error.client_detail().into(),
            ),
            RateLimited(_) => (
                "Too many requests",
                "the rate limit for this route is reached; retry after the Retry-After delay"
                    .into(),
            ),
            InsufficientScope { required, .. } => (
                "Insufficient scope",
                format!("this route requires the scopes: {}", required.join(" ")),
            ),
            RevocationUnavailable { retry_after_s } => (
                "Revocation list unavailable",
                format!(
                    "the gate cannot confirm the token is not revoked; retry in {}",
                    crate::time::span(*retry_after_s)
                ),
            ),
            Misconfigured { setting } => (
                "Gate misconfigured",
                format!("the setting {setting} is missing or invalid; see the Worker's logs"),
            ),
            OriginUnreachable => (
                "Origin unreachable",
                "the origin could not be reached".into(),
            ),
            OriginTimeout => ("Origin timeout", "the origin did not answer in time".into()),
            LoopDetected => (
                "Loop detected",
                "the gate received a request it had forwarded itself".into(),
            ),
            AdminNotFound => ("Not found", "no such admin endpoint".into()),
            AdminMethodNotAllowed { .. } => (
                "Method not allowed",
                "this admin endpoint does not take that method".into(),
            ),
            BadAdminRequest(e) => ("Bad admin request", e.client_detail()),
            OAuth(e) => ("Token request refused", e.description.to_owned()),
            BadIssueRequest(e) => ("Bad issuing request", e.to_string()),
            ApiKeyNotFound => ("Not found", "no API key with that id".into()),
            GrantNotFound => ("Not found", "no grant with that sid".into()),
            CrossSiteRequest => (
                "Cross-site request refused",
                "state-changing admin requests must come from the gate's own origin".into(),
            ),
            CredentialNotInHeader => (
                "Authorization header required",
                "state-changing admin requests take the token from the Authorization header only"
                    .into(),
            ),
            UnsupportedMediaType => (
                "Unsupported media type",
                "this admin endpoint takes a body of Content-Type application/json".into(),
            ),
            KeyRevocationRefused(refusal) => ("Key revocation refused", refusal.to_string()),
            LeakReportRefused(LeakReportError::NotConfigured) => {
                ("Not found", "no such admin endpoint".into())
            }
            LeakReportRefused(e) => ("Leak report refused", e.to_string()),
            Internal { .. } => (
                "Internal error",
                "the gate could not complete the request; see the Worker's logs".into(),
            ),
        }
    }

    /// The `WWW-Authenticate` challenge, for the denials RFC 6750 section 3 covers.
    fn challenge(&self, realm: &str) -> Option<String> {
        use Denial::*;
        let with = |error: &str, description: &str| {
            format!(
                r#"Bearer realm="{realm}", error="{error}", error_description="{}""#,
                quotable(description)
            )
        };
        match self {
            MissingToken { .. } => Some(format!(r#"Bearer realm="{realm}""#)),
            TokenInQuery
            | MalformedAuthorization
            | ConflictingCredentials
            | CredentialNotInHeader => Some(with("invalid_request", &self.title_and_detail().1)),
            InvalidToken(_) | Revoked { .. } => {
                Some(with("invalid_token", &self.title_and_detail().1))
            }
            Binding(b) => {
                let (error, algs) = (&b.error, &b.algs);
                // RFC 9449 7.1 and 9: proof faults and nonces are DPoP challenges.
                let dpop = |code: &str| {
                    format!(
                        r#"DPoP realm="{realm}", algs="{algs}", error="{code}", error_description="{}""#,
                        quotable(error.client_detail())
                    )
                };
                match error {
                    BindingError::ReplayCacheFull => None,
                    BindingError::UseNonce { .. } => Some(dpop("use_dpop_nonce")),
                    e if e.is_proof_error() => Some(dpop("invalid_dpop_proof")),
                    BindingError::BoundTokenAsBearer => Some(dpop("invalid_token")),
                    _ => Some(with("invalid_token", error.client_detail())),
                }
            }
            InsufficientScope { required, .. } => Some(format!(
                r#"{}, scope="{}""#,
                with("insufficient_scope", "the token lacks a required scope"),
                quotable(&required.join(" "))
            )),
            _ => None,
        }
    }

    /// The response: status, headers and an RFC 9457 problem document. Never echoes a token.
    pub fn response(&self, realm: &str) -> HttpResponse {
        if let Denial::OAuth(e) = self {
            return e.response(realm);
        }
        let status = self.status();
        let (title, detail) = self.title_and_detail();
        let mut body = json!({
            "type": format!("urn:portcullis:problem:{}", self.code()),
            "title": title,
            "status": status,
            "detail": detail,
        });
        let mut headers = vec![
            ("content-type", "application/problem+json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ];
        if let Some(challenge) = self.challenge(realm) {
            headers.push(("www-authenticate", challenge));
        }
        match self {
            Denial::InsufficientScope { required, .. } => body["scope"] = json!(required.join(" ")),
            Denial::RevocationUnavailable { retry_after_s } => {
                headers.push(("retry-after", retry_after_s.to_string()))
            }
            Denial::AdminMethodNotAllowed { allow } => headers.push(("allow", (*allow).to_owned())),
            Denial::Binding(b) => {
                if let Some(nonce) = &b.nonce {
                    headers.push(("dpop-nonce", nonce.clone()));
                }
                if b.error == BindingError::ReplayCacheFull {
                    headers.push(("retry-after", "1".to_owned()));
                }
            }
            Denial::RateLimited(r) => {
                let limit = &r.limit;
                headers.push(("retry-after", limit.period_s.to_string()));
                headers.push(("ratelimit-policy", limit.policy_header()));
                headers.push(("ratelimit", limit.exhausted_header()));
            }
            _ => {}
        }
        HttpResponse {
            status,
            headers,
            body: body.to_string(),
        }
    }
}

/// A response the Worker sends as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl HttpResponse {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Keeps only what RFC 6750 allows inside a quoted challenge parameter.
fn quotable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::audit::{AuditRecord, AuditRequest};

    #[test]
    fn a_loop_is_508_with_its_own_code() {
        let r = Denial::LoopDetected.response("r");
        assert_eq!((r.status, r.header("www-authenticate")), (508, None));
        assert!(r.body.contains("urn:portcullis:problem:loop_detected"));
    }

    #[test]
    fn token_denials_show_clients_no_clock_or_leeway_but_the_audit_keeps_them() {
        let expired = Denial::InvalidToken(TokenError::Expired {
            exp: 1_700_000_000,
            now: 1_700_000_100,
            leeway: 30,
        });
        let response = expired.response("r");
        for shown in [
            response.body.as_str(),
            response.header("www-authenticate").unwrap(),
        ] {
            assert!(!shown.contains("1700000100"), "{shown}");
            assert!(!shown.contains("leeway"), "{shown}");
            assert!(shown.contains("the token has expired"), "{shown}");
        }
        let request = AuditRequest {
            method: "GET",
            ..AuditRequest::default()
        };
        let record = AuditRecord::deny("gate", &request, Some(2), &expired);
        assert!(record
            .detail
            .as_deref()
            .unwrap()
            .contains("ago), leeway 30s"));
        let too_long = Denial::BadPath(PathError::TooLong {
            len: 9000,
            max: 4096,
        });
        assert!(!too_long.response("r").body.contains("4096"));
    }

    #[test]
    fn admin_and_availability_denials_show_no_configuration() {
        let denials = [
            Denial::RevocationUnavailable { retry_after_s: 5 },
            Denial::CrossSiteRequest,
            Denial::CredentialNotInHeader,
            Denial::UnsupportedMediaType,
        ];
        for d in denials {
            let body = d.response("r").body;
            assert!(!body.contains("PORTCULLIS"), "{body}");
            assert!(body.contains(&format!("urn:portcullis:problem:{}", d.code())));
        }
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        let missing = Denial::MissingToken { rule: None }.response("r");
        assert_eq!(missing.status, 401);
        assert_eq!(
            missing.header("www-authenticate"),
            Some(r#"Bearer realm="r""#)
        );
        let scope = Denial::InsufficientScope {
            required: vec!["a".into(), "b".into()],
            principal: Principal::default(),
        }
        .response("r");
        assert_eq!(scope.status, 403);
        assert!(scope
            .header("www-authenticate")
            .unwrap()
            .contains(r#"error="insufficient_scope""#));
        assert!(scope
            .header("www-authenticate")
            .unwrap()
            .ends_with(r#"scope="a b""#));
        let invalid = Denial::InvalidToken(TokenError::BadSignature).response("r");
        assert!(invalid
            .header("www-authenticate")
            .unwrap()
            .contains(r#"error="invalid_token""#));
        assert!(invalid
            .body
            .contains("urn:portcullis:problem:bad_signature"));
        assert_eq!(
            invalid.header("content-type"),
            Some("application/problem+json")
        );
        let down = Denial::RevocationUnavailable { retry_after_s: 7 }.response("r");
        assert_eq!((down.status, down.header("retry-after")), (503, Some("7")));
        assert!(down.body.contains("retry in 7s"), "{}", down.body);
    }

    #[test]
    fn a_runtime_error_is_a_500_problem_whose_text_only_the_audit_sees() {
        let failed = Denial::Internal {
            error: "KV GET failed: binding REVOCATIONS is not a KvNamespace".into(),
        };
        let response = failed.response("r");
        assert_eq!(
            (response.status, response.header("www-authenticate")),
            (500, None)
        );
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert!(response
            .body
            .contains("urn:portcullis:problem:internal_error"));
        assert!(!response.body.contains("REVOCATIONS"), "{}", response.body);
        let request = AuditRequest::default();
        let record = AuditRecord::deny("gate", &request, None, &failed);
        assert_eq!((record.reason, record.status), ("internal_error", 500));
        assert!(record.detail.unwrap().contains("REVOCATIONS"));
    }

    #[test]
    fn admin_errors_keep_their_own_code_and_a_client_safe_detail() {
        use crate::revocation::AdminRequestError;
        let future =
            Denial::BadAdminRequest(AdminError::Request(AdminRequestError::BeforeInFuture {
                before: 1_700_003_600,
                now: 1_700_000_000,
            }));
        let response = future.response("r");
        assert_eq!(response.status, 400);
        assert!(response
            .body
            .contains("urn:portcullis:problem:before_in_future"));
        assert!(!response.body.contains("1700000000"), "{}", response.body);
        assert_eq!(
            future.audit_detail().unwrap(),
            "\"before\" (1700003600, 2023-11-14T23:13:20Z (in 1h)) is later than now"
        );
        let no_jti = Denial::BadAdminRequest(AdminError::TokenWithoutJti).response("r");
        assert!(no_jti
            .body
            .contains("urn:portcullis:problem:token_without_jti"));
    }

    #[test]
    fn each_key_revocation_refusal_is_its_own_problem() {
        for (refusal, status, code) in [
            (KeyRevocationRefusal::NotInRing, 400, "kid_not_in_ring"),
            (
                KeyRevocationRefusal::SigningKey,
                409,
                "signing_key_needs_confirm",
            ),
            (
                KeyRevocationRefusal::CallersKey,
                409,
                "own_key_needs_confirm",
            ),
        ] {
            let response = Denial::KeyRevocationRefused(refusal).response("r");
            assert_eq!(response.status, status);
            assert!(response
                .body
                .contains(&format!("urn:portcullis:problem:{code}")));
        }
    }
}
