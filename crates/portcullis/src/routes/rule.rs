//! The rule model and matching: what a request on a route needs ([`Access`]), which
//! requests a [`Rule`] covers, and the ordered [`RouteTable`] whose first match decides.
//!
//! Rules match a [`NormalizedPath`], never a raw request path; they are built only by the
//! configuration parser (`super::parse`), which refuses any rule that could silently fail to
//! match.

use super::auth::SignedFormat;
use super::path::NormalizedPath;

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

/// Whether `scope` is an RFC 6749 `scope-token`: printable ASCII except space, `"` and `\`.
pub fn is_valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

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
    /// A signed link (or signed cookie) in this format instead of a bearer token.
    Signed(SignedFormat),
}

impl Access {
    /// Whether no token is needed.
    pub fn is_public(&self) -> bool {
        matches!(self, Self::Public)
    }

    /// The scopes a token must have; empty for [`Access::Public`].
    pub fn required_scopes(&self) -> &[String] {
        match self {
            Self::Public | Self::Signed(_) => &[],
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
pub(super) enum Methods {
    /// `*`: every method.
    Any,
    /// The methods listed, compared exactly.
    List(Vec<String>),
}

impl Methods {
    /// Whether every method `other` covers is covered here.
    fn covers(&self, other: &Methods) -> bool {
        match (self, other) {
            (Self::Any, _) => true,
            (Self::List(_), Self::Any) => false,
            (Self::List(mine), Self::List(theirs)) => theirs.iter().all(|m| mine.contains(m)),
        }
    }

    fn contains(&self, method: &str) -> bool {
        match self {
            Self::Any => true,
            Self::List(list) => list.iter().any(|m| m == method),
        }
    }
}

/// One segment of a path pattern before its tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SegmentPattern {
    /// This exact segment.
    Literal(String),
    /// `*` before the last segment: one non-empty segment.
    AnyOne,
}

/// What a path pattern allows after its prefix segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tail {
    /// No segments after the prefix.
    Exact,
    /// Final `*`: one or more, the first non-empty.
    OneOrMore,
    /// Final `**`: zero or more.
    ZeroOrMore,
}

/// The path half of a `match`: literal or one-segment wildcards, then a tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PathPattern {
    pub(super) prefix: Vec<SegmentPattern>,
    pub(super) tail: Tail,
}

/// What a pattern allows in one segment position, for comparing patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentSet<'a> {
    /// Exactly this text.
    Literal(&'a str),
    /// Any non-empty segment.
    NonEmpty,
    /// Any segment.
    Any,
}

impl SegmentSet<'_> {
    fn contains(self, other: SegmentSet<'_>) -> bool {
        match (self, other) {
            (Self::Any, _) => true,
            (Self::NonEmpty, SegmentSet::NonEmpty) => true,
            (Self::NonEmpty, SegmentSet::Literal(s)) => !s.is_empty(),
            (Self::Literal(a), SegmentSet::Literal(b)) => a == b,
            _ => false,
        }
    }
}

impl PathPattern {
    /// The segment counts this pattern matches: from `.0`, up to `.1` (`None`: no limit).
    fn lengths(&self) -> (usize, Option<usize>) {
        let n = self.prefix.len();
        match self.tail {
            Tail::Exact => (n, Some(n)),
            Tail::OneOrMore => (n + 1, None),
            Tail::ZeroOrMore => (n, None),
        }
    }

    /// What segment `position` may be, for a path long enough to have it.
    fn segment_set(&self, position: usize) -> SegmentSet<'_> {
        match self.prefix.get(position) {
            Some(SegmentPattern::Literal(s)) => SegmentSet::Literal(s),
            Some(SegmentPattern::AnyOne) => SegmentSet::NonEmpty,
            None if position == self.prefix.len() && self.tail == Tail::OneOrMore => {
                SegmentSet::NonEmpty
            }
            None => SegmentSet::Any,
        }
    }

    /// Whether every path `other` matches is matched by this pattern: its segment counts are
    /// among ours and, position by position, its segments are among ours. Past both
    /// prefixes (and a `*` tail's first segment) both allow any segment, so comparing one
    /// position further than the longer prefix decides every length.
    fn covers(&self, other: &PathPattern) -> bool {
        let ((min, max), (other_min, other_max)) = (self.lengths(), other.lengths());
        let lengths_ok = other_min >= min
            && match (max, other_max) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(max), Some(other_max)) => other_max <= max,
            };
        let last = other_max.unwrap_or(self.prefix.len().max(other.prefix.len()) + 1);
        lengths_ok && (0..last).all(|i| self.segment_set(i).contains(other.segment_set(i)))
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
    pub(super) index: usize,
    pub(super) pattern: String,
    pub(super) methods: Methods,
    pub(super) path: PathPattern,
    pub(super) access: Access,
    pub(super) fail_open: bool,
    pub(super) allow_preflight: bool,
    pub(super) binding: crate::sender::Requirement,
    pub(super) rate_limit: Option<crate::ratelimit::RateLimit>,
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

    /// Which tokens the rule takes by their binding (`binding`; default: any).
    pub fn binding(&self) -> crate::sender::Requirement {
        self.binding
    }

    /// The rule's rate limit (`rate_limit`), if any.
    pub fn rate_limit(&self) -> Option<&crate::ratelimit::RateLimit> {
        self.rate_limit.as_ref()
    }

    /// Whether this rule covers `method` (compared exactly) on `path`.
    pub fn matches(&self, method: &str, path: &NormalizedPath) -> bool {
        self.methods.contains(method) && self.path.matches(path)
    }

    /// Whether every request `later` matches is matched by this rule: placed after this
    /// one, `later` could never apply (first match wins).
    pub(super) fn covers(&self, later: &Rule) -> bool {
        self.methods.covers(&later.methods) && self.path.covers(&later.path)
    }
}

/// The ordered route rules; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub(super) rules: Vec<Rule>,
}

impl RouteTable {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::test_support::{found, health_and_orders, path, table};
    use serde_json::json;

    // --- Matching ----------------------------------------------------------------------------

    #[test]
    fn first_matching_rule_wins() {
        let table = table(json!([
            { "match": "GET /orders/special", "public": true },
            { "match": "GET /orders/*", "scopes": ["orders:read"] },
        ]));
        assert_eq!(found(&table, "GET", "/orders/special"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/other"), Some(1));
    }

    #[test]
    fn methods_are_matched_exactly() {
        let table = table(json!([
            { "match": "GET,HEAD /health", "public": true },
            { "match": "* /any", "scopes": [] },
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
        let table = table(json!([{ "match": "GET /users/*/orders", "scopes": [] }]));
        assert_eq!(found(&table, "GET", "/users/7/orders"), Some(0));
        assert_eq!(found(&table, "GET", "/users/orders"), None);
        assert_eq!(found(&table, "GET", "/users/7/8/orders"), None);
        assert_eq!(found(&table, "GET", "/users/7/orders/"), None);
        assert_eq!(found(&table, "GET", "/users/7/orders/1"), None);
    }

    #[test]
    fn middle_star_needs_a_non_empty_segment_before_double_star() {
        let table = table(json!([{ "match": "GET /users/*/**", "scopes": [] }]));
        assert_eq!(found(&table, "GET", "/users/7"), Some(0));
        assert_eq!(found(&table, "GET", "/users/7/orders"), Some(0));
        assert_eq!(found(&table, "GET", "/users/"), None);
        assert_eq!(found(&table, "GET", "/users"), None);
    }

    #[test]
    fn trailing_star_matches_one_or_more_segments() {
        let table = table(json!([{ "match": "GET /orders/*", "scopes": [] }]));
        assert_eq!(found(&table, "GET", "/orders/1"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/1/items"), Some(0));
        assert_eq!(found(&table, "GET", "/orders/1/"), Some(0));
        assert_eq!(found(&table, "GET", "/orders"), None);
        assert_eq!(found(&table, "GET", "/orders/"), None);
        assert_eq!(found(&table, "GET", "/ordersx/1"), None);
    }

    #[test]
    fn trailing_double_star_matches_zero_or_more_segments() {
        let table = table(json!([{ "match": "GET /orders/**", "scopes": [] }]));
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
        let everything = self::table(json!([{ "match": "GET /**", "scopes": [] }]));
        assert_eq!(found(&everything, "GET", "/"), Some(0));
        assert_eq!(found(&everything, "GET", "/x/y"), Some(0));
    }

    #[test]
    fn literal_patterns_match_exactly_including_trailing_slash() {
        let table = table(json!([
            { "match": "GET /orders", "scopes": [] },
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
        let table = table(json!([{ "match": "GET /caf%C3%A9/*", "scopes": [] }]));
        assert_eq!(found(&table, "GET", "/café/1"), Some(0));
        assert_eq!(found(&table, "GET", "/caf%c3%a9/1"), Some(0));
    }

    #[test]
    fn preflight_uses_the_first_matching_rule_without_falling_through() {
        let table = table(json!([
            { "match": "GET /orders/*", "scopes": ["orders:read"], "allow_preflight": true },
            { "match": "DELETE /orders/*", "scopes": ["orders:write"] },
            { "match": "* /orders/**", "scopes": [], "allow_preflight": true },
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
            { "match": "GET /b", "scopes": [] },
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
            r#"[{"match":"GET /a", "scopes": []},
                {"match":"POST /b/*","fail_open":true,"allow_preflight":true,"public":false,"scopes":[]}]"#,
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
}
