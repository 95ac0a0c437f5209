//! The admin request parsers' tests.

use super::*;
use crate::jwt::keyring::Keyring;
use crate::revocation::reason::RevocationReason;
use crate::revocation::test_support::*;
use crate::revocation::MAX_IDENTIFIER_LEN;
use proptest::prelude::*;

fn revoke(body: &str) -> Result<RevokeRequest, AdminRequestError> {
    parse_revoke_request(body.as_bytes(), NOW)
}

#[test]
fn revoke_request_parses_each_target() {
    assert_eq!(
        revoke(r#"{"jti":"a"}"#),
        Ok(RevokeRequest::Revoke(jti("a")))
    );
    assert_eq!(
        revoke(r#"{"sid":"g1"}"#),
        Ok(RevokeRequest::Revoke(sid("g1")))
    );
    assert_eq!(
        revoke(r#"{"sid":"g1","jti":"a"}"#),
        Err(AdminRequestError::MultipleTargets)
    );
    assert_eq!(
        revoke(r#"{"kid":"k1"}"#),
        Ok(RevokeRequest::Key {
            kid: "k1".into(),
            confirm: false
        })
    );
    assert_eq!(
        revoke(r#"{"kid":"k1","confirm":true}"#),
        Ok(RevokeRequest::Key {
            kid: "k1".into(),
            confirm: true
        })
    );
    assert_eq!(
        revoke(r#"{"token":"eyJ.x.y"}"#),
        Ok(RevokeRequest::Token("eyJ.x.y".into()))
    );
    assert_eq!(
        revoke(&format!(r#"{{"sub":"alice","before":{}}}"#, NOW - 5)),
        Ok(RevokeRequest::Revoke(sub("alice", NOW - 5)))
    );
}

#[test]
fn revoke_order_takes_a_reason_from_the_closed_set_default_admin() {
    let order = |body: &str| parse_revoke_order(body.as_bytes(), NOW);
    assert_eq!(
        order(r#"{"jti":"a","reason":"leaked"}"#).map(|o| o.reason),
        Ok(RevocationReason::Leaked)
    );
    assert_eq!(
        order(r#"{"jti":"a"}"#).map(|o| o.reason),
        Ok(RevocationReason::Admin)
    );
    assert_eq!(
        order(r#"{"reason":"reuse","token":"x"}"#),
        Ok(RevokeOrder {
            request: RevokeRequest::Token("x".into()),
            reason: RevocationReason::Reuse
        })
    );
    for (body, want) in [
        (
            r#"{"jti":"a","reason":"whim"}"#,
            AdminRequestError::UnknownReason,
        ),
        (
            r#"{"jti":"a","reason":"Leaked"}"#,
            AdminRequestError::UnknownReason,
        ),
        (
            r#"{"jti":"a","reason":7}"#,
            AdminRequestError::WrongType {
                field: "reason",
                expected: "a string",
            },
        ),
        (
            r#"{"jti":"a","reason":""}"#,
            AdminRequestError::EmptyField { field: "reason" },
        ),
        (
            r#"{"jti":"a","reason":"admin","reason":"leaked"}"#,
            AdminRequestError::DuplicateField { field: "reason" },
        ),
        (r#"{"reason":"leaked"}"#, AdminRequestError::MissingTarget),
    ] {
        assert_eq!(order(body), Err(want.clone()), "{body}");
    }
    let shown = AdminRequestError::UnknownReason.to_string();
    assert!(
        shown.contains("\"leaked\"") && !shown.contains("whim"),
        "{shown}"
    );
}

#[test]
fn revoke_request_subject_before_defaults_to_now() {
    assert_eq!(
        revoke(r#"{"sub":"alice"}"#),
        Ok(RevokeRequest::Revoke(sub("alice", NOW)))
    );
}

#[test]
fn revoke_request_accepts_before_equal_to_now_and_zero() {
    assert_eq!(
        revoke(&format!(r#"{{"before":{NOW},"sub":"a"}}"#)),
        Ok(RevokeRequest::Revoke(sub("a", NOW)))
    );
    assert_eq!(
        revoke(r#"{"sub":"a","before":0}"#),
        Ok(RevokeRequest::Revoke(sub("a", 0)))
    );
}

#[test]
fn revoke_request_rejects_body_over_the_size_limit() {
    let body = format!(
        r#"{{"jti":"a","pad":"{}"}}"#,
        "x".repeat(MAX_ADMIN_BODY_LEN)
    );
    assert_eq!(
        revoke(&body),
        Err(AdminRequestError::BodyTooLarge {
            len: body.len(),
            max: MAX_ADMIN_BODY_LEN
        })
    );
}

#[test]
fn revoke_request_rejects_invalid_json() {
    assert_eq!(revoke(r#"{"jti":"a""#), Err(AdminRequestError::InvalidJson));
    assert_eq!(revoke(""), Err(AdminRequestError::InvalidJson));
    assert_eq!(
        parse_revoke_request(b"{\"jti\":\"\xff\"}", NOW),
        Err(AdminRequestError::InvalidJson)
    );
}

#[test]
fn revoke_request_rejects_non_object_json() {
    for body in [r#"["jti","a"]"#, r#""a""#, "null", "42", "true"] {
        assert_eq!(revoke(body), Err(AdminRequestError::NotAnObject), "{body}");
    }
}

#[test]
fn revoke_request_rejects_unknown_field() {
    assert_eq!(
        revoke(r#"{"jti":"a","why":"x"}"#),
        Err(AdminRequestError::UnknownField {
            field: "why".into()
        })
    );
}

#[test]
fn revoke_request_rejects_duplicate_field() {
    assert_eq!(
        revoke(r#"{"jti":"a","jti":"b"}"#),
        Err(AdminRequestError::DuplicateField { field: "jti" })
    );
    // An escaped name is the same name.
    assert_eq!(
        revoke(r#"{"jti":"a","j\u0074i":"b"}"#),
        Err(AdminRequestError::DuplicateField { field: "jti" })
    );
}

#[test]
fn revoke_request_rejects_empty_strings() {
    for (body, field) in [
        (r#"{"jti":""}"#, "jti"),
        (r#"{"sub":""}"#, "sub"),
        (r#"{"kid":""}"#, "kid"),
        (r#"{"token":""}"#, "token"),
    ] {
        assert_eq!(
            revoke(body),
            Err(AdminRequestError::EmptyField { field }),
            "{body}"
        );
    }
}

#[test]
fn revoke_request_rejects_identifiers_over_the_length_limit() {
    let long = "x".repeat(MAX_IDENTIFIER_LEN + 1);
    assert_eq!(
        revoke(&format!(r#"{{"sub":"{long}"}}"#)),
        Err(AdminRequestError::FieldTooLong {
            field: "sub",
            len: MAX_IDENTIFIER_LEN + 1,
            max: MAX_IDENTIFIER_LEN
        })
    );
    let at_limit = "x".repeat(MAX_IDENTIFIER_LEN);
    assert!(revoke(&format!(r#"{{"kid":"{at_limit}"}}"#)).is_ok());
    // A presented token is not an identifier: only the body limit applies.
    let token = "x".repeat(2 * MAX_IDENTIFIER_LEN);
    assert_eq!(
        revoke(&format!(r#"{{"token":"{token}"}}"#)),
        Ok(RevokeRequest::Token(token))
    );
}

#[test]
fn revoke_request_takes_confirm_only_as_a_boolean_with_kid() {
    assert_eq!(
        revoke(r#"{"jti":"a","confirm":true}"#),
        Err(AdminRequestError::ConfirmWithoutKey)
    );
    assert_eq!(
        revoke(r#"{"kid":"a","confirm":"yes"}"#),
        Err(AdminRequestError::WrongType {
            field: "confirm",
            expected: "a boolean"
        })
    );
    assert_eq!(
        revoke(r#"{"kid":"a","confirm":true,"confirm":true}"#),
        Err(AdminRequestError::DuplicateField { field: "confirm" })
    );
}

#[test]
fn revoke_request_rejects_identifiers_with_control_characters() {
    for body in [
        r#"{"jti":"a\u0000"}"#,
        r#"{"sub":"\u007f"}"#,
        r#"{"kid":"\n"}"#,
    ] {
        assert!(
            matches!(
                revoke(body),
                Err(AdminRequestError::ControlCharacter { .. })
            ),
            "{body}"
        );
    }
    assert!(revoke(r#"{"sub":"é \" \\ /"}"#).is_ok());
}

fn ring(keys: &str) -> Keyring {
    Keyring::from_jwks(&format!(r#"{{"keys":[{keys}]}}"#)).unwrap()
}

const K: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn key_revocation_refuses_a_kid_not_in_the_ring() {
    let ring = ring(&format!(
        r#"{{"kty":"oct","kid":"k1","alg":"HS256","k":"{K}"}}"#
    ));
    for confirm in [false, true] {
        assert_eq!(
            check_key_revocation(&ring, None, "k2", confirm),
            Err(KeyRevocationRefusal::NotInRing)
        );
    }
}

#[test]
fn key_revocation_of_the_signing_or_own_key_needs_confirm() {
    let ring = ring(&format!(
        r#"{{"kty":"oct","kid":"old","alg":"HS256","k":"{K}","key_ops":["verify"]}},
               {{"kty":"oct","kid":"new","alg":"HS256","k":"{K}","key_ops":["sign","verify"]}},
               {{"kty":"oct","kid":"other","alg":"HS256","k":"{K}","key_ops":["verify"]}}"#
    ));
    assert_eq!(
        check_key_revocation(&ring, Some("old"), "new", false),
        Err(KeyRevocationRefusal::SigningKey)
    );
    assert_eq!(
        check_key_revocation(&ring, Some("old"), "old", false),
        Err(KeyRevocationRefusal::CallersKey)
    );
    assert_eq!(
        check_key_revocation(&ring, Some("new"), "new", false),
        Err(KeyRevocationRefusal::SigningKey)
    );
    assert_eq!(
        check_key_revocation(&ring, Some("old"), "other", false),
        Ok(kid("other"))
    );
    assert_eq!(
        check_key_revocation(&ring, None, "other", false),
        Ok(kid("other"))
    );
    for target in ["new", "old"] {
        assert_eq!(
            check_key_revocation(&ring, Some("old"), target, true),
            Ok(kid(target))
        );
    }
}

#[test]
fn key_revocation_refusals_have_distinct_codes() {
    let codes = [
        KeyRevocationRefusal::NotInRing,
        KeyRevocationRefusal::SigningKey,
        KeyRevocationRefusal::CallersKey,
    ]
    .map(KeyRevocationRefusal::code);
    assert_eq!(
        codes,
        [
            "kid_not_in_ring",
            "signing_key_needs_confirm",
            "own_key_needs_confirm"
        ]
    );
}

#[test]
fn revoke_request_rejects_missing_target() {
    assert_eq!(revoke("{}"), Err(AdminRequestError::MissingTarget));
}

#[test]
fn revoke_request_rejects_multiple_targets() {
    assert_eq!(
        revoke(r#"{"jti":"a","kid":"k"}"#),
        Err(AdminRequestError::MultipleTargets)
    );
    assert_eq!(
        revoke(r#"{"sub":"a","token":"t"}"#),
        Err(AdminRequestError::MultipleTargets)
    );
}

#[test]
fn revoke_request_rejects_before_without_subject() {
    assert_eq!(
        revoke(r#"{"jti":"a","before":1}"#),
        Err(AdminRequestError::BeforeWithoutSubject)
    );
    assert_eq!(
        revoke(r#"{"before":1}"#),
        Err(AdminRequestError::MissingTarget)
    );
}

#[test]
fn revoke_request_rejects_non_integer_before() {
    for body in [
        r#"{"sub":"a","before":1.5}"#,
        r#"{"sub":"a","before":1.0}"#,
        r#"{"sub":"a","before":1e3}"#,
    ] {
        assert_eq!(
            revoke(body),
            Err(AdminRequestError::NonIntegerBefore),
            "{body}"
        );
    }
}

#[test]
fn revoke_request_rejects_negative_before() {
    assert_eq!(
        revoke(r#"{"sub":"a","before":-1}"#),
        Err(AdminRequestError::NegativeBefore)
    );
}

#[test]
fn revoke_request_rejects_before_in_the_future() {
    assert_eq!(
        revoke(&format!(r#"{{"sub":"a","before":{}}}"#, NOW + 1)),
        Err(AdminRequestError::BeforeInFuture {
            before: NOW + 1,
            now: NOW
        })
    );
    assert_eq!(
        revoke(r#"{"sub":"a","before":18446744073709551615}"#),
        Err(AdminRequestError::BeforeInFuture {
            before: i64::MAX,
            now: NOW
        })
    );
}

#[test]
fn admin_request_errors_each_have_their_own_stable_code() {
    let all = [
        AdminRequestError::BodyTooLarge { len: 1, max: 0 },
        AdminRequestError::InvalidJson,
        AdminRequestError::NotAnObject,
        AdminRequestError::UnknownField { field: "x".into() },
        AdminRequestError::DuplicateField { field: "jti" },
        AdminRequestError::WrongType {
            field: "jti",
            expected: "a string",
        },
        AdminRequestError::EmptyField { field: "jti" },
        AdminRequestError::FieldTooLong {
            field: "jti",
            len: 2,
            max: 1,
        },
        AdminRequestError::ControlCharacter { field: "jti" },
        AdminRequestError::ConfirmWithoutKey,
        AdminRequestError::MissingTarget,
        AdminRequestError::MultipleTargets,
        AdminRequestError::BeforeWithoutSubject,
        AdminRequestError::NonIntegerBefore,
        AdminRequestError::NegativeBefore,
        AdminRequestError::BeforeInFuture { before: 2, now: 1 },
        AdminRequestError::UnknownReason,
        AdminRequestError::MissingContentType,
        AdminRequestError::UnsupportedContentType,
        AdminRequestError::InvalidPercentEncoding,
        AdminRequestError::InvalidUtf8,
        AdminRequestError::MissingToken,
    ];
    let refusals = [
        KeyRevocationRefusal::NotInRing,
        KeyRevocationRefusal::SigningKey,
        KeyRevocationRefusal::CallersKey,
    ];
    let mut codes: Vec<&str> = all.iter().map(AdminRequestError::code).collect();
    codes.extend(refusals.map(KeyRevocationRefusal::code));
    for code in &codes {
        assert!(
            !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{code}"
        );
    }
    let distinct: std::collections::HashSet<&str> = codes.iter().copied().collect();
    assert_eq!(distinct.len(), codes.len(), "{codes:?}");
    // Spot checks: the codes are part of the HTTP interface and must not drift.
    assert_eq!(AdminRequestError::InvalidJson.code(), "invalid_json");
    assert_eq!(
        AdminRequestError::MissingToken.code(),
        "missing_token_field"
    );
    assert_eq!(
        AdminRequestError::BeforeInFuture { before: 2, now: 1 }.code(),
        "before_in_future"
    );
}

#[test]
fn admin_errors_never_echo_the_token_or_hostile_field_names() {
    let secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig";
    let bodies = [
        format!(r#"{{"token":"{secret}","jti":"a"}}"#),
        format!(r#"{{"token":"{secret}","token":"{secret}"}}"#),
        format!(r#"{{"token":"{secret}","before":1}}"#),
        format!(r#"{{"{secret}":1}}"#),
        format!(r#"{{"token":"{secret}""#),
    ];
    for body in &bodies {
        let e = revoke(body).unwrap_err();
        assert!(!e.to_string().contains(secret), "{e}");
    }
    assert_eq!(
        AdminRequestError::UnknownField {
            field: secret.into()
        }
        .to_string(),
        "unknown field"
    );
    assert_eq!(
        AdminRequestError::UnknownField {
            field: "reason".into()
        }
        .to_string(),
        "unknown field \"reason\""
    );
    let debug = format!("{:?}", RevokeRequest::Token(secret.into()));
    assert!(!debug.contains(secret), "{debug}");
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

const JSON: Option<&str> = Some("application/json");

#[test]
fn introspect_form_returns_the_token_and_ignores_other_params() {
    assert_eq!(
        parse_introspect_request(b"token=abc.def.ghi&token_type_hint=access_token", FORM),
        Ok("abc.def.ghi".into())
    );
    assert_eq!(
        parse_introspect_request(b"foo=bar&&token=t", FORM),
        Ok("t".into())
    );
}

#[test]
fn introspect_form_percent_decodes_with_plus_as_space() {
    assert_eq!(
        parse_introspect_request(b"token=a+b%2Bc%2fd%C3%A9", FORM),
        Ok("a b+c/dé".into())
    );
    assert_eq!(parse_introspect_request(b"t%6Fken=x", FORM), Ok("x".into()));
}

#[test]
fn introspect_content_type_is_case_insensitive_and_ignores_parameters() {
    assert_eq!(
        parse_introspect_request(
            b"token=t",
            Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")
        ),
        Ok("t".into())
    );
    assert_eq!(
        parse_introspect_request(br#"{"token":"t"}"#, Some("application/json;charset=utf-8")),
        Ok("t".into())
    );
}

#[test]
fn introspect_form_rejects_bad_percent_encoding() {
    for body in [
        &b"token=%zz"[..],
        b"token=abc%",
        b"token=%4",
        b"x=%g1&token=t",
    ] {
        assert_eq!(
            parse_introspect_request(body, FORM),
            Err(AdminRequestError::InvalidPercentEncoding)
        );
    }
}

#[test]
fn introspect_form_rejects_non_utf8_token() {
    assert_eq!(
        parse_introspect_request(b"token=%FF", FORM),
        Err(AdminRequestError::InvalidUtf8)
    );
}

#[test]
fn introspect_form_rejects_missing_empty_and_repeated_token() {
    assert_eq!(
        parse_introspect_request(b"token_type_hint=x", FORM),
        Err(AdminRequestError::MissingToken)
    );
    assert_eq!(
        parse_introspect_request(b"", FORM),
        Err(AdminRequestError::MissingToken)
    );
    assert_eq!(
        parse_introspect_request(b"token=", FORM),
        Err(AdminRequestError::EmptyField { field: "token" })
    );
    assert_eq!(
        parse_introspect_request(b"token", FORM),
        Err(AdminRequestError::EmptyField { field: "token" })
    );
    assert_eq!(
        parse_introspect_request(b"token=a&token=b", FORM),
        Err(AdminRequestError::DuplicateField { field: "token" })
    );
}

#[test]
fn introspect_json_returns_the_token() {
    assert_eq!(
        parse_introspect_request(br#"{"token":"t"}"#, JSON),
        Ok("t".into())
    );
    assert_eq!(
        parse_introspect_request(br#"{"token_type_hint":"access_token","token":"t"}"#, JSON),
        Ok("t".into())
    );
}

#[test]
fn introspect_json_rejects_bad_bodies() {
    for (body, expected) in [
        (
            &br#"{"token":"t","x":1}"#[..],
            AdminRequestError::UnknownField { field: "x".into() },
        ),
        (
            br#"{"token":1}"#,
            AdminRequestError::WrongType {
                field: "token",
                expected: "a string",
            },
        ),
        (
            br#"{"token":""}"#,
            AdminRequestError::EmptyField { field: "token" },
        ),
        (
            br#"{"token":"a","token":"b"}"#,
            AdminRequestError::DuplicateField { field: "token" },
        ),
        (br#"{}"#, AdminRequestError::MissingToken),
        (br#"["t"]"#, AdminRequestError::NotAnObject),
        (b"token=t", AdminRequestError::InvalidJson),
    ] {
        assert_eq!(parse_introspect_request(body, JSON), Err(expected));
    }
}

#[test]
fn introspect_rejects_missing_or_unsupported_content_type() {
    assert_eq!(
        parse_introspect_request(b"token=t", None),
        Err(AdminRequestError::MissingContentType)
    );
    for ct in ["text/plain", "multipart/form-data", "", "application/jsonx"] {
        assert_eq!(
            parse_introspect_request(b"token=t", Some(ct)),
            Err(AdminRequestError::UnsupportedContentType),
            "{ct}"
        );
    }
}

#[test]
fn introspect_rejects_body_over_the_size_limit() {
    let body = vec![b'a'; MAX_ADMIN_BODY_LEN + 1];
    assert_eq!(
        parse_introspect_request(&body, FORM),
        Err(AdminRequestError::BodyTooLarge {
            len: MAX_ADMIN_BODY_LEN + 1,
            max: MAX_ADMIN_BODY_LEN
        })
    );
}

proptest! {
    #[test]
    fn admin_parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_revoke_request(&body, NOW);
        let _ = parse_introspect_request(&body, FORM);
        let _ = parse_introspect_request(&body, JSON);
    }
}
