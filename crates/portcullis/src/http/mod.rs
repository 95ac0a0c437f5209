//! The gate's decision for one request, and the one place where decisions become HTTP.
//!
//! Two phases, because only the second may need the revocation snapshot (which the Worker
//! may have to fetch): [`route`] reads the request head (path, route rule, credential) and
//! [`authorize`] verifies the token against the key ring, the revocation snapshot and the
//! rule's scopes. Everything here is pure; the Worker supplies values and `now`.

pub mod admin;
pub mod forwarding;

use serde::Serialize;
use serde_json::json;

use crate::config::GateConfig;
use crate::jwt::error::TokenError;
use crate::jwt::keyring::Key;
use crate::jwt::mint::sign_compact;
use crate::jwt::verify::{verify, VerifiedToken};
use crate::revocation::{KeyRevocationRefusal, RevocationSnapshot, RevokedBy};
use crate::routes::{Access, NormalizedPath, PathError, Rule};

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
            kid: token.key_id.clone(),
        }
    }
}

/// Every reason the gate refuses a request. [`Denial::response`] turns one into HTTP.
#[derive(Debug, Clone, PartialEq)]
pub enum Denial {
    /// `access_token` in the query string, in any spelling a framework reads as it
    /// ([`query_names_token`]; RFC 6750 2.3 is never accepted here).
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
    /// An admin request body that cannot be accepted; the text is safe to show.
    BadAdminRequest(String),
    /// A state-changing admin request whose `Origin` is another site's.
    CrossSiteRequest,
    /// A state-changing admin request whose token came from a cookie, not `Authorization`.
    CredentialNotInHeader,
    /// A state-changing admin request whose body is not of a media type the endpoint takes.
    UnsupportedMediaType,
    /// A key revocation the core refused ([`crate::revocation::check_key_revocation`]).
    KeyRevocationRefused(KeyRevocationRefusal),
}

impl Denial {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        use Denial::*;
        match self {
            TokenInQuery | MalformedAuthorization | ConflictingCredentials | BadPath(_) => 400,
            BadAdminRequest(_) => 400,
            MissingToken { .. } | InvalidToken(_) | Revoked { .. } => 401,
            CredentialNotInHeader => 401,
            KeyRevocationRefused(KeyRevocationRefusal::NotInRing) => 400,
            KeyRevocationRefused(_) => 409,
            NoRoute | InsufficientScope { .. } | CrossSiteRequest => 403,
            UnsupportedMediaType => 415,
            AdminNotFound => 404,
            AdminMethodNotAllowed { .. } => 405,
            Misconfigured { .. } => 500,
            OriginUnreachable => 502,
            RevocationUnavailable { .. } => 503,
            OriginTimeout => 504,
            LoopDetected => 508,
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
            Revoked { .. } => "revoked",
            InsufficientScope { .. } => "insufficient_scope",
            RevocationUnavailable { .. } => "revocation_unavailable",
            Misconfigured { .. } => "misconfigured",
            OriginUnreachable => "origin_unreachable",
            OriginTimeout => "origin_timeout",
            LoopDetected => "loop_detected",
            AdminNotFound => "not_found",
            AdminMethodNotAllowed { .. } => "method_not_allowed",
            BadAdminRequest(_) => "bad_admin_request",
            CrossSiteRequest => "cross_site_request",
            CredentialNotInHeader => "credential_not_in_header",
            UnsupportedMediaType => "unsupported_media_type",
            KeyRevocationRefused(refusal) => refusal.code(),
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
            Revoked { by, .. } => Some(match by {
                RevokedBy::Token => "revoked by its jti".to_owned(),
                RevokedBy::Subject { before } => {
                    format!("revoked by its subject (tokens issued before {before})")
                }
                RevokedBy::Key => "revoked by its key".to_owned(),
            }),
            InsufficientScope { required, .. } => {
                Some(format!("requires the scopes: {}", required.join(" ")))
            }
            Misconfigured { setting } => Some(format!("setting {setting}")),
            BadAdminRequest(why) => Some(why.clone()),
            KeyRevocationRefused(refusal) => Some(refusal.to_string()),
            _ => None,
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
            LoopDetected => (
                "Loop detected",
                "the gate received a request it had forwarded itself".into(),
            ),
            AdminNotFound => ("Not found", "no such admin endpoint".into()),
            AdminMethodNotAllowed { .. } => (
                "Method not allowed",
                "this admin endpoint does not take that method".into(),
            ),
            BadAdminRequest(why) => ("Bad admin request", why.clone()),
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

/// Request head hygiene, the first check of every request, admin API included: refuses a
/// token in the query string ([`query_names_token`]) and ambiguous credentials
/// ([`credential`]), and returns the request's one bearer token, if any.
pub fn screen<'h>(
    head: &RequestHead<'h>,
    cookie_name: Option<&'h str>,
) -> Result<Option<&'h str>, Denial> {
    if head.query.is_some_and(query_names_token) {
        return Err(Denial::TokenInQuery);
    }
    credential(head, cookie_name)
}

/// Phase one: the request head against the route table. Runs [`screen`] before anything
/// else. `path` is [`crate::routes::normalize_path`] of the
/// request path: the caller normalizes once, since it also needs the result (for the admin
/// prefix) before routing.
pub fn route<'c>(
    config: &'c GateConfig,
    head: &RequestHead<'_>,
    path: Result<NormalizedPath, PathError>,
) -> Result<Routed<'c>, Denial> {
    let token = screen(head, config.cookie.as_deref())?;
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
        Access::Token { .. } => Admission::Token(
            token
                .ok_or(Denial::MissingToken {
                    rule: Some(rule.index()),
                })?
                .to_owned(),
        ),
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
            // The verifying key's kid, not the header's: a one-key ring accepts tokens that
            // name none. `iat` rounded down: a token issued at `before - 0.5` is covered.
            match snapshot.check(
                c.jti.as_deref(),
                c.sub.as_deref(),
                c.iat_floor,
                token.key_id.as_deref(),
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

/// The query parameter RFC 6750 section 2.3 defines for bearer tokens.
pub const TOKEN_QUERY_PARAMETER: &str = "access_token";

/// Whether a query string carries [`TOKEN_QUERY_PARAMETER`] in any spelling a common
/// framework reads as that name: pairs separated by `&` or `;` (Rack before 3, Python before
/// 3.9.2, Go before 1.17), and each name compared by [`reads_as_name`].
pub fn query_names_token(query: &str) -> bool {
    query.split(['&', ';']).any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        reads_as_name(name, TOKEN_QUERY_PARAMETER)
    })
}

/// Whether a server-side framework may read the raw parameter or cookie name `raw` as
/// `name`. Every rewrite some common framework applies to names is applied, and a match under
/// any of them counts:
/// - percent-escapes and `+` decoded (every form parser), `%uHHHH` too (IIS);
/// - cut at a NUL (PHP's C strings);
/// - cut at `[` when a `]` follows (`name[]`, `name[x]`: PHP, Rack, `qs` arrays); a `[`
///   without a `]` becomes `_` (PHP);
/// - surrounding whitespace dropped, then ` ` and `.` read as `_` (PHP);
/// - ASCII case ignored (ASP.NET).
pub fn reads_as_name(raw: &str, name: &str) -> bool {
    // Every rewrite shortens or keeps the length; the common case stops here.
    if raw.len() < name.len() {
        return false;
    }
    let decoded = decode_name(raw);
    let decoded = decoded.split('\0').next().unwrap_or("");
    let unbracketed;
    let decoded = match decoded.find('[') {
        Some(open) if decoded[open..].contains(']') => &decoded[..open],
        Some(open) => {
            unbracketed = format!("{}_{}", &decoded[..open], &decoded[open + 1..]);
            &unbracketed
        }
        None => decoded,
    };
    let fold = |b: u8| match b {
        b' ' | b'.' => b'_',
        b => b.to_ascii_lowercase(),
    };
    let decoded = decoded.trim();
    decoded.len() == name.len()
        && decoded
            .bytes()
            .zip(name.bytes())
            .all(|(a, b)| fold(a) == fold(b))
}

/// `raw` with `+` as space, `%HH` and `%uHHHH` decoded; invalid UTF-8 becomes U+FFFD.
fn decode_name(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let hex = |at: usize, digits: usize| -> Option<u32> {
        let text = raw.get(at..at + digits)?;
        text.bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(text, 16).ok())?
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                if let Some(v) = hex(i + 1, 2) {
                    out.push(v as u8);
                    i += 3;
                    continue;
                }
                if matches!(bytes.get(i + 1), Some(b'u' | b'U')) {
                    if let Some(c) = hex(i + 2, 4).and_then(char::from_u32) {
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        i += 6;
                        continue;
                    }
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
///
/// A token in the header together with a token cookie is [`Denial::ConflictingCredentials`],
/// even when the two are equal: a request names its credential once. So are two token
/// cookies with different values.
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
        (Some(_), Some(_)) => Err(Denial::ConflictingCredentials),
        (Some(t), None) | (None, Some(t)) => Ok(Some(t)),
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

/// The cookie pairs of a `Cookie` header, each with the separator text before it (empty for
/// the first). Pairs are separated by `;` or `,`: the platform joins repeated `Cookie` fields
/// with `, `, and RFC 6265 cookie values contain neither character.
fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    // The next pair's separator starts at `separator` and its text at `from`.
    let (mut separator, mut from) = (0, Some(0));
    std::iter::from_fn(move || {
        let start = from?;
        let end = header[start..]
            .find([';', ','])
            .map_or(header.len(), |i| start + i);
        let item = (&header[separator..start], &header[start..end]);
        (separator, from) = (end, (end < header.len()).then_some(end + 1));
        Some(item)
    })
}

/// The name of one cookie pair, and its value if it has an `=`.
fn cookie_name_value(pair: &str) -> (&str, Option<&str>) {
    match pair.split_once('=') {
        Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
        None => (pair.trim(), None),
    }
}

/// Values of every token cookie (a name that [`reads_as_name`] `name`) in a `Cookie` header,
/// in every field the platform joined into it.
fn cookie_values<'h>(header: &'h str, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
    cookie_pairs(header).filter_map(move |(_, pair)| match cookie_name_value(pair) {
        (n, Some(v)) if reads_as_name(n, name) => Some(v),
        _ => None,
    })
}

/// The `Cookie` header without any token cookie (see [`cookie_values`]), every other pair
/// kept byte for byte with its separator; `None` when nothing is left.
pub fn cookie_without(header: &str, name: &str) -> Option<String> {
    let mut kept = String::with_capacity(header.len());
    for (separator, pair) in cookie_pairs(header) {
        let (n, _) = cookie_name_value(pair);
        if pair.trim().is_empty() || reads_as_name(n, name) {
            continue;
        }
        if kept.is_empty() {
            kept.push_str(pair.trim_start());
        } else {
            kept.push_str(separator);
            kept.push_str(pair);
        }
    }
    let kept = kept.trim_end();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// A header-safe rendering of an identity value: printable ASCII kept, everything else
/// (and `%`) percent-encoded as UTF-8, so no claim can inject a header line. Leading and
/// trailing spaces are encoded too, since HTTP trims them from a field value: decoding the
/// header (`%XX` to bytes, then UTF-8) gives the claim exactly.
pub fn header_value(text: &str) -> String {
    let inner = text.trim_matches(' ');
    let lead = text.len() - text.trim_start_matches(' ').len();
    let trail = if inner.is_empty() {
        0
    } else {
        text.len() - text.trim_end_matches(' ').len()
    };
    let mut out = String::with_capacity(text.len());
    for (i, b) in text.bytes().enumerate() {
        let edge_space = b == b' ' && (i < lead || i >= text.len() - trail);
        if (0x20..0x7f).contains(&b) && b != b'%' && !edge_space {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The identity headers for the origin (names lower case), assertion included. A header
/// exists exactly when its claim does: a token without `sub`, `scope` or `jti` gives no
/// header for it, never an empty one.
pub fn identity_headers(
    origin_key: &Key,
    token: &VerifiedToken,
    method: &str,
    htu: &str,
    now: i64,
) -> Vec<(&'static str, String)> {
    let c = &token.claims;
    let claims = [
        ("x-portcullis-subject", &c.sub),
        ("x-portcullis-scopes", &c.scope),
        ("x-portcullis-token-id", &c.jti),
    ];
    let mut headers: Vec<(&'static str, String)> = claims
        .into_iter()
        .filter_map(|(name, claim)| claim.as_deref().map(|v| (name, header_value(v))))
        .collect();
    headers.push((
        "x-portcullis-assertion",
        identity_assertion(origin_key, token, method, htu, now),
    ));
    headers
}

/// The identity assertion: an HS256 JWS the origin can check, binding the caller's `sub`,
/// `scope` and `jti` to this method and URL (`htm`, `htu` as in DPoP, RFC 9449), living
/// [`ASSERTION_TTL`] seconds. A claim the token lacks is left out, never `null`.
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
    let mut payload = json!({
        "iss": "portcullis",
        "htm": method,
        "htu": htu,
        "iat": now,
        "exp": now + ASSERTION_TTL,
    });
    for (name, claim) in [("sub", &c.sub), ("scope", &c.scope), ("jti", &c.jti)] {
        if let Some(value) = claim {
            payload[name] = json!(value);
        }
    }
    sign_compact(origin_key, &header, &payload)
}

/// What the audit log knows of a request before any decision: taken from the platform by
/// the Worker, passed in, so the records themselves are built here.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditRequest<'a> {
    /// Milliseconds since the epoch, when the record is made.
    pub time_ms: u64,
    /// The client's address (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// `CF-Ray`.
    pub ray: Option<&'a str>,
    /// The method.
    pub method: &'a str,
    /// The normalized path; `None` when the path could not be normalized.
    pub path: Option<&'a str>,
}

/// One audit line per decision, for gate requests and admin actions alike. Holds
/// identifiers only: never a token, signature or key.
///
/// There is no timing field: a Worker's clock only advances on I/O, so a duration measured
/// inside the gate is 0 for the CPU work and, around a subrequest, the origin's time, not
/// the gate's. The platform's own request metrics are the honest source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord<'a> {
    /// `gate` for a request to the origin's routes, `admin` for the admin API.
    pub event: &'static str,
    /// Milliseconds since the epoch.
    pub time_ms: u64,
    /// The client's address (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// `CF-Ray`.
    pub ray: Option<&'a str>,
    /// The method.
    pub method: &'a str,
    /// The normalized path, when it could be normalized.
    pub path: Option<&'a str>,
    /// The rule's position, when one matched.
    pub rule: Option<usize>,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// A stable reason code.
    pub reason: &'static str,
    /// The HTTP status sent (the origin's, when forwarded).
    pub status: u16,
    /// `sub` of a verified token.
    pub sub: Option<&'a str>,
    /// `jti` of a verified token.
    pub jti: Option<&'a str>,
    /// `kid` of the key that verified it.
    pub kid: Option<&'a str>,
    /// The full reason (a denial's internal detail, an admin action's outcome): may name the
    /// server's clock and limits, which the client is never shown; never a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl<'a> AuditRecord<'a> {
    /// An allowed request or admin action: `reason` says how (`authorized`, `public`, ...).
    pub fn allow(
        event: &'static str,
        request: &AuditRequest<'a>,
        rule: Option<usize>,
        reason: &'static str,
        status: u16,
        who: Option<&'a Principal>,
    ) -> AuditRecord<'a> {
        AuditRecord {
            event,
            time_ms: request.time_ms,
            client_ip: request.client_ip,
            ray: request.ray,
            method: request.method,
            path: request.path,
            rule,
            decision: "allow",
            reason,
            status,
            sub: who.and_then(|p| p.sub.as_deref()),
            jti: who.and_then(|p| p.jti.as_deref()),
            kid: who.and_then(|p| p.kid.as_deref()),
            detail: None,
        }
    }

    /// A refused request: status, reason and detail from the denial; the rule is the one the
    /// caller knows, or the one the denial carries (`missing_token`).
    pub fn deny(
        event: &'static str,
        request: &AuditRequest<'a>,
        rule: Option<usize>,
        denial: &'a Denial,
    ) -> AuditRecord<'a> {
        let mut record = AuditRecord::allow(
            event,
            request,
            rule.or(denial.rule()),
            denial.code(),
            denial.status(),
            denial.principal(),
        );
        record.decision = "deny";
        record.detail = denial.audit_detail();
        record
    }

    /// The same record with `detail` set.
    pub fn with_detail(mut self, detail: Option<String>) -> AuditRecord<'a> {
        self.detail = detail;
        self
    }

    /// The log line: one JSON object.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
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
    fn a_request_names_its_credential_once() {
        let c = Some("theme=dark; pc=tok1");
        assert_eq!(credential(&head(None, c), Some("pc")), Ok(Some("tok1")));
        assert_eq!(credential(&head(None, c), None), Ok(None));
        // Header and cookie together are refused even when equal (this test used to accept
        // an equal pair; issue 10 item 8 makes it a conflict).
        for auth in ["Bearer tok1", "Bearer tok2"] {
            assert_eq!(
                credential(&head(Some(auth), c), Some("pc")),
                Err(Denial::ConflictingCredentials),
                "{auth}"
            );
        }
        assert_eq!(
            credential(&head(None, Some("pc=a; pc=b")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        assert_eq!(
            credential(&head(None, Some("pc=a; pc=a")), Some("pc")),
            Ok(Some("a"))
        );
        // Without a cookie name configured, cookies are not credentials.
        assert_eq!(
            credential(&head(Some("Bearer tok1"), c), None),
            Ok(Some("tok1"))
        );
    }

    #[test]
    fn token_cookies_are_found_in_every_joined_cookie_field() {
        // The platform joins repeated Cookie fields with ", ".
        for header in [
            "theme=dark, pc=tok1",
            "a=1; b=2, pc=tok1; c=3",
            "pc=tok1,a=1",
            "a=1, pc.tok=x",
        ] {
            let found: Vec<&str> = cookie_values(header, "pc").collect();
            let expected: &[&str] = if header.contains("pc=tok1") {
                &["tok1"]
            } else {
                &[]
            };
            assert_eq!(found, expected, "{header}");
            assert_eq!(
                credential(&head(Some("Bearer tok1"), Some(header)), Some("pc")).is_err(),
                !expected.is_empty(),
                "{header}"
            );
        }
        assert_eq!(
            credential(&head(None, Some("pc=a, pc=b")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        // A framework may read these names as the cookie `pc_token` too.
        for spelling in [
            "pc.token",
            "PC_TOKEN",
            "pc%5Ftoken",
            "pc_token[]",
            "pc token",
        ] {
            let header = format!("a=1, {spelling}=t2");
            assert_eq!(
                credential(&head(None, Some(&header)), Some("pc_token")),
                Ok(Some("t2")),
                "{spelling}"
            );
            assert_eq!(cookie_without(&header, "pc_token").as_deref(), Some("a=1"));
        }
        // A configured name is matched by the same rules, so it always matches itself.
        assert_eq!(cookie_values("a.b=1", "a.b").collect::<Vec<_>>(), ["1"]);
        assert_eq!(cookie_values("a_b=1", "a.b").collect::<Vec<_>>(), ["1"]);
    }

    /// Each row: a query string, and whether a common framework reads `access_token` in it.
    const QUERY_TOKEN_CASES: &[(&str, bool)] = &[
        ("access_token=x", true),
        ("a=1&access_token=x", true),
        ("ACCESS_TOKEN=x", true),
        ("Access_Token=x", true),
        ("access_token", true),
        ("access_token=", true),
        // `;` separators (Rack before 3, Python before 3.9.2, Go before 1.17).
        ("a=1;access_token=x", true),
        ("a=1; access_token=x", true),
        // Percent-encoded names, `+` and `%u` (IIS).
        ("access%5Ftoken=x", true),
        ("access%5ftoken=x", true),
        ("%61ccess_token=x", true),
        ("%41CCESS%5FTOKEN=x", true),
        ("access%u005Ftoken=x", true),
        // PHP rewrites ` ` and `.` to `_`, drops leading spaces, cuts at NUL.
        ("access.token=x", true),
        ("access+token=x", true),
        ("access%20token=x", true),
        ("access%2Etoken=x", true),
        ("+access_token=x", true),
        ("%20access_token=x", true),
        ("access_token%00junk=x", true),
        // Arrays (PHP, Rack, qs), and PHP's `[` without `]`.
        ("access_token[]=x", true),
        ("access_token[x]=y", true),
        ("access_token%5B%5D=x", true),
        ("access%5B%5Dtoken=x", false),
        ("access[token=x", true),
        // Not the token parameter.
        ("token=x&access=1", false),
        ("access_tokens=x", false),
        ("my_access_token=x", false),
        ("x=access_token", false),
        ("a=access_token=x", false),
        ("access-token=x", false),
        ("access_toke=n", false),
        ("", false),
        ("%", false),
        ("%u", false),
        ("access_token%", false),
    ];

    #[test]
    fn query_tokens_are_found_in_every_spelling_a_framework_reads() {
        for &(query, expected) in QUERY_TOKEN_CASES {
            assert_eq!(query_names_token(query), expected, "{query:?}");
            let head = RequestHead {
                query: Some(query),
                ..RequestHead::default()
            };
            assert_eq!(
                screen(&head, None) == Err(Denial::TokenInQuery),
                expected,
                "{query:?}"
            );
        }
    }

    #[test]
    fn cookie_stripping_keeps_other_cookies() {
        assert_eq!(
            cookie_without("a=1; pc=tok; b=2", "pc").as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(cookie_without("pc=tok", "pc"), None);
        // Every joined field; other pairs kept byte for byte with their separators.
        for (header, kept) in [
            ("a=1, pc=tok; b=2", Some("a=1; b=2")),
            ("pc=tok, a=1", Some("a=1")),
            ("a=1;b=2, pc=tok", Some("a=1;b=2")),
            ("pc=tok, pc=tok", None),
            ("a=1, pc=tok, b=2; pc=tok", Some("a=1, b=2")),
            (";pc=tok;", None),
            (
                "pc=tok; prefs={\"x\":1,\"y\":2}",
                Some("prefs={\"x\":1,\"y\":2}"),
            ),
        ] {
            assert_eq!(cookie_without(header, "pc").as_deref(), kept, "{header}");
        }
    }

    #[test]
    fn header_values_cannot_inject_lines() {
        assert_eq!(header_value("alice\r\nX-Evil: 1"), "alice%0D%0AX-Evil: 1");
        assert_eq!(header_value("é%"), "%C3%A9%25");
    }

    fn verified(sub: Option<&str>, scope: Option<&str>, jti: Option<&str>) -> VerifiedToken {
        use crate::jwt::claims::Claims;
        use crate::jwt::keyring::Alg;
        VerifiedToken {
            header: crate::jwt::token::Header {
                alg: Alg::HS256,
                kid: None,
            },
            claims: Claims {
                iss: None,
                sub: sub.map(Into::into),
                aud: None,
                exp: 2_000,
                nbf: None,
                iat: None,
                iat_floor: None,
                jti: jti.map(Into::into),
                scope: scope.map(Into::into),
                extra: Default::default(),
            },
            key_id: None,
        }
    }

    #[test]
    fn identity_headers_exist_exactly_when_their_claims_do() {
        let key = Key::new(None, crate::jwt::keyring::Alg::HS256, &[7; 32]).unwrap();
        let names = |t: &VerifiedToken| -> Vec<&'static str> {
            identity_headers(&key, t, "GET", "https://o/x", 1_000)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        let full = verified(Some(" bob "), Some("a b"), Some("j1"));
        assert_eq!(
            identity_headers(&key, &full, "GET", "https://o/x", 1_000)[..3],
            [
                ("x-portcullis-subject", "%20bob%20".to_owned()),
                ("x-portcullis-scopes", "a b".to_owned()),
                ("x-portcullis-token-id", "j1".to_owned()),
            ]
        );
        let bare = verified(None, None, None);
        assert_eq!(names(&bare), ["x-portcullis-assertion"]);

        // The assertion leaves absent claims out instead of carrying null.
        let assertion = identity_assertion(&key, &bare, "GET", "https://o/x", 1_000);
        let payload = assertion.split('.').nth(1).unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(&crate::codec::b64::decode(payload).unwrap()).unwrap();
        assert_eq!(
            payload,
            json!({"iss": "portcullis", "htm": "GET", "htu": "https://o/x", "iat": 1_000, "exp": 1_060})
        );
        let assertion = identity_assertion(&key, &full, "GET", "https://o/x", 1_000);
        let payload = assertion.split('.').nth(1).unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(&crate::codec::b64::decode(payload).unwrap()).unwrap();
        assert_eq!(payload["sub"], " bob ");
    }

    #[test]
    fn a_loop_is_508_with_its_own_code() {
        let r = Denial::LoopDetected.response("r");
        assert_eq!((r.status, r.header("www-authenticate")), (508, None));
        assert!(r.body.contains("urn:portcullis:problem:loop_detected"));
    }

    #[test]
    fn header_values_keep_edge_spaces_encoded() {
        assert_eq!(header_value(" alice "), "%20alice%20");
        assert_eq!(header_value("  a b "), "%20%20a b%20");
        assert_eq!(header_value("a b"), "a b");
        assert_eq!(header_value("   "), "%20%20%20");
        assert_eq!(header_value(""), "");
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
        assert!(record.detail.as_deref().unwrap().contains("now 1700000100"));
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
    fn audit_records_carry_the_request_the_rule_and_the_principal() {
        let request = AuditRequest {
            time_ms: 1_700_000_000_123,
            client_ip: Some("203.0.113.7"),
            ray: Some("8a1b2c3d4e5f6a7b-LHR"),
            method: "GET",
            path: Some("/orders/1"),
        };
        let who = Principal {
            sub: Some("alice".into()),
            jti: Some("t1".into()),
            kid: Some("k1".into()),
        };
        let allowed = AuditRecord::allow("gate", &request, Some(1), "authorized", 200, Some(&who));
        let line: serde_json::Value = serde_json::from_str(&allowed.to_line()).unwrap();
        assert_eq!(
            line,
            json!({
                "event": "gate", "time_ms": 1_700_000_000_123u64, "client_ip": "203.0.113.7",
                "ray": "8a1b2c3d4e5f6a7b-LHR", "method": "GET", "path": "/orders/1", "rule": 1,
                "decision": "allow", "reason": "authorized", "status": 200,
                "sub": "alice", "jti": "t1", "kid": "k1",
            })
        );
        let revoked = Denial::Revoked {
            by: RevokedBy::Key,
            principal: who.clone(),
        };
        let denied = AuditRecord::deny("gate", &request, Some(1), &revoked);
        assert_eq!(
            (denied.decision, denied.reason, denied.status, denied.kid),
            ("deny", "revoked", 401, Some("k1"))
        );
        assert_eq!(denied.detail.as_deref(), Some("revoked by its key"));
    }

    #[test]
    fn missing_token_names_the_rule_that_matched() {
        let missing = Denial::MissingToken { rule: Some(3) };
        let request = AuditRequest::default();
        let record = AuditRecord::deny("gate", &request, None, &missing);
        assert_eq!((record.rule, record.reason), (Some(3), "missing_token"));
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
