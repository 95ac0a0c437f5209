//! Route policy: which requests need which token.
//!
//! A [`RouteTable`] is an ordered list of [`Rule`]s read from the `PORTCULLIS_ROUTES`
//! configuration. The first rule whose methods and path pattern match a request decides what
//! the request needs ([`Access`]); a request no rule matches is the caller's to deny.
//!
//! Rules match a [`NormalizedPath`], never the raw request path: [`normalize_path`] turns
//! every spelling of a path (`//orders/1`, `/health/%2E%2E/orders/1`, `/%6Frders/1`) into one
//! canonical form, or rejects it. The gate must forward exactly that canonical path to the
//! origin, so the origin serves the path that was authorized and nothing else.
//!
//! Everything here is pure: no I/O, no clock, and it builds for `wasm32-unknown-unknown`.
//!
//! # Configuration
//! The configuration is a JSON array of objects (wrangler's `[[vars.PORTCULLIS_ROUTES]]`):
//!
//! ```json
//! [
//!   { "match": "GET,HEAD /health", "public": true },
//!   { "match": "GET /orders/*", "scopes": ["orders:read"], "allow_preflight": true },
//!   { "match": "* /admin/**", "scopes": ["admin"] },
//!   { "match": "*" }
//! ]
//! ```
//!
//! - `match` (required): `*` alone (any method, any path), or `<METHODS> <PATTERN>` with one
//!   space between. `METHODS` is `*` or a comma-separated list of methods written in
//!   uppercase (`A-Z`, `-`, `_`). Methods compare exactly; `GET` does not imply `HEAD`.
//! - `PATTERN` is a canonical path (it must equal its own [`normalize_path`] result, so it can
//!   never silently fail to match) whose segments are literals, compared case-sensitively, or:
//!   - `*` as a middle segment: exactly one non-empty segment;
//!   - `*` as the last segment: one or more segments (`/orders/*` matches `/orders/1` and
//!     `/orders/1/items`, not `/orders` or `/orders/`);
//!   - `**` as the last segment: zero or more segments (`/orders/**` also matches `/orders`
//!     and `/orders/`).
//!
//!   Any other segment containing `*` is an error; there is no escape for a literal `*`.
//!   A trailing slash is significant: `/orders/` and `/orders` are different paths, and a
//!   literal pattern matches exactly as written.
//! - `scopes` (array of RFC 6749 scope tokens, default empty): all are required. Empty means
//!   any valid token.
//! - `public` (default false): no token needed; cannot be combined with `scopes`.
//! - `fail_open` (default false): pass requests on this rule if the revocation list is
//!   unavailable.
//! - `allow_preflight` (default false): see [`RouteTable::find_preflight`].
//!
//! Unknown fields, wrong types and rules after a catch-all (`*` or `* /**`, which could never
//! match) are errors, so a typo cannot quietly open a route.

use std::fmt;

use serde_json::{Map, Value};

/// Longest path, in bytes, that [`normalize_path`] accepts as input or produces as output.
pub const MAX_PATH_LEN: usize = 4096;

/// The configuration variable's name, used to prefix error messages.
const CONFIG_NAME: &str = "PORTCULLIS_ROUTES";

const KNOWN_FIELDS: [&str; 5] = ["match", "scopes", "public", "fail_open", "allow_preflight"];

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/// A request path in canonical form, produced only by [`normalize_path`].
///
/// Invariants: starts with `/`; no empty segments except a final one (a trailing slash); no `.`
/// or `..` segments, nor one followed by `;` parameters; every `%` starts an escape with uppercase hex that is neither an
/// unreserved character, `/`, `\`, NUL nor a control character; all escapes together decode
/// to UTF-8; only characters allowed literally in an RFC 3986 path appear unescaped; at most
/// [`MAX_PATH_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPath(String);

impl NormalizedPath {
    /// The canonical path; forward exactly this to the origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments after the leading `/`: `/` gives `[""]`, `/a/b/` gives `["a", "b", ""]`.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0[1..].split('/')
    }
}

impl fmt::Display for NormalizedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NormalizedPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why [`normalize_path`] rejected a path. Offsets are byte offsets into the raw input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The input is longer than `max` bytes, or its canonical form would be.
    TooLong {
        /// Length of the input or of the canonical form, whichever exceeded `max`.
        len: usize,
        /// The limit, [`MAX_PATH_LEN`].
        max: usize,
    },
    /// The path is empty or does not start with `/`.
    NotAbsolute,
    /// A literal NUL byte.
    Nul {
        /// Where it was.
        offset: usize,
    },
    /// A literal control character (U+0001..U+001F or U+007F).
    ControlCharacter {
        /// Where it was.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A literal `\`, which some origins treat as `/`.
    Backslash {
        /// Where it was.
        offset: usize,
    },
    /// A literal `?` or `#`: the caller passed a query or fragment, which must be cut off first.
    QueryOrFragmentDelimiter {
        /// Where it was.
        offset: usize,
        /// The byte, `?` or `#`.
        byte: u8,
    },
    /// `%` not followed by two hex digits (`%`, `%4`, `%zz`).
    MalformedPercentEscape {
        /// Where the `%` was.
        offset: usize,
    },
    /// `%00`.
    EncodedNul {
        /// Where the `%` was.
        offset: usize,
    },
    /// `%2F`: an origin that decodes it would see a different path than the rules did.
    EncodedSlash {
        /// Where the `%` was.
        offset: usize,
    },
    /// `%5C`: an origin may decode it and then treat it as `/`.
    EncodedBackslash {
        /// Where the `%` was.
        offset: usize,
    },
    /// An escape of a control character (`%01`..`%1F`, `%7F`), e.g. `%0A`.
    EncodedControlCharacter {
        /// Where the `%` was.
        offset: usize,
        /// The decoded byte.
        byte: u8,
    },
    /// The percent-escapes do not decode to UTF-8 (`%FF`, a lone `%C3`).
    InvalidUtf8,
    /// A `..` segment would climb above `/`. Rejected rather than clamped: a client that
    /// sends one is probing, and clamping would hide a path the origin might resolve otherwise.
    AboveRoot,
    /// A segment that is `.` or `..` followed by `;` (`..;`, `..%3B`, `.;x=1`, after decoding
    /// escapes of unreserved characters): servlet containers drop the `;` parameters and then
    /// resolve the segment as a dot segment, so the origin would see another path than the
    /// rules did.
    DotSegmentWithParameters,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { len, max } => write!(f, "path is {len} bytes, longer than {max}"),
            Self::NotAbsolute => f.write_str("path does not start with `/`"),
            Self::Nul { offset } => write!(f, "NUL byte at offset {offset}"),
            Self::ControlCharacter { offset, byte } => {
                write!(f, "control character 0x{byte:02X} at offset {offset}")
            }
            Self::Backslash { offset } => write!(f, "backslash at offset {offset}"),
            Self::QueryOrFragmentDelimiter { offset, byte } => {
                write!(
                    f,
                    "`{}` at offset {offset}: path must not include a query or fragment",
                    *byte as char
                )
            }
            Self::MalformedPercentEscape { offset } => {
                write!(f, "malformed percent-escape at offset {offset}")
            }
            Self::EncodedNul { offset } => write!(f, "encoded NUL (%00) at offset {offset}"),
            Self::EncodedSlash { offset } => write!(f, "encoded slash (%2F) at offset {offset}"),
            Self::EncodedBackslash { offset } => {
                write!(f, "encoded backslash (%5C) at offset {offset}")
            }
            Self::EncodedControlCharacter { offset, byte } => {
                write!(
                    f,
                    "encoded control character (%{byte:02X}) at offset {offset}"
                )
            }
            Self::InvalidUtf8 => f.write_str("percent-escapes do not decode to UTF-8"),
            Self::AboveRoot => f.write_str("`..` segment climbs above the root"),
            Self::DotSegmentWithParameters => {
                f.write_str("`.` or `..` segment followed by `;` parameters")
            }
        }
    }
}

impl std::error::Error for PathError {}

/// Normalizes a request path (without its query string, percent-encoding intact) to the one
/// canonical form that rules match and the origin receives.
///
/// Steps, after rejecting anything listed in [`PathError`]:
/// 1. Escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded (`%6F` → `o`,
///    `%2E` → `.`); every other escape is kept with uppercase hex (`%c3%a9` → `%C3%A9`).
///    Characters that may not appear literally in a path (space, `"`, `<`, `>`, `[`, `]`, `^`,
///    `` ` ``, `{`, `|`, `}` and all non-ASCII) are percent-encoded as UTF-8, so `/é` and
///    `/%c3%a9` are one path. Literal sub-delimiters, `:` and `@` stay literal, and their
///    escapes stay escaped, because RFC 3986 does not make the two equivalent.
/// 2. Runs of `/` collapse into one (before step 3, so `/a//..` is `/`).
/// 3. Dot segments are removed as in RFC 3986 section 5.2.4 (`/a/./b/../c` → `/a/c`; a final
///    `.` or `..` leaves a trailing slash: `/a/b/..` → `/a/`). `..` above the root is
///    [`PathError::AboveRoot`]. A `.` or `..` followed by `;` or `%3B` is
///    [`PathError::DotSegmentWithParameters`].
///
/// A trailing slash is kept: `/orders/` and `/orders` stay different paths. Normalizing a
/// [`NormalizedPath`] again returns it unchanged.
pub fn normalize_path(raw: &str) -> Result<NormalizedPath, PathError> {
    if raw.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            len: raw.len(),
            max: MAX_PATH_LEN,
        });
    }
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let bytes = raw.as_bytes();
    let mut canonical = String::with_capacity(raw.len());
    // Every byte the path stands for, escapes decoded: only to check the escapes form UTF-8.
    let mut decoded = Vec::with_capacity(raw.len());
    let mut offset = 0;
    while offset < bytes.len() {
        let byte = bytes[offset];
        match byte {
            b'%' => {
                let value = decode_escape(bytes, offset)
                    .ok_or(PathError::MalformedPercentEscape { offset })?;
                match value {
                    0 => return Err(PathError::EncodedNul { offset }),
                    b'/' => return Err(PathError::EncodedSlash { offset }),
                    b'\\' => return Err(PathError::EncodedBackslash { offset }),
                    v if v.is_ascii_control() => {
                        return Err(PathError::EncodedControlCharacter { offset, byte: v })
                    }
                    v if is_unreserved(v) => canonical.push(char::from(v)),
                    v => push_escape(&mut canonical, v),
                }
                decoded.push(value);
                offset += 3;
                continue;
            }
            0 => return Err(PathError::Nul { offset }),
            b if b.is_ascii_control() => {
                return Err(PathError::ControlCharacter { offset, byte: b })
            }
            b'\\' => return Err(PathError::Backslash { offset }),
            b'?' | b'#' => return Err(PathError::QueryOrFragmentDelimiter { offset, byte }),
            b'/' => canonical.push('/'),
            b if is_path_literal(b) => canonical.push(char::from(b)),
            b => push_escape(&mut canonical, b),
        }
        decoded.push(byte);
        offset += 1;
    }
    if std::str::from_utf8(&decoded).is_err() {
        return Err(PathError::InvalidUtf8);
    }
    let canonical = remove_dot_segments(&canonical)?;
    if canonical.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            len: canonical.len(),
            max: MAX_PATH_LEN,
        });
    }
    Ok(NormalizedPath(canonical))
}

/// The byte that the escape at `bytes[at]` (a `%`) stands for, if two hex digits follow.
fn decode_escape(bytes: &[u8], at: usize) -> Option<u8> {
    let high = hex_value(*bytes.get(at + 1)?)?;
    let low = hex_value(*bytes.get(at + 2)?)?;
    Some(high << 4 | low)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0F)]));
}

/// RFC 3986 `unreserved`.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `pchar` minus `pct-encoded`: what may stand unescaped in a path segment.
fn is_path_literal(byte: u8) -> bool {
    is_unreserved(byte)
        || matches!(
            byte,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Collapses empty segments and removes `.`/`..` from an absolute path (RFC 3986 5.2.4).
fn remove_dot_segments(path: &str) -> Result<String, PathError> {
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut kept: Vec<&str> = Vec::with_capacity(segments.len());
    for segment in &segments {
        if is_dot_segment_with_parameters(segment) {
            return Err(PathError::DotSegmentWithParameters);
        }
        match *segment {
            "" | "." => {}
            ".." => {
                kept.pop().ok_or(PathError::AboveRoot)?;
            }
            other => kept.push(other),
        }
    }
    // A path ending in `/`, `/.` or `/..` names a directory-like resource: keep the slash.
    let trailing_slash = matches!(segments.last(), Some(&("" | "." | "..")));
    let mut out = String::with_capacity(path.len());
    out.push('/');
    out.push_str(&kept.join("/"));
    if trailing_slash && !kept.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Whether a canonical segment is `.` or `..` followed by `;` parameters (`;` or its escape,
/// which canonical form spells `%3B`).
fn is_dot_segment_with_parameters(segment: &str) -> bool {
    let after_dots = segment
        .strip_prefix("..")
        .or_else(|| segment.strip_prefix('.'));
    after_dots.is_some_and(|rest| rest.starts_with(';') || rest.starts_with("%3B"))
}

// ---------------------------------------------------------------------------------------------
// Methods and scopes
// ---------------------------------------------------------------------------------------------

/// Whether `method` is an HTTP method token (RFC 9110 `token`: one or more of
/// `A-Z a-z 0-9 ! # $ % & ' * + - . ^ _ ` | ~`). Methods are case-sensitive.
pub fn is_valid_method(method: &str) -> bool {
    !method.is_empty()
        && method.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// A method as configuration may name it: uppercase letters, `-` and `_`. Stricter than
/// [`is_valid_method`] so that `get` (which would never match `GET`) is caught as a typo.
fn is_config_method(method: &str) -> bool {
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
}

/// Whether `scope` is an RFC 6749 `scope-token`: printable ASCII except space, `"` and `\`.
pub fn is_valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// What a request on a rule needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// No token needed.
    Public,
    /// A valid token whose scopes include all of `scopes` (none: any valid token).
    Token {
        /// Required scopes, in configuration order, without duplicates.
        scopes: Vec<String>,
    },
}

impl Access {
    /// Whether no token is needed.
    pub fn is_public(&self) -> bool {
        matches!(self, Self::Public)
    }

    /// The scopes a token must have; empty for [`Access::Public`].
    pub fn required_scopes(&self) -> &[String] {
        match self {
            Self::Public => &[],
            Self::Token { scopes } => scopes,
        }
    }

    /// The required scopes missing from `granted`, in configuration order; empty means the
    /// scopes suffice. Comparison is exact (scopes are case-sensitive).
    pub fn missing_scopes<'a>(&'a self, granted: &[&str]) -> Vec<&'a str> {
        self.required_scopes()
            .iter()
            .map(String::as_str)
            .filter(|required| !granted.contains(required))
            .collect()
    }
}

/// Which methods a rule covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Methods {
    Any,
    List(Vec<String>),
}

impl Methods {
    fn contains(&self, method: &str) -> bool {
        match self {
            Self::Any => true,
            Self::List(list) => list.iter().any(|m| m == method),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SegmentPattern {
    Literal(String),
    /// `*` before the last segment: one non-empty segment.
    AnyOne,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// No segments after the prefix.
    Exact,
    /// Final `*`: one or more, the first non-empty.
    OneOrMore,
    /// Final `**`: zero or more.
    ZeroOrMore,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PathPattern {
    prefix: Vec<SegmentPattern>,
    tail: Tail,
}

impl PathPattern {
    fn is_match_all(&self) -> bool {
        self.prefix.is_empty() && self.tail == Tail::ZeroOrMore
    }

    fn matches(&self, path: &NormalizedPath) -> bool {
        let mut segments = path.segments();
        for expected in &self.prefix {
            let Some(segment) = segments.next() else {
                return false;
            };
            let ok = match expected {
                SegmentPattern::Literal(literal) => segment == literal,
                SegmentPattern::AnyOne => !segment.is_empty(),
            };
            if !ok {
                return false;
            }
        }
        match self.tail {
            Tail::Exact => segments.next().is_none(),
            Tail::OneOrMore => segments.next().is_some_and(|s| !s.is_empty()),
            Tail::ZeroOrMore => true,
        }
    }
}

/// One route rule: methods and a path pattern, and what a matching request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    index: usize,
    pattern: String,
    methods: Methods,
    path: PathPattern,
    access: Access,
    fail_open: bool,
    allow_preflight: bool,
}

impl Rule {
    /// Position in the configuration list, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `match` text as configured, for logs.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// What a request on this rule needs.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Whether requests pass when the revocation list is unavailable.
    pub fn fail_open(&self) -> bool {
        self.fail_open
    }

    /// Whether a CORS preflight for this rule passes without a token.
    pub fn allow_preflight(&self) -> bool {
        self.allow_preflight
    }

    /// Whether this rule covers `method` (compared exactly) on `path`.
    pub fn matches(&self, method: &str, path: &NormalizedPath) -> bool {
        self.methods.contains(method) && self.path.matches(path)
    }

    fn is_catch_all(&self) -> bool {
        self.methods == Methods::Any && self.path.is_match_all()
    }
}

/// The ordered route rules; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    rules: Vec<Rule>,
}

impl RouteTable {
    /// Parses the configuration text (a JSON array of rule objects).
    pub fn from_json_str(text: &str) -> Result<RouteTable, RouteConfigError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| RouteConfigError::InvalidJson {
                line: e.line(),
                column: e.column(),
            })?;
        Self::from_json(&value)
    }

    /// Builds the table from a parsed JSON array of rule objects. An empty array is valid and
    /// matches nothing.
    pub fn from_json(value: &Value) -> Result<RouteTable, RouteConfigError> {
        let items = value.as_array().ok_or(RouteConfigError::NotAnArray)?;
        let mut rules: Vec<Rule> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if let Some(catch_all) = rules.iter().find(|r| r.is_catch_all()) {
                return Err(RouteConfigError::RuleAfterCatchAll {
                    index,
                    catch_all_index: catch_all.index,
                });
            }
            rules.push(parse_rule(index, item)?);
        }
        Ok(RouteTable { rules })
    }

    /// The rules in configuration order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The first rule covering `method` on `path`, or `None` (the caller should deny).
    pub fn find(&self, method: &str, path: &NormalizedPath) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.matches(method, path))
    }

    /// For a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`): the rule that
    /// would govern the real request, `requested_method` on `path`, if it allows preflights.
    ///
    /// Returns `None` if that first matching rule lacks `allow_preflight`; it does not fall
    /// through to later rules, so a preflight is judged by the same rule as the request.
    pub fn find_preflight(&self, requested_method: &str, path: &NormalizedPath) -> Option<&Rule> {
        self.find(requested_method, path)
            .filter(|rule| rule.allow_preflight)
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration parsing
// ---------------------------------------------------------------------------------------------

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
    /// A rule follows a catch-all (`*` or `* /**`) and could never match.
    RuleAfterCatchAll {
        /// The unreachable rule.
        index: usize,
        /// The catch-all rule before it.
        catch_all_index: usize,
    },
}

impl fmt::Display for RouteConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson { line, column } => {
                write!(f, "{CONFIG_NAME}: invalid JSON at line {line}, column {column}")
            }
            Self::NotAnArray => write!(f, "{CONFIG_NAME}: expected an array of rules"),
            Self::RuleNotAnObject { index } => {
                write!(f, "{CONFIG_NAME}[{index}]: expected a table (JSON object)")
            }
            Self::UnknownField { index, field } => {
                write!(f, "{CONFIG_NAME}[{index}]: unknown field `{field}`")
            }
            Self::MissingField { index, field } => {
                write!(f, "{CONFIG_NAME}[{index}]: missing field `{field}`")
            }
            Self::WrongType { index, field, expected } => {
                write!(f, "{CONFIG_NAME}[{index}]: field `{field}` must be {expected}")
            }
            Self::MalformedMatch { index, pattern } => write!(
                f,
                "{CONFIG_NAME}[{index}]: match `{pattern}` is not `*` or `<METHODS> <PATH>`"
            ),
            Self::InvalidMethod { index, pattern, method } => write!(
                f,
                "{CONFIG_NAME}[{index}]: match `{pattern}`: invalid method `{method}` (uppercase, e.g. GET)"
            ),
            Self::InvalidPatternPath { index, pattern, reason } => {
                write!(f, "{CONFIG_NAME}[{index}]: match `{pattern}`: {reason}")
            }
            Self::PatternNotCanonical { index, pattern, canonical } => write!(
                f,
                "{CONFIG_NAME}[{index}]: match `{pattern}`: path is not canonical and would never match; write `{canonical}`"
            ),
            Self::InvalidWildcardSegment { index, pattern, segment } => write!(
                f,
                "{CONFIG_NAME}[{index}]: match `{pattern}`: segment `{segment}`: `*` must be a whole segment"
            ),
            Self::DoubleStarNotLast { index, pattern } => write!(
                f,
                "{CONFIG_NAME}[{index}]: match `{pattern}`: `**` is only allowed as the last segment"
            ),
            Self::InvalidScope { index, scope } => {
                write!(f, "{CONFIG_NAME}[{index}]: invalid scope {scope:?}")
            }
            Self::PublicWithScopes { index } => write!(
                f,
                "{CONFIG_NAME}[{index}]: `public = true` cannot be combined with `scopes`"
            ),
            Self::RuleAfterCatchAll { index, catch_all_index } => write!(
                f,
                "{CONFIG_NAME}[{index}]: unreachable, rule {catch_all_index} already matches every request"
            ),
        }
    }
}

impl std::error::Error for RouteConfigError {}

fn parse_rule(index: usize, value: &Value) -> Result<Rule, RouteConfigError> {
    let object = value
        .as_object()
        .ok_or(RouteConfigError::RuleNotAnObject { index })?;
    if let Some(field) = object.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(RouteConfigError::UnknownField {
            index,
            field: field.clone(),
        });
    }
    let pattern = match object.get("match") {
        None => {
            return Err(RouteConfigError::MissingField {
                index,
                field: "match",
            })
        }
        Some(Value::String(text)) => text.clone(),
        Some(_) => {
            return Err(RouteConfigError::WrongType {
                index,
                field: "match",
                expected: "a string",
            })
        }
    };
    let (methods, path) = parse_match(index, &pattern)?;
    let scopes = parse_scopes(index, object)?;
    let public = bool_field(index, object, "public")?;
    let fail_open = bool_field(index, object, "fail_open")?;
    let allow_preflight = bool_field(index, object, "allow_preflight")?;
    let access = if public {
        if !scopes.is_empty() {
            return Err(RouteConfigError::PublicWithScopes { index });
        }
        Access::Public
    } else {
        Access::Token { scopes }
    };
    Ok(Rule {
        index,
        pattern,
        methods,
        path,
        access,
        fail_open,
        allow_preflight,
    })
}

fn bool_field(
    index: usize,
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<bool, RouteConfigError> {
    match object.get(field) {
        None => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(RouteConfigError::WrongType {
            index,
            field,
            expected: "a boolean",
        }),
    }
}

fn parse_scopes(
    index: usize,
    object: &Map<String, Value>,
) -> Result<Vec<String>, RouteConfigError> {
    let wrong_type = RouteConfigError::WrongType {
        index,
        field: "scopes",
        expected: "an array of strings",
    };
    let items = match object.get("scopes") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(wrong_type),
    };
    let mut scopes: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(scope) = item else {
            return Err(wrong_type);
        };
        if !is_valid_scope(scope) {
            return Err(RouteConfigError::InvalidScope {
                index,
                scope: scope.clone(),
            });
        }
        // Duplicates are harmless; drop them so `missing_scopes` names each scope once.
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    Ok(scopes)
}

fn parse_match(index: usize, text: &str) -> Result<(Methods, PathPattern), RouteConfigError> {
    if text == "*" {
        return Ok((
            Methods::Any,
            PathPattern {
                prefix: Vec::new(),
                tail: Tail::ZeroOrMore,
            },
        ));
    }
    let malformed = || RouteConfigError::MalformedMatch {
        index,
        pattern: text.to_owned(),
    };
    let (methods_text, path_text) = text.split_once(' ').ok_or_else(malformed)?;
    if methods_text.is_empty()
        || path_text.is_empty()
        || path_text.contains(' ')
        || text.chars().any(|c| c.is_whitespace() && c != ' ')
    {
        return Err(malformed());
    }

    let methods = if methods_text == "*" {
        Methods::Any
    } else {
        let mut list = Vec::new();
        for method in methods_text.split(',') {
            if !is_config_method(method) {
                return Err(RouteConfigError::InvalidMethod {
                    index,
                    pattern: text.to_owned(),
                    method: method.to_owned(),
                });
            }
            list.push(method.to_owned());
        }
        Methods::List(list)
    };

    // `*` is a literal path character, so normalization leaves wildcards alone.
    let canonical =
        normalize_path(path_text).map_err(|reason| RouteConfigError::InvalidPatternPath {
            index,
            pattern: text.to_owned(),
            reason,
        })?;
    if canonical.as_str() != path_text {
        return Err(RouteConfigError::PatternNotCanonical {
            index,
            pattern: text.to_owned(),
            canonical: canonical.0,
        });
    }

    let segments: Vec<&str> = canonical.segments().collect();
    let last = segments.len() - 1;
    let mut prefix = Vec::with_capacity(segments.len());
    let mut tail = Tail::Exact;
    for (position, segment) in segments.iter().enumerate() {
        let is_last = position == last;
        match *segment {
            "**" if is_last => tail = Tail::ZeroOrMore,
            "**" => {
                return Err(RouteConfigError::DoubleStarNotLast {
                    index,
                    pattern: text.to_owned(),
                })
            }
            "*" if is_last => tail = Tail::OneOrMore,
            "*" => prefix.push(SegmentPattern::AnyOne),
            s if s.contains('*') => {
                return Err(RouteConfigError::InvalidWildcardSegment {
                    index,
                    pattern: text.to_owned(),
                    segment: s.to_owned(),
                })
            }
            s => prefix.push(SegmentPattern::Literal(s.to_owned())),
        }
    }
    Ok((methods, PathPattern { prefix, tail }))
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn table(value: Value) -> RouteTable {
        RouteTable::from_json(&value).expect("valid table")
    }

    fn config_error(value: Value) -> RouteConfigError {
        RouteTable::from_json(&value).expect_err("table should be rejected")
    }

    fn path(raw: &str) -> NormalizedPath {
        normalize_path(raw).expect("valid path")
    }

    /// The index of the rule `find` picks, for compact assertions.
    fn found(table: &RouteTable, method: &str, raw: &str) -> Option<usize> {
        table.find(method, &path(raw)).map(Rule::index)
    }

    fn health_and_orders() -> RouteTable {
        table(json!([
            { "match": "GET /health", "public": true },
            { "match": "GET /orders/*", "scopes": ["orders:read"] },
        ]))
    }

    // --- Normalization -----------------------------------------------------------------------

    #[test]
    fn unreserved_escapes_are_decoded_and_others_uppercased() {
        assert_eq!(path("/%6Frders/%31").as_str(), "/orders/1");
        assert_eq!(path("/%7e%2D%5f%2e").as_str(), "/~-_.");
        assert_eq!(path("/caf%c3%a9").as_str(), "/caf%C3%A9");
        assert_eq!(path("/a%3ab%40c%25").as_str(), "/a%3Ab%40c%25");
    }

    #[test]
    fn literal_characters_not_allowed_in_a_path_are_encoded() {
        assert_eq!(path("/café").as_str(), "/caf%C3%A9");
        assert_eq!(
            path("/a b\"<>{}|^`[]").as_str(),
            "/a%20b%22%3C%3E%7B%7D%7C%5E%60%5B%5D"
        );
        assert_eq!(path("/a:b@c!$&'()*+,;=").as_str(), "/a:b@c!$&'()*+,;=");
    }

    #[test]
    fn slash_runs_collapse() {
        assert_eq!(path("//orders///1//").as_str(), "/orders/1/");
        assert_eq!(path("//").as_str(), "/");
    }

    #[test]
    fn dot_segments_are_removed() {
        assert_eq!(path("/a/./b/../c").as_str(), "/a/c");
        assert_eq!(path("/a/b/..").as_str(), "/a/");
        assert_eq!(path("/a/b/.").as_str(), "/a/b/");
        assert_eq!(path("/a/..").as_str(), "/");
        assert_eq!(path("/.").as_str(), "/");
        assert_eq!(path("/a/.%2E/b").as_str(), "/b");
        assert_eq!(
            path("/a/...").as_str(),
            "/a/...",
            "three dots is an ordinary segment"
        );
        assert_eq!(path("/a/..b/.c").as_str(), "/a/..b/.c");
    }

    #[test]
    fn trailing_slash_is_kept() {
        assert_eq!(path("/orders/").as_str(), "/orders/");
        assert_eq!(path("/orders").as_str(), "/orders");
        assert_eq!(path("/").as_str(), "/");
    }

    #[test]
    fn dot_dot_above_root_is_rejected() {
        assert_eq!(normalize_path("/.."), Err(PathError::AboveRoot));
        assert_eq!(normalize_path("/a/../.."), Err(PathError::AboveRoot));
        assert_eq!(normalize_path("/%2e%2e/etc"), Err(PathError::AboveRoot));
    }

    #[test]
    fn dot_segments_with_parameters_are_rejected() {
        for raw in [
            "/..;/admin",
            "/a/..;/b",
            "/a/..;x=1/b",
            "/a/..%3B/b",
            "/a/..%3b/b",
            "/a/%2e%2e;/b",
            "/a/%2E%2E%3b/b",
            "/a/.%2e;jsessionid=1/b",
            "/a/.;/b",
            "/a/.%3B",
            "/a/%2e;",
            "/a/..;",
        ] {
            assert_eq!(
                normalize_path(raw),
                Err(PathError::DotSegmentWithParameters),
                "{raw}"
            );
        }
        // Other segments may carry `;` parameters; three dots is an ordinary name.
        assert_eq!(path("/a;x=1/b").as_str(), "/a;x=1/b");
        assert_eq!(path("/a/...;/b").as_str(), "/a/...;/b");
        assert_eq!(path("/a/;../b").as_str(), "/a/;../b");
        assert_eq!(path("/a/..b;/c").as_str(), "/a/..b;/c");
    }

    #[test]
    fn relative_and_empty_paths_are_rejected() {
        assert_eq!(normalize_path(""), Err(PathError::NotAbsolute));
        assert_eq!(normalize_path("orders"), Err(PathError::NotAbsolute));
        assert_eq!(normalize_path("*"), Err(PathError::NotAbsolute));
    }

    #[test]
    fn forbidden_literal_bytes_are_rejected() {
        assert_eq!(normalize_path("/a\0"), Err(PathError::Nul { offset: 2 }));
        assert_eq!(
            normalize_path("/a\nb"),
            Err(PathError::ControlCharacter {
                offset: 2,
                byte: b'\n'
            })
        );
        assert_eq!(
            normalize_path("/a\x7f"),
            Err(PathError::ControlCharacter {
                offset: 2,
                byte: 0x7F
            })
        );
        assert_eq!(
            normalize_path("/a\\b"),
            Err(PathError::Backslash { offset: 2 })
        );
        assert_eq!(
            normalize_path("/a?b=1"),
            Err(PathError::QueryOrFragmentDelimiter {
                offset: 2,
                byte: b'?'
            })
        );
        assert_eq!(
            normalize_path("/a#x"),
            Err(PathError::QueryOrFragmentDelimiter {
                offset: 2,
                byte: b'#'
            })
        );
    }

    #[test]
    fn malformed_percent_escapes_are_rejected() {
        for raw in ["/a%", "/a%4", "/a%zz", "/a%4g", "/a%%41"] {
            assert_eq!(
                normalize_path(raw),
                Err(PathError::MalformedPercentEscape { offset: 2 }),
                "{raw}"
            );
        }
    }

    #[test]
    fn dangerous_escapes_are_rejected() {
        assert_eq!(
            normalize_path("/a%00"),
            Err(PathError::EncodedNul { offset: 2 })
        );
        assert_eq!(
            normalize_path("/a%2fb"),
            Err(PathError::EncodedSlash { offset: 2 })
        );
        assert_eq!(
            normalize_path("/a%2Fb"),
            Err(PathError::EncodedSlash { offset: 2 })
        );
        assert_eq!(
            normalize_path("/a%5cb"),
            Err(PathError::EncodedBackslash { offset: 2 })
        );
        assert_eq!(
            normalize_path("/a%0D%0A"),
            Err(PathError::EncodedControlCharacter {
                offset: 2,
                byte: b'\r'
            })
        );
        assert_eq!(
            normalize_path("/a%7f"),
            Err(PathError::EncodedControlCharacter {
                offset: 2,
                byte: 0x7F
            })
        );
    }

    #[test]
    fn escapes_that_are_not_utf8_are_rejected() {
        assert_eq!(normalize_path("/%FF"), Err(PathError::InvalidUtf8));
        assert_eq!(normalize_path("/%C3"), Err(PathError::InvalidUtf8));
        assert_eq!(normalize_path("/%C3x"), Err(PathError::InvalidUtf8));
        // An escape may not complete a literal multi-byte character either.
        assert_eq!(normalize_path("/%C3é"), Err(PathError::InvalidUtf8));
        assert_eq!(
            normalize_path("/%C0%AF"),
            Err(PathError::InvalidUtf8),
            "overlong `/`"
        );
    }

    #[test]
    fn overlong_paths_are_rejected() {
        let at_limit = format!("/{}", "a".repeat(MAX_PATH_LEN - 1));
        assert_eq!(path(&at_limit).as_str(), at_limit);
        let over = format!("/{}", "a".repeat(MAX_PATH_LEN));
        assert_eq!(
            normalize_path(&over),
            Err(PathError::TooLong {
                len: MAX_PATH_LEN + 1,
                max: MAX_PATH_LEN
            })
        );
        // Short input whose canonical form (each space becomes `%20`) is too long.
        let expands = format!("/{}", " ".repeat(2000));
        assert_eq!(
            normalize_path(&expands),
            Err(PathError::TooLong {
                len: 6001,
                max: MAX_PATH_LEN
            })
        );
    }

    // --- The attack table --------------------------------------------------------------------

    #[test]
    fn encoding_tricks_never_reach_the_public_rule() {
        let table = health_and_orders();
        // (raw path, expected normalization, expected rule index for GET)
        let cases: &[(&str, Result<&str, PathError>, Option<usize>)] = &[
            ("/health", Ok("/health"), Some(0)),
            ("/health/../orders/1", Ok("/orders/1"), Some(1)),
            ("/health/%2e%2e/orders/1", Ok("/orders/1"), Some(1)),
            ("/health/%2E%2E/orders/1", Ok("/orders/1"), Some(1)),
            ("/health/.%2e/orders/1", Ok("/orders/1"), Some(1)),
            ("/health/./../orders/1", Ok("/orders/1"), Some(1)),
            ("//orders/1", Ok("/orders/1"), Some(1)),
            ("/orders//1", Ok("/orders/1"), Some(1)),
            ("/./orders/1", Ok("/orders/1"), Some(1)),
            ("/%6frders/1", Ok("/orders/1"), Some(1)),
            ("/health;/../orders/1", Ok("/orders/1"), Some(1)),
            ("/health/..", Ok("/"), None),
            ("/health/", Ok("/health/"), None),
            ("/health/x/..", Ok("/health/"), None),
            ("/HEALTH", Ok("/HEALTH"), None),
            ("/orders/1/..", Ok("/orders/"), None),
            (
                "/orders%2F1",
                Err(PathError::EncodedSlash { offset: 7 }),
                None,
            ),
            (
                "/health%2F..%2Forders%2F1",
                Err(PathError::EncodedSlash { offset: 7 }),
                None,
            ),
            (
                "/orders/1%00",
                Err(PathError::EncodedNul { offset: 9 }),
                None,
            ),
            ("\\orders", Err(PathError::NotAbsolute), None),
            (
                "/health/..\\orders\\1",
                Err(PathError::Backslash { offset: 10 }),
                None,
            ),
            (
                "/health/..%5Corders",
                Err(PathError::EncodedBackslash { offset: 10 }),
                None,
            ),
            (
                "/orders/..%2f..",
                Err(PathError::EncodedSlash { offset: 10 }),
                None,
            ),
            ("/health/../../orders/1", Err(PathError::AboveRoot), None),
        ];
        for (raw, expected, rule) in cases {
            let normalized = normalize_path(raw);
            assert_eq!(
                normalized
                    .as_ref()
                    .map(NormalizedPath::as_str)
                    .map_err(Clone::clone),
                *expected,
                "normalizing {raw:?}"
            );
            if let Ok(normalized) = normalized {
                assert_eq!(
                    table.find("GET", &normalized).map(Rule::index),
                    *rule,
                    "{raw:?}"
                );
            }
        }
        let overlong = format!("/health/{}/../orders/1", "a".repeat(MAX_PATH_LEN));
        assert!(matches!(
            normalize_path(&overlong),
            Err(PathError::TooLong { .. })
        ));
    }

    #[test]
    fn dot_segments_cannot_escape_a_public_prefix() {
        let table = table(json!([
            { "match": "* /public/**", "public": true },
            { "match": "* /**", "scopes": ["admin"] },
        ]));
        for raw in [
            "/public/../admin",
            "/public/%2E%2E/admin",
            "/public/./../admin",
            "/public/.%2e/admin",
        ] {
            let rule = table.find("GET", &path(raw)).expect("catch-all matches");
            assert_eq!(rule.index(), 1, "{raw:?} must not stay under /public");
            assert_eq!(rule.access().required_scopes(), ["admin"]);
        }
        assert_eq!(found(&table, "GET", "/public/a/../b"), Some(0));
    }

    // --- Matching ----------------------------------------------------------------------------

    #[test]
    fn first_matching_rule_wins() {
        let table = table(json!([
            { "match": "GET /orders/special", "public": true },
            { "match": "GET /orders/*", "scopes": ["orders:read"] },
            { "match": "GET /orders/special", "scopes": ["never"] },
        ]));
        assert_eq!(found(&table, "GET", "/orders/special"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/other"), Some(1));
    }

    #[test]
    fn methods_are_matched_exactly() {
        let table = table(json!([
            { "match": "GET,HEAD /health", "public": true },
            { "match": "* /any" },
        ]));
        assert_eq!(found(&table, "GET", "/health"), Some(0));
        assert_eq!(found(&table, "HEAD", "/health"), Some(0));
        assert_eq!(found(&table, "POST", "/health"), None);
        assert_eq!(found(&table, "get", "/health"), None);
        assert_eq!(found(&table, "DELETE", "/any"), Some(1));
        assert_eq!(found(&table, "PROPFIND", "/any"), Some(1));
    }

    #[test]
    fn bare_star_is_a_catch_all() {
        let table = table(json!([
            { "match": "GET /health", "public": true },
            { "match": "*", "scopes": ["root"] },
        ]));
        assert_eq!(found(&table, "GET", "/health"), Some(0));
        assert_eq!(found(&table, "POST", "/health"), Some(1));
        assert_eq!(found(&table, "PATCH", "/"), Some(1));
        assert_eq!(found(&table, "GET", "/a/b/c/"), Some(1));
        assert_eq!(table.rules()[1].pattern(), "*");
    }

    #[test]
    fn single_star_matches_exactly_one_segment() {
        let table = table(json!([{ "match": "GET /users/*/orders" }]));
        assert_eq!(found(&table, "GET", "/users/7/orders"), Some(0));
        assert_eq!(found(&table, "GET", "/users/orders"), None);
        assert_eq!(found(&table, "GET", "/users/7/8/orders"), None);
        assert_eq!(found(&table, "GET", "/users/7/orders/"), None);
        assert_eq!(found(&table, "GET", "/users/7/orders/1"), None);
    }

    #[test]
    fn middle_star_needs_a_non_empty_segment_before_double_star() {
        let table = table(json!([{ "match": "GET /users/*/**" }]));
        assert_eq!(found(&table, "GET", "/users/7"), Some(0));
        assert_eq!(found(&table, "GET", "/users/7/orders"), Some(0));
        assert_eq!(found(&table, "GET", "/users/"), None);
        assert_eq!(found(&table, "GET", "/users"), None);
    }

    #[test]
    fn trailing_star_matches_one_or_more_segments() {
        let table = table(json!([{ "match": "GET /orders/*" }]));
        assert_eq!(found(&table, "GET", "/orders/1"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/1/items"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/1/"), Some(0));
        assert_eq!(found(&table, "GET", "/orders"), None);
        assert_eq!(found(&table, "GET", "/orders/"), None);
        assert_eq!(found(&table, "GET", "/ordersx/1"), None);
    }

    #[test]
    fn trailing_double_star_matches_zero_or_more_segments() {
        let table = table(json!([{ "match": "GET /orders/**" }]));
        assert_eq!(found(&table, "GET", "/orders"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/1"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/1/items"), Some(0));
        assert_eq!(found(&table, "GET", "/ordersx"), None);
        assert_eq!(found(&table, "GET", "/"), None);
    }

    #[test]
    fn root_patterns() {
        let table = table(json!([
            { "match": "GET /", "public": true },
            { "match": "GET /*", "scopes": ["a"] },
        ]));
        assert_eq!(found(&table, "GET", "/"), Some(0));
        assert_eq!(found(&table, "GET", "/x"), Some(1));
        let everything = self::table(json!([{ "match": "GET /**" }]));
        assert_eq!(found(&everything, "GET", "/"), Some(0));
        assert_eq!(found(&everything, "GET", "/x/y"), Some(0));
    }

    #[test]
    fn literal_patterns_match_exactly_including_trailing_slash() {
        let table = table(json!([
            { "match": "GET /orders" },
            { "match": "GET /orders/", "public": true },
        ]));
        assert_eq!(found(&table, "GET", "/orders"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/"), Some(1));
        assert_eq!(found(&table, "GET", "/orders/1"), None);
    }

    #[test]
    fn paths_are_case_sensitive() {
        let table = health_and_orders();
        assert_eq!(found(&table, "GET", "/Health"), None);
        assert_eq!(found(&table, "GET", "/ORDERS/1"), None);
        assert_eq!(found(&table, "GET", "/orders/1"), Some(1));
    }

    #[test]
    fn patterns_with_escapes_match_the_canonical_request_path() {
        let table = table(json!([{ "match": "GET /caf%C3%A9/*" }]));
        assert_eq!(found(&table, "GET", "/café/1"), Some(0));
        assert_eq!(found(&table, "GET", "/caf%c3%a9/1"), Some(0));
    }

    #[test]
    fn preflight_uses_the_first_matching_rule_without_falling_through() {
        let table = table(json!([
            { "match": "GET /orders/*", "scopes": ["orders:read"], "allow_preflight": true },
            { "match": "DELETE /orders/*", "scopes": ["orders:write"] },
            { "match": "* /orders/**", "allow_preflight": true },
        ]));
        let p = path("/orders/1");
        assert_eq!(table.find_preflight("GET", &p).map(Rule::index), Some(0));
        assert_eq!(
            table.find_preflight("DELETE", &p),
            None,
            "rule 1 lacks allow_preflight"
        );
        assert_eq!(table.find_preflight("PUT", &p).map(Rule::index), Some(2));
        assert_eq!(table.find_preflight("GET", &path("/elsewhere")), None);
    }

    #[test]
    fn missing_scopes_lists_required_scopes_not_granted() {
        let table = table(json!([
            { "match": "GET /a", "scopes": ["orders:read", "orders:write", "orders:read"] },
            { "match": "GET /b" },
            { "match": "GET /c", "public": true },
        ]));
        let access = table.rules()[0].access();
        assert_eq!(
            access.required_scopes(),
            ["orders:read", "orders:write"],
            "deduplicated"
        );
        assert_eq!(
            access.missing_scopes(&["orders:read", "x"]),
            ["orders:write"]
        );
        assert_eq!(
            access.missing_scopes(&["ORDERS:WRITE"]),
            ["orders:read", "orders:write"]
        );
        assert!(access
            .missing_scopes(&["orders:write", "orders:read"])
            .is_empty());
        assert_eq!(table.rules()[1].access(), &Access::Token { scopes: vec![] });
        assert!(table.rules()[1].access().missing_scopes(&[]).is_empty());
        assert!(table.rules()[2].access().is_public());
    }

    #[test]
    fn rule_accessors_report_configuration() {
        let table = RouteTable::from_json_str(
            r#"[{"match":"GET /a"},
                {"match":"POST /b/*","fail_open":true,"allow_preflight":true,"public":false}]"#,
        )
        .expect("valid");
        let rule = &table.rules()[1];
        assert_eq!(rule.index(), 1);
        assert_eq!(rule.pattern(), "POST /b/*");
        assert!(rule.fail_open());
        assert!(rule.allow_preflight());
        assert!(!table.rules()[0].fail_open());
        assert!(!table.rules()[0].allow_preflight());
    }

    #[test]
    fn empty_table_matches_nothing() {
        let table = table(json!([]));
        assert!(table.rules().is_empty());
        assert_eq!(found(&table, "GET", "/"), None);
    }

    #[test]
    fn method_validity() {
        assert!(is_valid_method("GET"));
        assert!(is_valid_method("M-SEARCH"));
        assert!(
            is_valid_method("get"),
            "a token, though no config rule can name it"
        );
        assert!(!is_valid_method(""));
        assert!(!is_valid_method("GE T"));
        assert!(!is_valid_method("GET\r\n"));
        assert!(!is_valid_method("GÉT"));
    }

    #[test]
    fn scope_validity() {
        assert!(is_valid_scope("orders:read"));
        assert!(is_valid_scope("https://api.example/x!#[]~"));
        assert!(!is_valid_scope(""));
        assert!(!is_valid_scope("a b"));
        assert!(!is_valid_scope("a\"b"));
        assert!(!is_valid_scope("a\\b"));
        assert!(!is_valid_scope("caf\u{e9}"));
        assert!(!is_valid_scope("a\tb"));
    }

    // --- Configuration errors, one test per variant ------------------------------------------

    #[test]
    fn invalid_json_is_rejected_with_position() {
        assert_eq!(
            RouteTable::from_json_str("[{\"match\": }]"),
            Err(RouteConfigError::InvalidJson {
                line: 1,
                column: 12
            })
        );
    }

    #[test]
    fn non_array_config_is_rejected() {
        assert_eq!(
            config_error(json!({ "match": "*" })),
            RouteConfigError::NotAnArray
        );
    }

    #[test]
    fn non_object_rule_is_rejected() {
        assert_eq!(
            config_error(json!([{ "match": "GET /a" }, "GET /x"])),
            RouteConfigError::RuleNotAnObject { index: 1 }
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        let error = config_error(json!([
            { "match": "GET /a" },
            { "match": "GET /b" },
            { "match": "GET /c", "scope": ["admin"] },
        ]));
        assert_eq!(
            error,
            RouteConfigError::UnknownField {
                index: 2,
                field: "scope".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "PORTCULLIS_ROUTES[2]: unknown field `scope`"
        );
    }

    #[test]
    fn missing_match_is_rejected() {
        assert_eq!(
            config_error(json!([{ "public": true }])),
            RouteConfigError::MissingField {
                index: 0,
                field: "match"
            }
        );
    }

    #[test]
    fn wrong_field_types_are_rejected() {
        let cases = [
            (json!({ "match": 1 }), "match", "a string"),
            (
                json!({ "match": "GET /a", "public": "true" }),
                "public",
                "a boolean",
            ),
            (
                json!({ "match": "GET /a", "fail_open": null }),
                "fail_open",
                "a boolean",
            ),
            (
                json!({ "match": "GET /a", "allow_preflight": 1 }),
                "allow_preflight",
                "a boolean",
            ),
            (
                json!({ "match": "GET /a", "scopes": "admin" }),
                "scopes",
                "an array of strings",
            ),
            (
                json!({ "match": "GET /a", "scopes": ["a", 1] }),
                "scopes",
                "an array of strings",
            ),
        ];
        for (rule, field, expected) in cases {
            assert_eq!(
                config_error(json!([rule])),
                RouteConfigError::WrongType {
                    index: 0,
                    field,
                    expected
                },
                "{field}"
            );
        }
    }

    #[test]
    fn malformed_match_is_rejected() {
        for text in [
            "", "GET", "/orders", "GET  /a", " GET /a", "GET /a ", "GET\t/a", "GET /a b", "**",
        ] {
            assert_eq!(
                config_error(json!([{ "match": text }])),
                RouteConfigError::MalformedMatch {
                    index: 0,
                    pattern: text.into()
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn invalid_method_is_rejected() {
        for (text, method) in [
            ("get /a", "get"),
            ("GET, /a", ""),
            ("GET,,HEAD /a", ""),
            ("GET,* /a", "*"),
            ("G?T /a", "G?T"),
            ("GET;HEAD /a", "GET;HEAD"),
        ] {
            assert_eq!(
                config_error(json!([{ "match": text }])),
                RouteConfigError::InvalidMethod {
                    index: 0,
                    pattern: text.into(),
                    method: method.into()
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn invalid_pattern_path_is_rejected() {
        let cases = [
            ("GET orders", PathError::NotAbsolute),
            ("GET *", PathError::NotAbsolute),
            ("GET /a%2Fb", PathError::EncodedSlash { offset: 2 }),
            ("GET /..", PathError::AboveRoot),
            (
                "GET /a?b",
                PathError::QueryOrFragmentDelimiter {
                    offset: 2,
                    byte: b'?',
                },
            ),
        ];
        for (text, reason) in cases {
            assert_eq!(
                config_error(json!([{ "match": text }])),
                RouteConfigError::InvalidPatternPath {
                    index: 0,
                    pattern: text.into(),
                    reason
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn non_canonical_pattern_is_rejected() {
        let cases = [
            ("GET /orders//x", "/orders/x"),
            ("GET /a/./b", "/a/b"),
            ("GET /a/../b", "/b"),
            ("GET /%6Frders", "/orders"),
            ("GET /caf%c3%a9", "/caf%C3%A9"),
            ("GET /café", "/caf%C3%A9"),
        ];
        for (text, canonical) in cases {
            assert_eq!(
                config_error(json!([{ "match": text }])),
                RouteConfigError::PatternNotCanonical {
                    index: 0,
                    pattern: text.into(),
                    canonical: canonical.into()
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn partial_wildcard_segment_is_rejected() {
        for (text, segment) in [
            ("GET /orders/*.json", "*.json"),
            ("GET /a*/b", "a*"),
            ("GET /***", "***"),
        ] {
            assert_eq!(
                config_error(json!([{ "match": text }])),
                RouteConfigError::InvalidWildcardSegment {
                    index: 0,
                    pattern: text.into(),
                    segment: segment.into()
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn double_star_before_last_segment_is_rejected() {
        assert_eq!(
            config_error(json!([{ "match": "GET /**/orders" }])),
            RouteConfigError::DoubleStarNotLast {
                index: 0,
                pattern: "GET /**/orders".into()
            }
        );
    }

    #[test]
    fn invalid_scope_is_rejected() {
        for scope in ["", "orders read", "a\"b", "a\\b", "é"] {
            assert_eq!(
                config_error(json!([{ "match": "GET /a", "scopes": [scope] }])),
                RouteConfigError::InvalidScope {
                    index: 0,
                    scope: scope.into()
                },
                "{scope:?}"
            );
        }
    }

    #[test]
    fn public_rule_with_scopes_is_rejected() {
        assert_eq!(
            config_error(json!([{ "match": "GET /a", "public": true, "scopes": ["x"] }])),
            RouteConfigError::PublicWithScopes { index: 0 }
        );
        // An explicit empty list is the same as none.
        let table = table(json!([{ "match": "GET /a", "public": true, "scopes": [] }]));
        assert!(table.rules()[0].access().is_public());
    }

    #[test]
    fn rule_after_catch_all_is_rejected() {
        for catch_all in ["*", "* /**"] {
            assert_eq!(
                config_error(json!([
                    { "match": "GET /a" },
                    { "match": catch_all },
                    { "match": "GET /b", "public": true },
                ])),
                RouteConfigError::RuleAfterCatchAll {
                    index: 2,
                    catch_all_index: 1
                },
                "{catch_all:?}"
            );
        }
        // Catch-alls restricted by method or path do not shadow later rules.
        table(json!([{ "match": "GET /**" }, { "match": "* /a/**" }, { "match": "*" }]));
    }

    #[test]
    fn config_errors_display_the_rule_index() {
        let error = RouteConfigError::PatternNotCanonical {
            index: 3,
            pattern: "GET /a//b".into(),
            canonical: "/a/b".into(),
        };
        assert_eq!(
            error.to_string(),
            "PORTCULLIS_ROUTES[3]: match `GET /a//b`: path is not canonical and would never match; write `/a/b`"
        );
        let error = RouteConfigError::InvalidPatternPath {
            index: 0,
            pattern: "GET /..".into(),
            reason: PathError::AboveRoot,
        };
        assert_eq!(
            error.to_string(),
            "PORTCULLIS_ROUTES[0]: match `GET /..`: `..` segment climbs above the root"
        );
    }

    // --- Properties --------------------------------------------------------------------------

    /// Paths built from fragments that exercise every normalization step.
    fn tricky_path() -> impl Strategy<Value = String> {
        let fragment = prop::sample::select(vec![
            "/",
            "/",
            "/",
            ".",
            "..",
            "health",
            "orders",
            "%68ealth",
            "a",
            "B",
            "%2e",
            "%2E",
            "%6f",
            "%7E",
            "%41",
            "%c3%a9",
            "é",
            " ",
            "%20",
            "%25",
            "%3a",
            ":",
            ";",
            "*",
            "%",
            "%4",
            "%zz",
            "%2F",
            "%5c",
            "\\",
            "%00",
            "%C3",
            "%ff",
            "?",
            "~",
            "-",
            "[",
            "\u{1F980}",
        ]);
        prop::collection::vec(fragment, 0..24).prop_map(|parts| format!("/{}", parts.concat()))
    }

    fn assert_canonical(normalized: &str) {
        assert!(normalized.starts_with('/'));
        assert!(normalized.len() <= MAX_PATH_LEN);
        for bad in ["//", "/./", "/../"] {
            assert!(!normalized.contains(bad), "{normalized:?} contains {bad:?}");
        }
        assert!(!normalized.ends_with("/."), "{normalized:?}");
        assert!(!normalized.ends_with("/.."), "{normalized:?}");
        let bytes = normalized.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            assert!(
                b == b'/' || b == b'%' || is_path_literal(b),
                "{normalized:?}: byte {b:#x}"
            );
            if b == b'%' {
                let value = decode_escape(bytes, i).expect("well-formed escape");
                assert!(bytes[i + 1..i + 3].iter().all(|d| !d.is_ascii_lowercase()));
                assert!(!is_unreserved(value), "{normalized:?}: unreserved escape");
            }
        }
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(raw in tricky_path()) {
            if let Ok(once) = normalize_path(&raw) {
                let twice = normalize_path(once.as_str());
                prop_assert_eq!(twice.as_ref(), Ok(&once));
            }
        }

        #[test]
        fn normalization_is_idempotent_for_arbitrary_strings(raw in "/\\PC{0,64}") {
            if let Ok(once) = normalize_path(&raw) {
                let twice = normalize_path(once.as_str());
                prop_assert_eq!(twice.as_ref(), Ok(&once));
            }
        }

        #[test]
        fn normalized_paths_have_no_dot_or_empty_segments(raw in tricky_path()) {
            if let Ok(normalized) = normalize_path(&raw) {
                assert_canonical(normalized.as_str());
            }
        }

        #[test]
        fn public_rule_is_reached_only_by_its_exact_path(raw in tricky_path()) {
            let table = health_and_orders();
            if let Ok(normalized) = normalize_path(&raw) {
                if table.find("GET", &normalized).is_some_and(|r| r.access().is_public()) {
                    prop_assert_eq!(normalized.as_str(), "/health");
                }
            }
        }
    }
}
