//! The path table as data: every row of `tests/vectors/paths.json` normalizes to its stated
//! path (or error) and, under the file's route table, reaches its stated rule. The Rust table
//! below generates the file; a drift check keeps the two equal (tests/vectors/README.md).
//! The end-to-end suite sends the rows marked `http` to the real Worker, and the fuzz seed
//! generator starts the path corpus from every row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{check_vector_file, vector_file};
use portcullis::routes::{normalize_path, PathError, RouteTable, Rule};
use serde_json::{json, Value};

/// The route table the `get_rule` column refers to (rule 0 public, rule 1 scoped).
fn routes() -> Value {
    json!([
        { "match": "GET /health", "public": true },
        { "match": "GET /orders/*", "scopes": ["orders:read"] },
    ])
}

struct Row {
    raw: String,
    want: Result<&'static str, PathError>,
    /// The rule index `GET raw` reaches under [`routes`] (only for normalized rows).
    get_rule: Option<usize>,
    /// Sent by the end-to-end suite: workerd's URL parser leaves the row's meaning intact.
    http: bool,
}

#[derive(Default)]
struct Table(Vec<Row>);

impl Table {
    fn ok(&mut self, raw: &str, normalized: &'static str, get_rule: Option<usize>) -> &mut Row {
        self.push(raw, Ok(normalized), get_rule)
    }
    fn bad(&mut self, raw: &str, err: PathError) -> &mut Row {
        self.push(raw, Err(err), None)
    }
    fn push(
        &mut self,
        raw: &str,
        want: Result<&'static str, PathError>,
        get_rule: Option<usize>,
    ) -> &mut Row {
        self.0.push(Row {
            raw: raw.to_owned(),
            want,
            get_rule,
            http: false,
        });
        self.0.last_mut().unwrap()
    }
}

impl Row {
    fn http(&mut self) {
        self.http = true;
    }
}

fn table() -> Table {
    use PathError as E;
    let mut t = Table::default();

    // Encoding tricks around a public rule: none reaches rule 0 but `/health` itself.
    t.ok("/health", "/health", Some(0));
    for raw in [
        "/health/../orders/1",
        "/health/%2e%2e/orders/1",
        "/health/%2E%2E/orders/1",
        "//orders/1",
        "/%6frders/1",
        "/orders/./1",
    ] {
        t.ok(raw, "/orders/1", Some(1)).http();
    }
    for raw in [
        "/health/.%2e/orders/1",
        "/health/./../orders/1",
        "/orders//1",
        "/./orders/1",
        "/health;/../orders/1",
    ] {
        t.ok(raw, "/orders/1", Some(1));
    }
    t.ok("/health/..", "/", None);
    t.ok("/health/", "/health/", None);
    t.ok("/health/x/..", "/health/", None);
    t.ok("/HEALTH", "/HEALTH", None);
    t.ok("/orders/1/..", "/orders/", None);
    t.bad("/orders%2F1", E::EncodedSlash { offset: 7 }).http();
    t.bad("/orders%2f1", E::EncodedSlash { offset: 7 }).http();
    t.bad("/health%2F..%2Forders%2F1", E::EncodedSlash { offset: 7 });
    t.bad("/health/..%2Forders/1", E::EncodedSlash { offset: 10 })
        .http();
    t.bad("/orders/1%00", E::EncodedNul { offset: 9 }).http();
    t.bad("/orders/1%5C..%5C2", E::EncodedBackslash { offset: 9 })
        .http();
    t.bad("\\orders", E::NotAbsolute);
    t.bad("/health/..\\orders\\1", E::Backslash { offset: 10 });
    t.bad("/health/..%5Corders", E::EncodedBackslash { offset: 10 });
    t.bad("/orders/..%2f..", E::EncodedSlash { offset: 10 });
    t.bad("/health/../../orders/1", E::AboveRoot);

    // Escapes: unreserved ones decoded, others kept with uppercase hex.
    t.ok("/%6Frders/%31", "/orders/1", Some(1));
    t.ok("/%7e%2D%5f%2e", "/~-_.", None);
    t.ok("/caf%c3%a9", "/caf%C3%A9", None);
    t.ok("/a%3ab%40c%25", "/a%3Ab%40c%25", None);
    // Characters not allowed literally are encoded; sub-delimiters stay literal.
    t.ok("/café", "/caf%C3%A9", None);
    t.ok(
        "/a b\"<>{}|^`[]",
        "/a%20b%22%3C%3E%7B%7D%7C%5E%60%5B%5D",
        None,
    );
    t.ok("/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;=", None);
    // Slash runs, dot segments, trailing slashes.
    t.ok("//orders///1//", "/orders/1/", Some(1));
    t.ok("//", "/", None);
    t.ok("/a/./b/../c", "/a/c", None);
    t.ok("/a/b/..", "/a/", None);
    t.ok("/a/b/.", "/a/b/", None);
    t.ok("/a/..", "/", None);
    t.ok("/.", "/", None);
    t.ok("/a/.%2E/b", "/b", None);
    t.ok("/a/...", "/a/...", None); // three dots is an ordinary segment
    t.ok("/a/..b/.c", "/a/..b/.c", None);
    t.ok("/orders/", "/orders/", None);
    t.ok("/orders", "/orders", None);
    t.ok("/", "/", None);
    t.bad("/..", E::AboveRoot);
    t.bad("/a/../..", E::AboveRoot);
    t.bad("/%2e%2e/etc", E::AboveRoot);
    // Dot segments with `;` parameters (a servlet container resolves `..;` as `..`).
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
        t.bad(raw, E::DotSegmentWithParameters).http();
    }
    // Other segments may carry `;` parameters; three dots is an ordinary name.
    t.ok("/a;x=1/b", "/a;x=1/b", None);
    t.ok("/a/...;/b", "/a/...;/b", None);
    t.ok("/a/;../b", "/a/;../b", None);
    t.ok("/a/..b;/c", "/a/..b;/c", None);
    // Not a path at all.
    t.bad("", E::NotAbsolute);
    t.bad("orders", E::NotAbsolute);
    t.bad("*", E::NotAbsolute);
    // Forbidden literal bytes.
    t.bad("/a\0", E::Nul { offset: 2 });
    t.bad(
        "/a\nb",
        E::ControlCharacter {
            offset: 2,
            byte: b'\n',
        },
    );
    t.bad(
        "/a\x7f",
        E::ControlCharacter {
            offset: 2,
            byte: 0x7F,
        },
    );
    t.bad("/a\\b", E::Backslash { offset: 2 });
    t.bad(
        "/a?b=1",
        E::QueryOrFragmentDelimiter {
            offset: 2,
            byte: b'?',
        },
    );
    t.bad(
        "/a#x",
        E::QueryOrFragmentDelimiter {
            offset: 2,
            byte: b'#',
        },
    );
    // Malformed and dangerous escapes.
    for raw in ["/a%", "/a%4", "/a%zz", "/a%4g", "/a%%41"] {
        t.bad(raw, E::MalformedPercentEscape { offset: 2 });
    }
    t.bad("/a%00", E::EncodedNul { offset: 2 }).http();
    t.bad("/a%2fb", E::EncodedSlash { offset: 2 }).http();
    t.bad("/a%2Fb", E::EncodedSlash { offset: 2 }).http();
    t.bad("/a%5cb", E::EncodedBackslash { offset: 2 }).http();
    t.bad(
        "/a%0D%0A",
        E::EncodedControlCharacter {
            offset: 2,
            byte: b'\r',
        },
    )
    .http();
    t.bad(
        "/a%7f",
        E::EncodedControlCharacter {
            offset: 2,
            byte: 0x7F,
        },
    )
    .http();
    // Escapes that are not UTF-8, including an overlong `/`; an escape may not complete a
    // literal multi-byte character either (`/%C3é`).
    for raw in ["/%FF", "/%C3", "/%C3x", "/%C3é", "/%C0%AF"] {
        t.bad(raw, E::InvalidUtf8);
    }
    t
}

fn table_as_json() -> Value {
    let rows: Vec<Value> = table()
        .0
        .iter()
        .map(|r| {
            let (normalized, error) = match &r.want {
                Ok(p) => (json!(p), Value::Null),
                Err(e) => (Value::Null, json!(format!("{e:?}"))),
            };
            json!({
                "raw": r.raw,
                "normalized": normalized,
                "error": error,
                "get_rule": r.get_rule,
                "http": r.http,
            })
        })
        .collect();
    json!({
        "about": "Request paths and their one canonical form; generated by crates/portcullis/tests/paths.rs (see tests/vectors/README.md)",
        "routes": routes(),
        "cases": rows,
    })
}

#[test]
fn path_vector_file_matches_the_table() {
    check_vector_file("paths.json", &table_as_json());
}

#[test]
fn path_table_each_row_normalizes_as_stated() {
    let routes = RouteTable::from_json(&routes()).unwrap();
    for row in table().0 {
        let got = normalize_path(&row.raw);
        assert_eq!(
            got.as_ref().map(|p| p.as_str()).map_err(Clone::clone),
            row.want,
            "normalizing {:?}",
            row.raw
        );
        if let Ok(path) = got {
            assert_eq!(
                routes.find("GET", &path).map(Rule::index),
                row.get_rule,
                "GET {:?}",
                row.raw
            );
        }
    }
}

#[test]
fn path_vector_file_each_row_normalizes_as_stated() {
    let file = vector_file("paths.json", table_as_json);
    let routes = RouteTable::from_json(&file["routes"]).unwrap();
    let cases = file["cases"].as_array().expect("cases");
    assert!(cases.len() >= 80, "the file shrank to {} rows", cases.len());
    for case in cases {
        let raw = case["raw"].as_str().unwrap();
        match normalize_path(raw) {
            Ok(path) => {
                assert_eq!(case["normalized"], path.as_str(), "{raw:?}");
                assert_eq!(
                    case["get_rule"],
                    json!(routes.find("GET", &path).map(Rule::index)),
                    "GET {raw:?}"
                );
            }
            Err(e) => assert_eq!(case["error"], format!("{e:?}"), "{raw:?}"),
        }
    }
}
