//! The admin request bodies as data: every row of `tests/vectors/admin_bodies.json` parses
//! (revoke requests at the file's `now`, introspection requests under their Content-Type) to
//! its stated request or error. The Rust table below generates the file; a drift check keeps
//! the two equal (tests/vectors/README.md). The end-to-end suite posts the rows marked `http`
//! to the real Worker, and the fuzz seed generator starts the admin corpus from every row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{check_vector_file, vector_file, NOW};
use portcullis::revocation::{
    parse_introspect_request, parse_revoke_request, AdminRequestError as E, Revocation,
    RevokeRequest, MAX_IDENTIFIER_LEN,
};
use serde_json::{json, Value};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const JSON: Option<&str> = Some("application/json");

struct Revoke {
    body: String,
    want: Result<RevokeRequest, E>,
    /// Posted by the end-to-end suite: the outcome does not depend on the clock.
    http: bool,
}

struct Introspect {
    content_type: Option<&'static str>,
    body: String,
    want: Result<String, E>,
}

fn jti(s: &str) -> Result<RevokeRequest, E> {
    Ok(RevokeRequest::Revoke(Revocation::Token { jti: s.into() }))
}
fn sub(s: &str, before: i64) -> Result<RevokeRequest, E> {
    Ok(RevokeRequest::Revoke(Revocation::Subject {
        sub: s.into(),
        before,
    }))
}
fn key(kid: &str, confirm: bool) -> Result<RevokeRequest, E> {
    Ok(RevokeRequest::Key {
        kid: kid.into(),
        confirm,
    })
}

fn revoke_table() -> Vec<Revoke> {
    let long = "x".repeat(MAX_IDENTIFIER_LEN + 1);
    let at_limit = "x".repeat(MAX_IDENTIFIER_LEN);
    let token = "x".repeat(2 * MAX_IDENTIFIER_LEN);
    let rows: Vec<(String, Result<RevokeRequest, E>, bool)> = vec![
        // Each target.
        (r#"{"jti":"a"}"#.into(), jti("a"), true),
        (r#"{"kid":"k1"}"#.into(), key("k1", false), true),
        (
            r#"{"kid":"k1","confirm":true}"#.into(),
            key("k1", true),
            true,
        ),
        (
            r#"{"token":"eyJ.x.y"}"#.into(),
            Ok(RevokeRequest::Token("eyJ.x.y".into())),
            true,
        ),
        (
            format!(r#"{{"sub":"alice","before":{}}}"#, NOW - 5),
            sub("alice", NOW - 5),
            false,
        ),
        (r#"{"sub":"alice"}"#.into(), sub("alice", NOW), false),
        (
            format!(r#"{{"before":{NOW},"sub":"a"}}"#),
            sub("a", NOW),
            false,
        ),
        (r#"{"sub":"a","before":0}"#.into(), sub("a", 0), true),
        (
            format!(r#"{{"kid":"{at_limit}"}}"#),
            key(&at_limit, false),
            true,
        ),
        // A presented token is not an identifier: only the body limit applies.
        (
            format!(r#"{{"token":"{token}"}}"#),
            Ok(RevokeRequest::Token(token.clone())),
            true,
        ),
        (
            r#"{"sub":"é \" \\ /"}"#.into(),
            sub("é \" \\ /", NOW),
            false,
        ),
        // Not JSON, not an object.
        (r#"{"jti":"a""#.into(), Err(E::InvalidJson), true),
        ("".into(), Err(E::InvalidJson), true),
        ("jti=a".into(), Err(E::InvalidJson), true),
        (r#"["jti","a"]"#.into(), Err(E::NotAnObject), true),
        (r#""a""#.into(), Err(E::NotAnObject), true),
        ("null".into(), Err(E::NotAnObject), true),
        ("42".into(), Err(E::NotAnObject), true),
        ("true".into(), Err(E::NotAnObject), true),
        // Fields.
        (
            r#"{"jti":"a","why":"x"}"#.into(),
            Err(E::UnknownField {
                field: "why".into(),
            }),
            true,
        ),
        // `reason` is optional, from a closed set.
        (
            r#"{"jti":"a","reason":"leaked"}"#.into(),
            Ok(RevokeRequest::Revoke(Revocation::Token { jti: "a".into() })),
            true,
        ),
        (
            r#"{"jti":"a","reason":"x"}"#.into(),
            Err(E::UnknownReason),
            true,
        ),
        (
            r#"{"jti":"a","jti":"b"}"#.into(),
            Err(E::DuplicateField { field: "jti" }),
            true,
        ),
        (
            r#"{"jti":"a","j\u0074i":"b"}"#.into(),
            Err(E::DuplicateField { field: "jti" }),
            true,
        ),
        (
            r#"{"kid":"a","confirm":true,"confirm":true}"#.into(),
            Err(E::DuplicateField { field: "confirm" }),
            true,
        ),
    ];
    let mut rows = rows;
    for (body, field, expected) in [
        (r#"{"jti":1}"#, "jti", "a string"),
        (r#"{"sub":null}"#, "sub", "a string"),
        (r#"{"kid":["k"]}"#, "kid", "a string"),
        (r#"{"token":{}}"#, "token", "a string"),
        (r#"{"sub":"a","before":"1"}"#, "before", "an integer"),
        (r#"{"kid":"a","confirm":"yes"}"#, "confirm", "a boolean"),
    ] {
        rows.push((body.into(), Err(E::WrongType { field, expected }), true));
    }
    for (body, field) in [
        (r#"{"jti":""}"#, "jti"),
        (r#"{"sub":""}"#, "sub"),
        (r#"{"kid":""}"#, "kid"),
        (r#"{"token":""}"#, "token"),
    ] {
        rows.push((body.into(), Err(E::EmptyField { field }), true));
    }
    rows.push((
        format!(r#"{{"sub":"{long}"}}"#),
        Err(E::FieldTooLong {
            field: "sub",
            len: MAX_IDENTIFIER_LEN + 1,
            max: MAX_IDENTIFIER_LEN,
        }),
        true,
    ));
    for (body, field) in [
        (r#"{"jti":"a\u0000"}"#, "jti"),
        (r#"{"sub":"\u007f"}"#, "sub"),
        (r#"{"kid":"\n"}"#, "kid"),
    ] {
        rows.push((body.into(), Err(E::ControlCharacter { field }), true));
    }
    for (body, err) in [
        (r#"{"jti":"a","confirm":true}"#, E::ConfirmWithoutKey),
        ("{}", E::MissingTarget),
        (r#"{"before":1}"#, E::MissingTarget),
        (r#"{"jti":"a","kid":"k"}"#, E::MultipleTargets),
        (r#"{"sub":"a","token":"t"}"#, E::MultipleTargets),
        (r#"{"jti":"a","before":1}"#, E::BeforeWithoutSubject),
        (r#"{"sub":"a","before":1.5}"#, E::NonIntegerBefore),
        (r#"{"sub":"a","before":1.0}"#, E::NonIntegerBefore),
        (r#"{"sub":"a","before":1e3}"#, E::NonIntegerBefore),
        (r#"{"sub":"a","before":-1}"#, E::NegativeBefore),
    ] {
        rows.push((body.into(), Err(err), true));
    }
    rows.push((
        format!(r#"{{"sub":"a","before":{}}}"#, NOW + 1),
        Err(E::BeforeInFuture {
            before: NOW + 1,
            now: NOW,
        }),
        false,
    ));
    rows.push((
        r#"{"sub":"a","before":18446744073709551615}"#.into(),
        Err(E::BeforeInFuture {
            before: i64::MAX,
            now: NOW,
        }),
        false,
    ));
    rows.into_iter()
        .map(|(body, want, http)| Revoke { body, want, http })
        .collect()
}

fn introspect_table() -> Vec<Introspect> {
    let rows: Vec<(Option<&'static str>, &str, Result<&str, E>)> = vec![
        (
            FORM,
            "token=abc.def.ghi&token_type_hint=access_token",
            Ok("abc.def.ghi"),
        ),
        (FORM, "foo=bar&&token=t", Ok("t")),
        (FORM, "token=a+b%2Bc%2fd%C3%A9", Ok("a b+c/dé")),
        (FORM, "t%6Fken=x", Ok("x")),
        (
            Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
            "token=t",
            Ok("t"),
        ),
        (
            Some("application/json;charset=utf-8"),
            r#"{"token":"t"}"#,
            Ok("t"),
        ),
        (FORM, "token=%zz", Err(E::InvalidPercentEncoding)),
        (FORM, "token=abc%", Err(E::InvalidPercentEncoding)),
        (FORM, "token=%4", Err(E::InvalidPercentEncoding)),
        (FORM, "x=%g1&token=t", Err(E::InvalidPercentEncoding)),
        (FORM, "token=%FF", Err(E::InvalidUtf8)),
        (FORM, "token_type_hint=x", Err(E::MissingToken)),
        (FORM, "", Err(E::MissingToken)),
        (FORM, "token=", Err(E::EmptyField { field: "token" })),
        (FORM, "token", Err(E::EmptyField { field: "token" })),
        (
            FORM,
            "token=a&token=b",
            Err(E::DuplicateField { field: "token" }),
        ),
        (JSON, r#"{"token":"t"}"#, Ok("t")),
        (
            JSON,
            r#"{"token_type_hint":"access_token","token":"t"}"#,
            Ok("t"),
        ),
        (
            JSON,
            r#"{"token":"t","x":1}"#,
            Err(E::UnknownField { field: "x".into() }),
        ),
        (
            JSON,
            r#"{"token":1}"#,
            Err(E::WrongType {
                field: "token",
                expected: "a string",
            }),
        ),
        (
            JSON,
            r#"{"token":""}"#,
            Err(E::EmptyField { field: "token" }),
        ),
        (
            JSON,
            r#"{"token":"a","token":"b"}"#,
            Err(E::DuplicateField { field: "token" }),
        ),
        (JSON, "{}", Err(E::MissingToken)),
        (JSON, r#"["t"]"#, Err(E::NotAnObject)),
        (JSON, "token=t", Err(E::InvalidJson)),
        (None, "token=t", Err(E::MissingContentType)),
    ];
    let mut rows: Vec<Introspect> = rows
        .into_iter()
        .map(|(content_type, body, want)| Introspect {
            content_type,
            body: body.into(),
            want: want.map(str::to_owned),
        })
        .collect();
    for ct in ["text/plain", "multipart/form-data", "", "application/jsonx"] {
        rows.push(Introspect {
            content_type: Some(ct),
            body: "token=t".into(),
            want: Err(E::UnsupportedContentType),
        });
    }
    rows
}

/// An error as the file states it: its `Debug` text and its client-facing `Display` text.
fn error_json(e: &E) -> Value {
    json!({ "error": format!("{e:?}"), "code": e.code(), "detail": e.to_string() })
}

/// A parsed revoke request as the file states it.
fn revoke_json(r: &Result<RevokeRequest, E>) -> Value {
    match r {
        Ok(RevokeRequest::Revoke(Revocation::Token { jti })) => json!({ "revoke": { "jti": jti } }),
        Ok(RevokeRequest::Revoke(Revocation::Subject { sub, before })) => {
            json!({ "revoke": { "sub": sub, "before": before } })
        }
        Ok(RevokeRequest::Revoke(other)) => json!({ "revoke": format!("{other:?}") }),
        Ok(RevokeRequest::Key { kid, confirm }) => {
            json!({ "key": { "kid": kid, "confirm": confirm } })
        }
        Ok(RevokeRequest::Token(token)) => json!({ "token": token }),
        Err(e) => error_json(e),
    }
}

fn introspect_json(r: &Result<String, E>) -> Value {
    match r {
        Ok(token) => json!({ "token": token }),
        Err(e) => error_json(e),
    }
}

fn table_as_json() -> Value {
    json!({
        "about": "Admin API request bodies; generated by crates/portcullis/tests/admin_bodies.rs (see tests/vectors/README.md)",
        "now": NOW,
        "revoke": revoke_table().iter().map(|r| json!({
            "body": r.body,
            "want": revoke_json(&r.want),
            "http": r.http,
        })).collect::<Vec<_>>(),
        "introspect": introspect_table().iter().map(|r| json!({
            "content_type": r.content_type,
            "body": r.body,
            "want": introspect_json(&r.want),
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn admin_body_vector_file_matches_the_table() {
    check_vector_file("admin_bodies.json", &table_as_json());
}

#[test]
fn admin_body_table_each_row_parses_as_stated() {
    for row in revoke_table() {
        assert_eq!(
            parse_revoke_request(row.body.as_bytes(), NOW),
            row.want,
            "{}",
            row.body
        );
    }
    for row in introspect_table() {
        assert_eq!(
            parse_introspect_request(row.body.as_bytes(), row.content_type),
            row.want,
            "{:?} {}",
            row.content_type,
            row.body
        );
    }
}

#[test]
fn admin_body_vector_file_each_row_parses_as_stated() {
    let file = vector_file("admin_bodies.json", table_as_json);
    let now = file["now"].as_i64().unwrap();
    let revoke = file["revoke"].as_array().expect("revoke rows");
    let introspect = file["introspect"].as_array().expect("introspect rows");
    assert!(
        revoke.len() >= 40 && introspect.len() >= 25,
        "the file shrank"
    );
    for row in revoke {
        let body = row["body"].as_str().unwrap();
        let got = parse_revoke_request(body.as_bytes(), now);
        assert_eq!(revoke_json(&got), row["want"], "{body}");
    }
    for row in introspect {
        let body = row["body"].as_str().unwrap();
        let got = parse_introspect_request(body.as_bytes(), row["content_type"].as_str());
        assert_eq!(introspect_json(&got), row["want"], "{body}");
    }
}
