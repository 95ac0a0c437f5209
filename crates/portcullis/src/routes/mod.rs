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
//!   { "match": "*", "scopes": [] }
//! ]
//! ```
//!
//! - `match` (required): `*` alone (any method, any path), or `<METHODS> <PATTERN>` with one
//!   space between. `METHODS` is `*` or a comma-separated list of methods from
//!   [`crate::schema::METHODS`] (RFC 9110's and `PATCH`, uppercase). Methods compare
//!   exactly; `GET` does not imply `HEAD`.
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
//! - `scopes` (array of RFC 6749 scope tokens): all are required. `[]` means any valid token.
//! - `public` (default false): no token needed; cannot be combined with `scopes`. A rule must
//!   say one of the two: one that says neither is an error, so a forgotten `scopes` never
//!   opens a route to every valid token.
//! - `fail_open` (default false): pass requests on this rule if the revocation list is
//!   unavailable.
//! - `allow_preflight` (default false): see [`RouteTable::find_preflight`].
//! - `auth` and `signed`: a signed link instead of a bearer token (`auth` module,
//!   [`SignedFormat`]).
//!
//! Unknown fields (with a "did you mean"; the keys are [`crate::schema::RULE_KEYS`]), wrong
//! types, unknown methods and shadowed rules (every request the rule matches is matched by an
//! earlier rule: anything after `*`, `GET /orders/1` after `GET /orders/*`) are errors, so a
//! typo cannot quietly open a route or leave a rule dead.
//!
//! # Layout
//! - `path`: [`normalize_path`] and the [`NormalizedPath`] it produces;
//! - `rule`: the rule model ([`Access`], [`Rule`], [`RouteTable`]) and matching;
//! - `parse`: the configuration above read into a [`RouteTable`] ([`RouteConfigError`]);
//! - `auth`: the signed-link fields of a rule ([`SignedFormat`] and its options);
//! - `example`: a concrete request that reaches a rule ([`RouteTable::example_request`]).

mod auth;
mod config_error;
mod example;
mod parse;
mod path;
mod rule;

pub use auth::{AkamaiMode, AkamaiOptions, CloudflareOptions, SignedFormat, TokenLocation};
pub use config_error::RouteConfigError;
pub use path::{normalize_path, NormalizedPath, PathError, MAX_PATH_LEN};
pub use rule::{is_valid_method, is_valid_scope, Access, RouteTable, Rule};

/// Tables and paths for the tests of every module here.
#[cfg(test)]
mod test_support {
    use serde_json::Value;

    use super::*;

    pub(super) fn table(value: Value) -> RouteTable {
        RouteTable::from_json(&value).expect("valid table")
    }

    pub(super) fn config_error(value: Value) -> RouteConfigError {
        RouteTable::from_json(&value).expect_err("table should be rejected")
    }

    pub(super) fn path(raw: &str) -> NormalizedPath {
        normalize_path(raw).expect("valid path")
    }

    /// The index of the rule `find` picks, for compact assertions.
    pub(super) fn found(table: &RouteTable, method: &str, raw: &str) -> Option<usize> {
        table.find(method, &path(raw)).map(Rule::index)
    }

    pub(super) fn health_and_orders() -> RouteTable {
        table(serde_json::json!([
            { "match": "GET /health", "public": true },
            { "match": "GET /orders/*", "scopes": ["orders:read"] },
        ]))
    }
}

/// Normalization and matching together: no spelling of a path reaches a rule it should not.
#[cfg(test)]
mod tests {
    use super::test_support::{found, health_and_orders, path, table};
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    // --- The attack table --------------------------------------------------------------------

    // Every encoding trick against the public rule (`/health/..%2F`, `//orders`, `%2e%2e`, ...)
    // is a row of the path table in tests/paths.rs, which checks the normalization and the rule
    // reached under this same route table, and feeds the vector file for e2e and fuzzing.

    #[test]
    fn an_overlong_spelling_of_a_public_path_is_refused() {
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

    proptest! {
        #[test]
        fn public_rule_is_reached_only_by_its_exact_path(raw in path::tests::tricky_path()) {
            let table = health_and_orders();
            if let Ok(normalized) = normalize_path(&raw) {
                if table.find("GET", &normalized).is_some_and(|r| r.access().is_public()) {
                    prop_assert_eq!(normalized.as_str(), "/health");
                }
            }
        }
    }
}
