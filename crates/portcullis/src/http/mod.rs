//! The gate's decision for one request, and the one place where decisions become HTTP.
//!
//! Two phases, because only the second may need the revocation snapshot (which the Worker
//! may have to fetch): [`route`] reads the request head (path, route rule, credential) and
//! [`authorize`] verifies the token against the key ring, the revocation snapshot and the
//! rule's scopes. Everything here is pure; the Worker supplies values and `now`.

use serde::Serialize;
use serde_json::json;

use crate::config::GateConfig;
use crate::jwt::error::TokenError;
use crate::jwt::keyring::Key;
use crate::jwt::mint::sign_compact;
use crate::routes::{Access, NormalizedPath, PathError, Rule};
use crate::revocation::{RevocationSnapshot, RevokedBy};
use crate::jwt::verify::{verify, VerifiedToken};

/// How long an identity assertion lives, in seconds.
pub const ASSERTION_TTL: i64 = 60;

/// The scope that opens the admin API.
pub const ADMIN_SCOPE: &str = "portcullis:admin";

/// Prefix of every identity header; incoming ones are always removed.
pub const IDENTITY_HEADER_PREFIX: &str = "x-portcullis-";

/// What the gate reads of a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHead<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The query string without `?`, if any.
    pub query: Option<&'a str>,
    /// The `Authorization` header (several are joined with `, ` by the platform).
    pub authorization: Option<&'a str>,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// `Access-Control-Request-Method`, present on a CORS preflight.
    pub preflight_method: Option<&'a str>,
}

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
            kid: token.header.kid.clone(),
        }
    }
}

/// Every reason the gate refuses a request. [`Denial::response`] turns one into HTTP.
#[derive(Debug, Clone, PartialEq)]
pub enum Denial {
    /// `access_token` in the query string (RFC 6750 2.3 is never accepted here).
    TokenInQuery,
    /// An `Authorization: Bearer` header that is not `Bearer <b64token>`.
    MalformedAuthorization,
    /// Two different tokens in one request (header and cookie, or two cookies).
    ConflictingCredentials,
    /// The path cannot be normalized safely.
    BadPath(PathError),
    /// No rule matches this method and path.
    NoRoute,
    /// The rule needs a token and there is none.
    MissingToken,
    /// The token failed verification.
    InvalidToken(TokenError),
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
    /// No usable revocation snapshot, and the rule fails closed.
    RevocationUnavailable {
        /// Seconds after which a retry may succeed.
        retry_after_s: u64,
    },
    /// The configuration is unusable; names the setting only.
    Misconfigured {
        /// The setting at fault.
        setting: &'static str,
    },
    /// The origin could not be reached.
    OriginUnreachable,
    /// The origin did not answer in time.
    OriginTimeout,
    /// An admin API path that does not exist.
    AdminNotFound,
    /// An admin API path that exists, with another method.
    AdminMethodNotAllowed {
        /// The methods it takes.
        allow: &'static str,
    },
    /// An admin request body that cannot be accepted; the text is safe to show.
    BadAdminRequest(String),
}

impl Denial {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        use Denial::*;
        match self {
            TokenInQuery | MalformedAuthorization | ConflictingCredentials | BadPath(_) => 400,
            BadAdminRequest(_) => 400,
            MissingToken | InvalidToken(_) | Revoked { .. } => 401,
            NoRoute | InsufficientScope { .. } => 403,
            AdminNotFound => 404,
            AdminMethodNotAllowed { .. } => 405,
            Misconfigured { .. } => 500,
            OriginUnreachable => 502,
            RevocationUnavailable { .. } => 503,
            OriginTimeout => 504,
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
            MissingToken => "missing_token",
            InvalidToken(e) => e.code(),
            Revoked { .. } => "revoked",
            InsufficientScope { .. } => "insufficient_scope",
            RevocationUnavailable { .. } => "revocation_unavailable",
            Misconfigured { .. } => "misconfigured",
            OriginUnreachable => "origin_unreachable",
            OriginTimeout => "origin_timeout",
            AdminNotFound => "not_found",
            AdminMethodNotAllowed { .. } => "method_not_allowed",
            BadAdminRequest(_) => "bad_admin_request",
        }
    }

    /// The principal, when the token verified before the denial.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Denial::Revoked { principal, .. } | Denial::InsufficientScope { principal, .. } => {
                Some(principal)
            }
            _ => None,
        }
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
                "the request carries two different tokens".into(),
            ),
            BadPath(e) => ("Bad request path", e.to_string()),
            NoRoute => ("No route", "no rule allows this method and path".into()),
            MissingToken => (
                "Authentication required",
                "this route requires a bearer token".into(),
            ),
            InvalidToken(e) => ("Invalid token", e.to_string()),
            Revoked { .. } => ("Token revoked", "the token has been revoked".into()),
            InsufficientScope { required, .. } => (
                "Insufficient scope",
                format!("this route requires the scopes: {}", required.join(" ")),
            ),
            RevocationUnavailable { .. } => (
                "Revocation list unavailable",
                "the gate cannot confirm the token is not revoked; retry shortly".into(),
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
            AdminNotFound => ("Not found", "no such admin endpoint".into()),
            AdminMethodNotAllowed { .. } => (
                "Method not allowed",
                "this admin endpoint does not take that method".into(),
            ),
            BadAdminRequest(why) => ("Bad admin request", why.clone()),
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
            MissingToken => Some(format!(r#"Bearer realm="{realm}""#)),
            TokenInQuery | MalformedAuthorization | ConflictingCredentials => {
                Some(with("invalid_request", &self.title_and_detail().1))
            }
            InvalidToken(_) | Revoked { .. } => {
                Some(with("invalid_token", &self.title_and_detail().1))
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

/// How a routed request is to be admitted, according to its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// A public rule: no token is read.
    Public,
    /// A CORS preflight a rule allows without a token.
    Preflight,
    /// A token is required; here it is.
    Token(String),
}

/// The outcome of [`route`]: the rule that applies, the normalized path the origin will get.
#[derive(Debug, Clone)]
pub struct Routed<'c> {
    /// The first matching rule.
    pub rule: &'c Rule,
    /// The normalized path: what was authorized, and what the origin receives.
    pub path: NormalizedPath,
    /// What the rule needs.
    pub access: Admission,
}

/// Phase one: the request head against the route table. Refuses tokens in the query string
/// and ambiguous credentials before anything else. `path` is [`crate::routes::normalize_path`] of the
/// request path: the caller normalizes once, since it also needs the result (for the admin
/// prefix) before routing.
pub fn route<'c>(
    config: &'c GateConfig,
    head: &RequestHead<'_>,
    path: Result<NormalizedPath, PathError>,
) -> Result<Routed<'c>, Denial> {
    if head.query.is_some_and(query_has_token) {
        return Err(Denial::TokenInQuery);
    }
    let token = credential(head, config.cookie.as_deref())?;
    let path = path.map_err(Denial::BadPath)?;
    if head.method == "OPTIONS" {
        if let Some(requested) = head.preflight_method {
            if let Some(rule) = config.routes.find_preflight(requested, &path) {
                return Ok(Routed {
                    rule,
                    path,
                    access: Admission::Preflight,
                });
            }
        }
    }
    let rule = config
        .routes
        .find(head.method, &path)
        .ok_or(Denial::NoRoute)?;
    let access = match rule.access() {
        Access::Public => Admission::Public,
        Access::Token { .. } => Admission::Token(token.ok_or(Denial::MissingToken)?.to_owned()),
    };
    Ok(Routed { rule, path, access })
}

/// The revocation list as the Worker holds it for this request.
#[derive(Debug, Clone, Copy)]
pub enum Revocations<'a> {
    /// A snapshot young enough to decide with.
    Current(&'a RevocationSnapshot),
    /// None, or too old: the rule's `fail_open` decides.
    Unavailable {
        /// Seconds after which a retry may succeed.
        retry_after_s: u64,
    },
}

/// A request the gate lets through.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    /// The verified token.
    pub token: VerifiedToken,
    /// False when the revocation list was unavailable and the rule fails open.
    pub revocation_checked: bool,
}

/// Phase two: verify the token, check revocation, then the rule's scopes.
pub fn authorize(
    config: &GateConfig,
    rule: &Rule,
    token: &str,
    revocations: Revocations<'_>,
    now: i64,
) -> Result<Authorized, Denial> {
    let verified =
        verify(token, &config.keyring, &config.verify, now).map_err(Denial::InvalidToken)?;
    let revocation_checked = check_revocation(&verified, rule.fail_open(), revocations)?;
    if let Access::Token { scopes } = rule.access() {
        check_scopes(&verified, scopes)?;
    }
    Ok(Authorized {
        token: verified,
        revocation_checked,
    })
}

/// Refuses a revoked token; returns whether the check could be made (false: failed open).
pub fn check_revocation(
    token: &VerifiedToken,
    fail_open: bool,
    revocations: Revocations<'_>,
) -> Result<bool, Denial> {
    match revocations {
        Revocations::Current(snapshot) => {
            let c = &token.claims;
            match snapshot.check(
                c.jti.as_deref(),
                c.sub.as_deref(),
                c.iat,
                token.header.kid.as_deref(),
            ) {
                Some(by) => Err(Denial::Revoked {
                    by,
                    principal: Principal::of(token),
                }),
                None => Ok(true),
            }
        }
        Revocations::Unavailable { .. } if fail_open => Ok(false),
        Revocations::Unavailable { retry_after_s } => {
            Err(Denial::RevocationUnavailable { retry_after_s })
        }
    }
}

/// Refuses a token that lacks any of `required`.
pub fn check_scopes(token: &VerifiedToken, required: &[String]) -> Result<(), Denial> {
    if required.iter().all(|s| token.claims.has_scope(s)) {
        Ok(())
    } else {
        Err(Denial::InsufficientScope {
            required: required.to_vec(),
            principal: Principal::of(token),
        })
    }
}

/// Whether a query string carries `access_token` (in any percent-encoded spelling).
fn query_has_token(query: &str) -> bool {
    query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        name.len() >= "access_token".len()
            && percent_decode_lossy(name).eq_ignore_ascii_case("access_token")
    })
}

fn percent_decode_lossy(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The single bearer token of a request, from `Authorization` or the configured cookie.
pub fn credential<'h>(
    head: &RequestHead<'h>,
    cookie_name: Option<&'h str>,
) -> Result<Option<&'h str>, Denial> {
    let from_header = match head.authorization {
        Some(value) => bearer(value)?,
        None => None,
    };
    let mut from_cookie: Option<&str> = None;
    if let (Some(name), Some(header)) = (cookie_name, head.cookie) {
        for value in cookie_values(header, name) {
            match from_cookie {
                Some(seen) if seen != value => return Err(Denial::ConflictingCredentials),
                _ => from_cookie = Some(value),
            }
        }
    }
    match (from_header, from_cookie) {
        (Some(h), Some(c)) if h != c => Err(Denial::ConflictingCredentials),
        (Some(t), _) | (None, Some(t)) => Ok(Some(t)),
        (None, None) => Ok(None),
    }
}

/// `Bearer <b64token>` (RFC 6750 2.1). Another scheme is not a bearer credential.
fn bearer(value: &str) -> Result<Option<&str>, Denial> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    let is_b64token = !token.is_empty()
        && token
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if is_b64token {
        Ok(Some(token))
    } else {
        Err(Denial::MalformedAuthorization)
    }
}

/// Values of every cookie named `name` in a `Cookie` header.
fn cookie_values<'h>(header: &'h str, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
    header.split(';').filter_map(move |pair| {
        let (n, v) = pair.trim().split_once('=')?;
        (n.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// The `Cookie` header without the token cookie; `None` when nothing is left.
pub fn cookie_without(header: &str, name: &str) -> Option<String> {
    let kept: Vec<&str> = header
        .split(';')
        .map(str::trim)
        .filter(|pair| {
            !pair.is_empty() && pair.split_once('=').map_or(pair.trim(), |(n, _)| n.trim()) != name
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// Headers never forwarded as received: credentials (the cookie is re-added without the
/// token), hop-by-hop headers (RFC 9110 7.6.1), and `host`, which the outbound URL sets.
const NOT_FORWARDED: [&str; 10] = [
    "authorization",
    "cookie",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

/// Whether an incoming header may be forwarded to the origin as is. Every incoming
/// `X-Portcullis-*` header is dropped, so identity cannot be spoofed.
pub fn forwards_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !NOT_FORWARDED.contains(&name.as_str()) && !name.starts_with(IDENTITY_HEADER_PREFIX)
}

/// A header-safe rendering of an identity value: printable ASCII kept, everything else
/// (and `%`) percent-encoded as UTF-8, so no claim can inject a header line.
pub fn header_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if (0x20..0x7f).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The identity headers for the origin (names lower case), assertion included.
pub fn identity_headers(
    origin_key: &Key,
    token: &VerifiedToken,
    method: &str,
    htu: &str,
    now: i64,
) -> Vec<(&'static str, String)> {
    let c = &token.claims;
    vec![
        (
            "x-portcullis-subject",
            header_value(c.sub.as_deref().unwrap_or("")),
        ),
        (
            "x-portcullis-scopes",
            header_value(c.scope.as_deref().unwrap_or("")),
        ),
        (
            "x-portcullis-token-id",
            header_value(c.jti.as_deref().unwrap_or("")),
        ),
        (
            "x-portcullis-assertion",
            identity_assertion(origin_key, token, method, htu, now),
        ),
    ]
}

/// The identity assertion: an HS256 JWS the origin can check, binding the caller's `sub`,
/// `scope` and `jti` to this method and URL (`htm`, `htu` as in DPoP, RFC 9449), living
/// [`ASSERTION_TTL`] seconds.
pub fn identity_assertion(
    origin_key: &Key,
    token: &VerifiedToken,
    method: &str,
    htu: &str,
    now: i64,
) -> String {
    let c = &token.claims;
    let mut header = json!({ "alg": "HS256", "typ": "JWT" });
    if let Some(kid) = origin_key.kid() {
        header["kid"] = json!(kid);
    }
    let payload = json!({
        "iss": "portcullis",
        "sub": c.sub,
        "scope": c.scope,
        "jti": c.jti,
        "htm": method,
        "htu": htu,
        "iat": now,
        "exp": now + ASSERTION_TTL,
    });
    sign_compact(origin_key, &header, &payload)
}

/// One audit line per decision. Holds identifiers only: never a token, signature or key.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord<'a> {
    /// Milliseconds since the epoch.
    pub time_ms: u64,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// A stable reason code.
    pub reason: &'static str,
    /// The HTTP status sent (the origin's, when forwarded).
    pub status: u16,
    /// The rule's position, when one matched.
    pub rule: Option<usize>,
    /// `sub` of a verified token.
    pub sub: Option<&'a str>,
    /// `jti` of a verified token.
    pub jti: Option<&'a str>,
    /// `kid` of the key that verified it.
    pub kid: Option<&'a str>,
    /// The client's address (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// `CF-Ray`.
    pub ray: Option<&'a str>,
    /// Time spent deciding, microseconds (coarse in Workers: timers only advance on I/O).
    pub gate_us: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head<'a>(auth: Option<&'a str>, cookie: Option<&'a str>) -> RequestHead<'a> {
        RequestHead {
            method: "GET",
            authorization: auth,
            cookie,
            ..RequestHead::default()
        }
    }

    #[test]
    fn bearer_parsing_is_strict() {
        assert_eq!(
            credential(&head(Some("Bearer abc.def.ghi"), None), None),
            Ok(Some("abc.def.ghi"))
        );
        assert_eq!(
            credential(&head(Some("bearer   abc"), None), None),
            Ok(Some("abc"))
        );
        assert_eq!(
            credential(&head(Some("Basic dXNlcjpwdw=="), None), None),
            Ok(None)
        );
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a, Bearer b",
            "Bearer a\"b",
        ] {
            assert_eq!(
                credential(&head(Some(bad), None), None),
                Err(Denial::MalformedAuthorization),
                "{bad}"
            );
        }
    }

    #[test]
    fn cookie_and_header_must_agree() {
        let c = Some("theme=dark; pc=tok1");
        assert_eq!(credential(&head(None, c), Some("pc")), Ok(Some("tok1")));
        assert_eq!(credential(&head(None, c), None), Ok(None));
        assert_eq!(
            credential(&head(Some("Bearer tok1"), c), Some("pc")),
            Ok(Some("tok1"))
        );
        assert_eq!(
            credential(&head(Some("Bearer tok2"), c), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        assert_eq!(
            credential(&head(None, Some("pc=a; pc=b")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
    }

    #[test]
    fn query_tokens_are_found_in_any_spelling() {
        assert!(query_has_token("a=1&access_token=x"));
        assert!(query_has_token("access%5Ftoken=x"));
        assert!(query_has_token("ACCESS_TOKEN=x"));
        assert!(!query_has_token("token=x&access=1"));
    }

    #[test]
    fn cookie_stripping_keeps_other_cookies() {
        assert_eq!(
            cookie_without("a=1; pc=tok; b=2", "pc").as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(cookie_without("pc=tok", "pc"), None);
    }

    #[test]
    fn header_values_cannot_inject_lines() {
        assert_eq!(header_value("alice\r\nX-Evil: 1"), "alice%0D%0AX-Evil: 1");
        assert_eq!(header_value("é%"), "%C3%A9%25");
    }

    #[test]
    fn forwarding_drops_credentials_and_spoofed_identity() {
        for h in [
            "Authorization",
            "cookie",
            "X-Portcullis-Subject",
            "x-portcullis-anything",
        ] {
            assert!(!forwards_header(h), "{h}");
        }
        assert!(forwards_header("content-type"));
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        let missing = Denial::MissingToken.response("r");
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
    }
}
