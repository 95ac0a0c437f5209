//! A concrete request that reaches a given rule, for people: the `make dev` banner's curl
//! lines and `portcullis check-config --json`. Built from the rule's own pattern and checked
//! against the whole table, so an example never lands on an earlier rule.

use super::path::normalize_path;
use super::rule::{Methods, RouteTable, SegmentPattern, Tail};

/// What a wildcard segment becomes, in order of preference: the first whose request reaches
/// the rule wins (an earlier rule may take `1` but not `example`).
const FILLERS: [&str; 4] = ["1", "example", "x-portcullis-demo", "0"];

impl RouteTable {
    /// A method and a normalized path whose request rule `index` decides (first match
    /// wins): the rule's first listed method (`GET` when it lists it or allows any) and its
    /// pattern with each wildcard filled in. `None` when no filler reaches the rule.
    pub fn example_request(&self, index: usize) -> Option<(String, String)> {
        let rule = self.rules().get(index)?;
        let method = match &rule.methods {
            Methods::Any => "GET",
            Methods::List(list) if list.iter().any(|m| m == "GET") => "GET",
            Methods::List(list) => list.first()?.as_str(),
        };
        // A `**` tail is tried empty first, then with one segment.
        let tails: &[bool] = match rule.path.tail {
            Tail::Exact => &[false],
            Tail::OneOrMore => &[true],
            Tail::ZeroOrMore => &[false, true],
        };
        FILLERS.iter().find_map(|filler| {
            tails.iter().find_map(|&with_tail| {
                let mut segments: Vec<&str> = rule
                    .path
                    .prefix
                    .iter()
                    .map(|s| match s {
                        SegmentPattern::Literal(text) => text.as_str(),
                        SegmentPattern::AnyOne => filler,
                    })
                    .collect();
                if with_tail {
                    segments.push(filler);
                }
                let path = normalize_path(&format!("/{}", segments.join("/"))).ok()?;
                let reached = self.find(method, &path).map(|r| r.index) == Some(index);
                reached.then(|| (method.to_owned(), path.as_str().to_owned()))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::routes::test_support::table;
    use serde_json::json;

    #[test]
    fn examples_reach_their_own_rule() {
        let table = table(json!([
            { "match": "GET /orders/1", "public": true },
            { "match": "GET /orders/*", "scopes": ["orders:read"] },
            { "match": "POST,PUT /items/**", "scopes": [] },
            { "match": "GET /users/*/orders", "scopes": ["a"] },
            { "match": "GET /", "public": true },
            { "match": "*", "scopes": ["admin"] },
        ]));
        let got: Vec<_> = (0..6).map(|i| table.example_request(i)).collect();
        let want = [
            ("GET", "/orders/1"),
            ("GET", "/orders/example"),
            ("POST", "/items"),
            ("GET", "/users/1/orders"),
            ("GET", "/"),
            ("GET", "/1"),
        ];
        for (got, (method, path)) in got.iter().zip(want) {
            assert_eq!(
                got.as_ref().map(|(m, p)| (m.as_str(), p.as_str())),
                Some((method, path))
            );
        }
        assert_eq!(table.example_request(6), None);
    }
}
