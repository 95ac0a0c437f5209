//! Why the route configuration was refused: one variant per mistake, each naming the rule.

use std::fmt;

use crate::codec::json::JsonProblem;
use crate::ratelimit::RateLimitConfigError;
use crate::schema::METHODS;

use super::path::PathError;

/// Why the route configuration was rejected. Per-rule variants carry the rule's `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteConfigError {
    /// The text is not JSON.
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// JSON the strict layer refuses for more than its syntax: a member name twice in one
    /// object, or nesting too deep.
    Json(JsonProblem),
    /// The top-level value is not an array.
    NotAnArray,
    /// A rule is not a JSON object.
    RuleNotAnObject {
        /// The rule.
        index: usize,
    },
    /// A rule has a field this version does not know (likely a typo).
    UnknownField {
        /// The rule.
        index: usize,
        /// The field's name.
        field: String,
        /// The known field it is closest to.
        suggestion: Option<&'static str>,
    },
    /// A required field is absent.
    MissingField {
        /// The rule.
        index: usize,
        /// The field's name.
        field: &'static str,
    },
    /// A field has the wrong JSON type (including `null`).
    WrongType {
        /// The rule.
        index: usize,
        /// The field's name.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// `match` is neither `*` nor `<METHODS> <PATTERN>` with exactly one space.
    MalformedMatch {
        /// The rule.
        index: usize,
        /// The `match` text.
        pattern: String,
    },
    /// A method in `match` is empty or not uppercase `A-Z`, `-`, `_`.
    InvalidMethod {
        /// The rule.
        index: usize,
        /// The `match` text.
        pattern: String,
        /// The offending method.
        method: String,
        /// The known method it is closest to.
        suggestion: Option<&'static str>,
    },
    /// The path pattern is not a valid path (e.g. no leading `/`, `%2F`, `..` above root).
    InvalidPatternPath {
        /// The rule.
        index: usize,
        /// The `match` text.
        pattern: String,
        /// Why the path is invalid.
        reason: PathError,
    },
    /// The path pattern is valid but not canonical, so no normalized path could match it.
    PatternNotCanonical {
        /// The rule.
        index: usize,
        /// The `match` text.
        pattern: String,
        /// The canonical form of the path pattern, to suggest.
        canonical: String,
    },
    /// A segment contains `*` but is neither `*` nor a final `**`.
    InvalidWildcardSegment {
        /// The rule.
        index: usize,
        /// The `match` text.
        pattern: String,
        /// The offending segment.
        segment: String,
    },
    /// `**` appears before the last segment.
    DoubleStarNotLast {
        /// The rule.
        index: usize,
        /// The `match` text.
        pattern: String,
    },
    /// A scope is not an RFC 6749 scope token.
    InvalidScope {
        /// The rule.
        index: usize,
        /// The offending scope.
        scope: String,
    },
    /// `public: true` together with non-empty `scopes`.
    PublicWithScopes {
        /// The rule.
        index: usize,
    },
    /// `auth` names no format this version knows.
    UnknownAuth {
        /// The rule.
        index: usize,
        /// The `auth` text.
        auth: String,
    },
    /// A signed-link `auth` together with `public = true` or `scopes`: a link grants its
    /// path, not scopes.
    AuthWithScopes {
        /// The rule.
        index: usize,
    },
    /// A member of `signed` is unknown, of the wrong type or out of range (or `signed` is
    /// given for a format that takes no options).
    InvalidSignedOption {
        /// The rule.
        index: usize,
        /// The option's name.
        option: String,
        /// What it should be.
        expected: &'static str,
    },
    /// `binding` is not one of `any`, `bound`, `mtls`, `dpop`, or asks a public rule for
    /// a bound token.
    InvalidBinding {
        /// The rule.
        index: usize,
    },
    /// `rate_limit` is not a valid limit, or counts by a token claim on a public rule.
    InvalidRateLimit {
        /// The rule.
        index: usize,
        /// What is wrong; `None`: a token key on a public rule.
        problem: Option<RateLimitConfigError>,
    },
    /// A rule says neither `public = true` nor `scopes`. Any valid token is `scopes = []`,
    /// written out, so a rule that forgot its scopes is not silently open to every token.
    NoAccess {
        /// The rule.
        index: usize,
    },
    /// Every request a rule matches is matched by an earlier rule (first match wins), so the
    /// rule could never apply: `GET /orders/1` after `GET /orders/*`, anything after `*`.
    Shadowed {
        /// The unreachable rule.
        index: usize,
        /// Its `match` text.
        pattern: String,
        /// The earlier rule that takes its requests.
        by: usize,
        /// That rule's `match` text.
        by_pattern: String,
    },
}

impl fmt::Display for RouteConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson { line, column } => {
                write!(f, "invalid JSON at line {line}, column {column}")
            }
            Self::Json(problem) => write!(f, "{problem}"),
            Self::NotAnArray => f.write_str("expected an array of rules"),
            Self::RuleNotAnObject { index } => {
                write!(f, "rule {index}: expected a table (JSON object)")
            }
            Self::UnknownField { index, field, suggestion } => {
                write!(f, "rule {index}: unknown field `{field}`")?;
                did_you_mean(f, *suggestion)
            }
            Self::MissingField { index, field } => {
                write!(f, "rule {index}: missing field `{field}`")
            }
            Self::WrongType { index, field, expected } => {
                write!(f, "rule {index}: field `{field}` must be {expected}")
            }
            Self::MalformedMatch { index, pattern } => write!(
                f,
                "rule {index}: match `{pattern}` is not `*` or `<METHODS> <PATH>`"
            ),
            Self::InvalidMethod { index, pattern, method, suggestion } => {
                write!(f, "rule {index}: match `{pattern}`: unknown method `{method}`")?;
                match suggestion {
                    Some(_) => did_you_mean(f, *suggestion),
                    None => write!(f, " (one of {})", METHODS.join(", ")),
                }
            }
            Self::InvalidPatternPath { index, pattern, reason } => {
                write!(f, "rule {index}: match `{pattern}`: {reason}")
            }
            Self::PatternNotCanonical { index, pattern, canonical } => write!(
                f,
                "rule {index}: match `{pattern}`: path is not canonical and would never match; write `{canonical}`"
            ),
            Self::InvalidWildcardSegment { index, pattern, segment } => write!(
                f,
                "rule {index}: match `{pattern}`: segment `{segment}`: `*` must be a whole segment"
            ),
            Self::DoubleStarNotLast { index, pattern } => write!(
                f,
                "rule {index}: match `{pattern}`: `**` is only allowed as the last segment"
            ),
            Self::InvalidScope { index, scope } => {
                write!(f, "rule {index}: invalid scope {scope:?}")
            }
            Self::PublicWithScopes { index } => write!(
                f,
                "rule {index}: `public = true` cannot be combined with `scopes`"
            ),
            Self::UnknownAuth { index, auth } => write!(
                f,
                "rule {index}: unknown auth `{auth}` (token, signed_url, cloudflare_hmac_v0 or akamai_edgeauth2)"
            ),
            Self::AuthWithScopes { index } => write!(
                f,
                "rule {index}: a signed-link `auth` cannot be combined with `public` or `scopes`"
            ),
            Self::InvalidSignedOption { index, option, expected } => {
                write!(f, "rule {index}: signed option `{option}`: expected {expected}")
            }
            Self::InvalidBinding { index } => write!(
                f,
                "rule {index}: `binding` must be any, bound, mtls or dpop (only any on a public rule)"
            ),
            Self::InvalidRateLimit { index, problem: Some(problem) } => {
                write!(f, "rule {index}: {problem}")
            }
            Self::InvalidRateLimit { index, problem: None } => write!(
                f,
                "rule {index}: a public rule can only rate-limit by ip (it reads no token)"
            ),
            Self::NoAccess { index } => write!(
                f,
                "rule {index}: needs `public = true` or `scopes` (`scopes = []` for any valid token)"
            ),
            Self::Shadowed { index, pattern, by, by_pattern } => write!(
                f,
                "rule {index}: `{pattern}` is unreachable: rule {by} `{by_pattern}` comes first \
                 and matches every request it would; put the specific rule first"
            ),
        }
    }
}

impl std::error::Error for RouteConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Json(problem) => Some(problem),
            Self::InvalidPatternPath { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// "; did you mean `x`?" when there is a likely intent.
fn did_you_mean(f: &mut fmt::Formatter<'_>, suggestion: Option<&str>) -> fmt::Result {
    match suggestion {
        Some(known) => write!(f, "; did you mean `{known}`?"),
        None => Ok(()),
    }
}
