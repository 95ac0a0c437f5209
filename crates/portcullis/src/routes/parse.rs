//! Route configuration: the `PORTCULLIS_ROUTES` rules (a JSON array of objects) read into a
//! [`RouteTable`], or refused with a [`RouteConfigError`] that names the rule and what is
//! wrong with it. The format is described in the [`routes`](super) module docs.

use serde_json::{Map, Value};

use crate::codec::json::{self, JsonProblem};
use crate::schema::{self, METHODS, RULE_KEYS};

use super::config_error::RouteConfigError;
use super::path::normalize_path;
use super::rule::{
    is_valid_scope, Access, Methods, PathPattern, RouteTable, Rule, SegmentPattern, Tail,
};
use crate::ratelimit::RateLimit;
use crate::sender::Requirement;

impl RouteTable {
    /// Parses the configuration text (a JSON array of rule objects) with the strict JSON layer
    /// ([`crate::codec::json`]): a member named twice in one rule is refused, never resolved
    /// to one of its values, so `{"public": false, "public": true}` cannot open a route.
    pub fn from_json_str(text: &str) -> Result<RouteTable, RouteConfigError> {
        let value = json::parse_value(text.as_bytes()).map_err(|p| json_error(text, p))?;
        Self::from_json(&value)
    }

    /// Builds the table from a parsed JSON array of rule objects. An empty array is valid and
    /// matches nothing.
    pub fn from_json(value: &Value) -> Result<RouteTable, RouteConfigError> {
        let items = value.as_array().ok_or(RouteConfigError::NotAnArray)?;
        let mut rules: Vec<Rule> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let rule = parse_rule(index, item)?;
            // First match wins: a rule every request of which an earlier rule already takes
            // is dead configuration, and usually a mistake in the order.
            if let Some(earlier) = rules.iter().find(|r| r.covers(&rule)) {
                return Err(RouteConfigError::Shadowed {
                    index,
                    pattern: rule.pattern,
                    by: earlier.index,
                    by_pattern: earlier.pattern.clone(),
                });
            }
            rules.push(rule);
        }
        Ok(RouteTable { rules })
    }
}

/// The strict parser's verdict as a configuration error. The strict layer does not report
/// where a syntax error is, so serde_json locates it: both read the same syntax (the strict
/// layer only adds refusals), so this second reading happens on the error path only.
fn json_error(text: &str, problem: JsonProblem) -> RouteConfigError {
    match (problem, serde_json::from_str::<serde::de::IgnoredAny>(text)) {
        (JsonProblem::Syntax, Err(e)) => RouteConfigError::InvalidJson {
            line: e.line(),
            column: e.column(),
        },
        _ => RouteConfigError::Json(problem),
    }
}

/// Reads rule `index` of the configuration.
fn parse_rule(index: usize, value: &Value) -> Result<Rule, RouteConfigError> {
    let object = value
        .as_object()
        .ok_or(RouteConfigError::RuleNotAnObject { index })?;
    if let Some(field) = object.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
        return Err(RouteConfigError::UnknownField {
            index,
            field: field.clone(),
            suggestion: schema::suggest(field, RULE_KEYS.iter().copied()),
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
    let signed = super::auth::parse_auth(index, object)?;
    let access = if let Some(format) = signed {
        if public || !scopes.is_empty() {
            return Err(RouteConfigError::AuthWithScopes { index });
        }
        Access::Signed(format)
    } else if public {
        if !scopes.is_empty() {
            return Err(RouteConfigError::PublicWithScopes { index });
        }
        Access::Public
    } else if object.contains_key("scopes") {
        Access::Token { scopes }
    } else {
        return Err(RouteConfigError::NoAccess { index });
    };
    // A signed-link rule reads no token: like a public rule, it can be bound to nothing and
    // rate-limited by ip only.
    let tokenless = !matches!(access, Access::Token { .. });
    let (binding, rate_limit) = parse_sender_fields(index, object, tokenless)?;
    Ok(Rule {
        index,
        pattern,
        methods,
        path,
        access,
        fail_open,
        allow_preflight,
        binding,
        rate_limit,
    })
}

/// The members of issue 17 (sender-constrained tokens, rate limits), read in one place:
/// `binding` (default `any`) and `rate_limit` (default none).
fn parse_sender_fields(
    index: usize,
    object: &Map<String, Value>,
    public: bool,
) -> Result<(Requirement, Option<RateLimit>), RouteConfigError> {
    let binding = match object.get("binding") {
        None => Requirement::Any,
        Some(Value::String(text)) => Requirement::parse(text)
            .filter(|r| !public || *r == Requirement::Any)
            .ok_or(RouteConfigError::InvalidBinding { index })?,
        Some(_) => {
            return Err(RouteConfigError::WrongType {
                index,
                field: "binding",
                expected: "a string",
            })
        }
    };
    let rate_limit = match object.get("rate_limit") {
        None => None,
        Some(value) => {
            let limit =
                RateLimit::from_json(value).map_err(|e| RouteConfigError::InvalidRateLimit {
                    index,
                    problem: Some(e),
                })?;
            if public && limit.key.needs_token() {
                return Err(RouteConfigError::InvalidRateLimit {
                    index,
                    problem: None,
                });
            }
            Some(limit)
        }
    };
    Ok((binding, rate_limit))
}

/// An optional boolean member, `false` when absent.
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

/// The optional `scopes` member: RFC 6749 scope tokens, duplicates dropped.
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

/// A method as configuration may name it: one of [`METHODS`], exactly. Stricter than
/// [`is_valid_method`](super::rule::is_valid_method) so that `get` (which would never match
/// `GET`) or `GTE` is caught as a typo.
fn is_config_method(method: &str) -> bool {
    METHODS.contains(&method)
}

/// Reads a `match` text: `*`, or `<METHODS> <PATTERN>` with a canonical path pattern.
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
                    suggestion: schema::suggest(method, METHODS.iter().copied()),
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
            canonical: canonical.as_str().to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::test_support::{config_error, table};
    use crate::routes::PathError;
    use serde_json::json;

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
    fn duplicate_member_names_are_rejected_not_resolved() {
        // serde_json alone keeps the last value: this rule would load as public.
        for text in [
            r#"[{"match": "GET /x", "public": false, "public": true}]"#,
            r#"[{"match": "GET /x", "match": "GET /health"}]"#,
            r#"[{"match": "GET /x", "p\u0075blic": false, "public": true}]"#,
        ] {
            let error = RouteTable::from_json_str(text).unwrap_err();
            assert_eq!(
                error,
                RouteConfigError::Json(JsonProblem::DuplicateMember),
                "{text}"
            );
            assert_eq!(error.to_string(), "JSON text has a duplicate member name");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(
            RouteTable::from_json_str(&deep),
            Err(RouteConfigError::Json(JsonProblem::TooDeep))
        );
        let error = RouteTable::from_json_str(r#"[{"match": "GET /.."}]"#).unwrap_err();
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("`..` segment climbs above the root")
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
            config_error(json!([{ "match": "GET /a", "scopes": [] }, "GET /x"])),
            RouteConfigError::RuleNotAnObject { index: 1 }
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        let error = config_error(json!([
            { "match": "GET /a", "scopes": [] },
            { "match": "GET /b", "scopes": [] },
            { "match": "GET /c", "scope": ["admin"] },
        ]));
        assert_eq!(
            error,
            RouteConfigError::UnknownField {
                index: 2,
                field: "scope".into(),
                suggestion: Some("scopes"),
            }
        );
        assert_eq!(
            error.to_string(),
            "rule 2: unknown field `scope`; did you mean `scopes`?"
        );
        let error = config_error(json!([{ "match": "GET /c", "owner": "x" }]));
        assert_eq!(error.to_string(), "rule 0: unknown field `owner`");
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
        for (text, method, suggestion) in [
            ("get /a", "get", Some("GET")),
            ("GET, /a", "", None),
            ("GET,,HEAD /a", "", None),
            ("GET,* /a", "*", None),
            ("G?T /a", "G?T", Some("GET")),
            ("GET;HEAD /a", "GET;HEAD", None),
            ("GETT /a", "GETT", Some("GET")),
            ("DELET /a", "DELET", Some("DELETE")),
            ("FETCH /a", "FETCH", None),
        ] {
            assert_eq!(
                config_error(json!([{ "match": text, "scopes": [] }])),
                RouteConfigError::InvalidMethod {
                    index: 0,
                    pattern: text.into(),
                    method: method.into(),
                    suggestion,
                },
                "{text:?}"
            );
        }
        let error = config_error(json!([{ "match": "GETT /a", "scopes": [] }]));
        assert_eq!(
            error.to_string(),
            "rule 0: match `GETT /a`: unknown method `GETT`; did you mean `GET`?"
        );
        let error = config_error(json!([{ "match": "FETCH /a", "scopes": [] }]));
        assert!(
            error
                .to_string()
                .ends_with("(one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH)"),
            "{error}"
        );
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
    fn a_rule_with_neither_public_nor_scopes_is_rejected() {
        for rule in [
            json!({ "match": "GET /a" }),
            json!({ "match": "GET /a", "public": false }),
        ] {
            assert_eq!(
                config_error(json!([rule])),
                RouteConfigError::NoAccess { index: 0 }
            );
        }
        assert_eq!(
            RouteConfigError::NoAccess { index: 0 }.to_string(),
            "rule 0: needs `public = true` or `scopes` (`scopes = []` for any valid token)"
        );
        // Any valid token, said out loud.
        let table = table(json!([{ "match": "GET /a", "scopes": [] }]));
        assert_eq!(
            table.rules()[0].access().required_scopes(),
            &[] as &[String]
        );
    }

    #[test]
    fn rule_after_catch_all_is_rejected() {
        for catch_all in ["*", "* /**"] {
            assert_eq!(
                config_error(json!([
                    { "match": "GET /a", "scopes": [] },
                    { "match": catch_all, "scopes": [] },
                    { "match": "GET /b", "public": true },
                ])),
                RouteConfigError::Shadowed {
                    index: 2,
                    pattern: "GET /b".into(),
                    by: 1,
                    by_pattern: catch_all.into(),
                },
                "{catch_all:?}"
            );
        }
        // Catch-alls restricted by method or path do not shadow later rules.
        table(json!([
            { "match": "GET /**", "scopes": [] },
            { "match": "* /a/**", "scopes": [] },
            { "match": "*", "scopes": [] },
        ]));
    }

    #[test]
    fn a_specific_rule_after_a_wildcard_that_takes_its_requests_is_rejected() {
        // (earlier, later): the later rule is unreachable.
        for (earlier, later) in [
            ("GET /orders/*", "GET /orders/1"),
            ("GET /orders/**", "GET /orders"),
            ("GET /orders/**", "GET /orders/*/items/*"),
            ("GET,POST /orders/*", "POST /orders/1"),
            ("* /orders/*", "GET,DELETE /orders/1"),
            ("GET /*/items", "GET /orders/items"),
            ("GET /**", "GET /orders/*"),
            ("GET /a", "GET /a"),
            ("GET /orders/*", "GET /orders/*/**"),
            // A final `*` is one or more segments.
            ("GET /orders/*", "GET /orders/*/items"),
        ] {
            assert_eq!(
                config_error(json!([
                    { "match": earlier, "scopes": ["a"] },
                    { "match": later, "public": true },
                ])),
                RouteConfigError::Shadowed {
                    index: 1,
                    pattern: later.into(),
                    by: 0,
                    by_pattern: earlier.into(),
                },
                "{earlier} then {later}"
            );
        }
        // Specific first, or only overlapping: both reachable.
        for (first, second) in [
            ("GET /orders/1", "GET /orders/*"),
            ("GET /orders/*", "POST /orders/1"),
            ("GET /orders/*", "GET /orders"),
            ("GET /*/items", "GET /orders/*/items"),
            ("GET /orders/*", "GET /orders/**"),
            ("GET /*/items", "GET /orders/*"),
            ("GET /orders", "* /orders"),
        ] {
            table(json!([
                { "match": first, "scopes": ["a"] },
                { "match": second, "public": true },
            ]));
        }
        assert_eq!(
            config_error(json!([
                { "match": "GET /orders/*", "scopes": [] },
                { "match": "GET /orders/1", "public": true },
            ]))
            .to_string(),
            "rule 1: `GET /orders/1` is unreachable: rule 0 `GET /orders/*` comes first and \
             matches every request it would; put the specific rule first"
        );
    }

    #[test]
    fn binding_and_rate_limit_fields_are_read_and_checked() {
        let t = table(json!([
            { "match": "GET /a", "binding": "dpop", "scopes": [],
              "rate_limit": { "limiter": "PER_SUB", "key": "sub", "limit": 5, "period": 60 } },
            { "match": "GET /b", "public": true,
              "rate_limit": { "limiter": "PER_IP", "key": "ip", "limit": 5, "period": 10 } },
            { "match": "GET /c", "scopes": [] }
        ]));
        let rules: Vec<_> = t.rules().iter().collect();
        assert_eq!(rules[0].binding(), crate::sender::Requirement::Dpop);
        assert_eq!(
            rules[0].rate_limit().map(|l| l.limiter.as_str()),
            Some("PER_SUB")
        );
        assert_eq!(rules[2].binding(), crate::sender::Requirement::Any);
        assert_eq!(rules[2].rate_limit(), None);
        for bad in [
            json!([{ "match": "GET /a", "scopes": [], "binding": "tls" }]),
            json!([{ "match": "GET /a", "public": true, "binding": "mtls" }]),
            json!([{ "match": "GET /a", "public": true,
                     "rate_limit": { "limiter": "L", "key": "sub", "limit": 5, "period": 60 } }]),
            json!([{ "match": "GET /a", "scopes": [], "rate_limit": { "limiter": "L", "key": "sub" } }]),
        ] {
            let e = config_error(bad.clone());
            assert!(
                matches!(
                    e,
                    RouteConfigError::InvalidBinding { index: 0 }
                        | RouteConfigError::InvalidRateLimit { index: 0, .. }
                ),
                "{bad}: {e:?}"
            );
            assert!(e.to_string().starts_with("rule 0:"), "{e}");
        }
        assert!(matches!(
            config_error(json!([{ "match": "GET /a", "scopes": [], "binding": true }])),
            RouteConfigError::WrongType {
                field: "binding",
                ..
            }
        ));
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
            "rule 3: match `GET /a//b`: path is not canonical and would never match; write `/a/b`"
        );
        let error = RouteConfigError::InvalidPatternPath {
            index: 0,
            pattern: "GET /..".into(),
            reason: PathError::AboveRoot,
        };
        assert_eq!(
            error.to_string(),
            "rule 0: match `GET /..`: `..` segment climbs above the root"
        );
    }
}
