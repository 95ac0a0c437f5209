//! The configuration loader's tests.

use super::*;
use crate::codec::json::JsonProblem;
use crate::jwt::error::KeyringError;
use crate::jwt::keyring::Alg;
use crate::routes::RouteConfigError;
use crate::signed::akamai::AkamaiAlgorithm;
use serde_json::json;
use serde_json::Value;
use std::collections::HashMap;

fn jwk(kid: &str, byte: u8) -> Value {
    json!({"kty":"oct","kid":kid,"alg":"HS256","k":crate::codec::b64::encode([byte; 32])})
}

fn base() -> HashMap<&'static str, Value> {
    HashMap::from([
        (
            names::KEYS,
            Value::String(json!({"keys":[jwk("a", 1)]}).to_string()),
        ),
        (
            names::ORIGIN_KEY,
            Value::String(jwk("origin", 2).to_string()),
        ),
        (
            names::ROUTES,
            json!([{"match":"GET /health","public":true}]),
        ),
    ])
}

fn load_map(m: &HashMap<&'static str, Value>) -> Result<GateConfig, ConfigError> {
    load(|name| m.get(name).cloned())
}

#[test]
fn akamai_algorithm_defaults_to_sha256_and_opts_into_sha1_or_md5() {
    assert_eq!(
        load_map(&base()).unwrap().edge.akamai_algorithm,
        AkamaiAlgorithm::Sha256
    );
    for (text, algorithm) in [
        ("sha1", AkamaiAlgorithm::Sha1),
        ("md5", AkamaiAlgorithm::Md5),
    ] {
        let mut m = base();
        m.insert(names::AKAMAI_ALGORITHM, json!(text));
        assert_eq!(load_map(&m).unwrap().edge.akamai_algorithm, algorithm);
    }
    let mut m = base();
    m.insert(names::AKAMAI_ALGORITHM, json!("sha512"));
    assert_eq!(load_map(&m).unwrap_err(), ConfigError::AkamaiAlgorithm);
}

#[test]
fn loads_with_defaults() {
    let c = load_map(&base()).unwrap();
    assert_eq!(c.verify.max_ttl, Some(defaults::MAX_TTL_S));
    assert_eq!(c.admin_prefix, "/_portcullis");
    assert_eq!(c.origin_url, None);
}

#[test]
fn numbers_may_be_strings_or_numbers() {
    let mut m = base();
    m.insert(names::LEEWAY_S, json!("5"));
    m.insert(names::MAX_TTL_S, json!(600));
    let c = load_map(&m).unwrap();
    assert_eq!((c.verify.leeway, c.verify.max_ttl), (5, Some(600)));
    m.insert(names::LEEWAY_S, json!("-1"));
    assert_eq!(load_map(&m).unwrap_err().setting(), names::LEEWAY_S);
}

#[test]
fn errors_name_the_setting_never_the_value() {
    let weak =
        json!({"keys":[{"kty":"oct","kid":"w","alg":"HS256","k":"c2VjcmV0LXZhbHVl"}]}).to_string();
    let mut m = base();
    m.insert(names::KEYS, Value::String(weak));
    let err = load_map(&m).unwrap_err();
    assert_eq!(err.setting(), names::KEYS);
    assert!(!err.to_string().contains("c2VjcmV0LXZhbHVl"), "{err}");

    for missing in [names::KEYS, names::ORIGIN_KEY, names::ROUTES] {
        let mut m = base();
        m.remove(missing);
        assert_eq!(load_map(&m).unwrap_err(), ConfigError::Missing(missing));
    }
    let mut m = base();
    m.insert(names::ORIGIN_URL, json!("ftp://x"));
    assert_eq!(load_map(&m).unwrap_err().setting(), names::ORIGIN_URL);
    let mut m = base();
    m.insert(names::COOKIE, json!("a b"));
    assert_eq!(load_map(&m).unwrap_err().setting(), names::COOKIE);
    let mut m = base();
    m.insert(names::ROUTES, json!([{"match":"GET /x","scope":["typo"]}]));
    assert_eq!(load_map(&m).unwrap_err().setting(), names::ROUTES);
}

#[test]
fn messages_name_the_setting_once_and_never_debug_text() {
    let cases = [
        (
            names::ROUTES,
            json!([{"match":"GET /x","scope":["a"]}]),
            "PORTCULLIS_ROUTES: rule 0: unknown field `scope`; did you mean `scopes`?",
        ),
        (
            names::ROUTES,
            json!("[{\"match\": }]"),
            "PORTCULLIS_ROUTES: invalid JSON at line 1, column 12",
        ),
        (
            names::KEYS,
            json!("{\"keys\": [], \"keys\": []}"),
            "PORTCULLIS_KEYS: key set has a duplicate member name",
        ),
        (
            names::KEYS,
            json!("{\"keys\": "),
            "PORTCULLIS_KEYS: key set is not valid JSON",
        ),
        (
            names::LEEWAY_S,
            json!("301"),
            "PORTCULLIS_LEEWAY_S: must be a whole number from 0 to 300, not 301",
        ),
        (
            names::LEEWAY_S,
            json!("soon"),
            "PORTCULLIS_LEEWAY_S: must be a whole number from 0 to 300",
        ),
        (
            names::REVOCATION_MAX_AGE_S,
            json!(1),
            "PORTCULLIS_REVOCATION_MAX_AGE_S: must be at least \
                 PORTCULLIS_REVOCATION_REFRESH_S (1 < 2)",
        ),
        (
            names::AUDIENCE,
            json!(7),
            "PORTCULLIS_AUDIENCE: must be a string",
        ),
    ];
    for (setting, value, message) in cases {
        let mut m = base();
        m.insert(setting, value);
        let err = load_map(&m).unwrap_err();
        assert_eq!(err.setting(), setting);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn a_duplicate_member_in_a_json_string_setting_is_refused() {
    // PORTCULLIS_ROUTES as JSON text (a .dev.vars line, a secret): serde_json alone would
    // keep the last `public` and open the route.
    let mut m = base();
    m.insert(
        names::ROUTES,
        json!(r#"[{"match": "GET /x", "public": false, "public": true}]"#),
    );
    let err = load_map(&m).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Routes(RouteConfigError::Json(JsonProblem::DuplicateMember))
    );
    assert_eq!(
        err.to_string(),
        "PORTCULLIS_ROUTES: JSON text has a duplicate member name"
    );
    let mut m = base();
    let origin = r#"{"kty":"oct","alg":"HS256","alg":"HS256","k":"x"}"#;
    m.insert(names::ORIGIN_KEY, json!(origin));
    assert_eq!(
        load_map(&m).unwrap_err(),
        ConfigError::OriginKey(KeyringError::Json(JsonProblem::DuplicateMember))
    );
}

#[test]
fn leak_reporter_keys_are_optional_and_checked_when_set() {
    assert!(load_map(&base()).unwrap().leak_reporters.is_none());
    let mut m = base();
    let pem = crate::leaks::partner::tests_support_pem();
    m.insert(
        names::LEAK_REPORTER_KEYS,
        Value::String(
            json!({"public_keys":[{"key_identifier":"k","key":pem,"is_current":true}]}).to_string(),
        ),
    );
    let keys = load_map(&m).unwrap().leak_reporters.unwrap();
    assert_eq!(keys.keys()[0].id, "k");
    m.insert(names::LEAK_REPORTER_KEYS, json!({"public_keys": []}));
    let err = load_map(&m).unwrap_err();
    assert_eq!(err.setting(), names::LEAK_REPORTER_KEYS);
    assert_eq!(
        err.to_string(),
        "PORTCULLIS_LEAK_REPORTER_KEYS: public_keys must list 1 to 32 keys, not 0"
    );
}

#[test]
fn errors_keep_their_source() {
    use std::error::Error as _;
    let mut m = base();
    m.insert(names::ROUTES, json!([{"match":"GET /.."}]));
    let err = load_map(&m).unwrap_err();
    let route = err.source().expect("the route error");
    assert_eq!(
        route.to_string(),
        "rule 0: match `GET /..`: `..` segment climbs above the root"
    );
    assert!(route.source().is_some(), "and the path error under it");

    let mut m = base();
    m.insert(names::KEYS, json!({"keys": []}));
    let err = load_map(&m).unwrap_err();
    assert_eq!(err, ConfigError::Keys(KeyringError::Empty));
    assert_eq!(
        err.source().map(ToString::to_string),
        Some(KeyringError::Empty.to_string())
    );
    assert!(ConfigError::Missing(names::KEYS).source().is_none());
}

#[test]
fn a_misspelt_setting_is_refused_and_named_with_a_suggestion() {
    let mut m = base();
    m.insert("PORTCULIS_ISSUER", json!("https://issuer.example"));
    let err = load_checked(m.keys().copied(), |name| m.get(name).cloned()).unwrap_err();
    assert_eq!(err.setting(), "PORTCULIS_ISSUER");
    assert_eq!(
        err.to_string(),
        "PORTCULIS_ISSUER: is not a setting the gate knows; did you mean PORTCULLIS_ISSUER?"
    );
    // Without the typo the same settings load.
    m.remove("PORTCULIS_ISSUER");
    m.insert(names::ISSUER, json!("https://issuer.example"));
    assert!(load_checked(m.keys().copied(), |name| m.get(name).cloned()).is_ok());
}

#[test]
fn origin_key_must_be_hs256() {
    let mut m = base();
    let k = json!({"kty":"oct","alg":"HS512","k":crate::codec::b64::encode([3u8; 64])});
    m.insert(names::ORIGIN_KEY, Value::String(k.to_string()));
    let err = load_map(&m).unwrap_err();
    assert_eq!(err.setting(), names::ORIGIN_KEY);
    assert_eq!(
        err,
        ConfigError::OriginKeyNotHs256 {
            alg: Alg::HS512,
            kid: None
        }
    );
}

fn origin_ring(keys: &[Value]) -> Value {
    json!({ "keys": keys })
}

fn with_ops(mut key: Value, ops: &[&str]) -> Value {
    key["key_ops"] = json!(ops);
    key
}

#[test]
fn a_single_origin_jwk_is_a_one_key_ring_that_signs() {
    let c = load_map(&base()).unwrap();
    assert_eq!(c.origin_keys.keys().len(), 1);
    assert_eq!(c.origin_key.kid(), Some("origin"));
}

#[test]
fn an_origin_key_set_signs_with_its_signing_key_and_keeps_the_others() {
    for as_text in [true, false] {
        let mut m = base();
        let ring = origin_ring(&[
            with_ops(jwk("origin-1", 2), &["sign", "verify"]),
            with_ops(jwk("origin-2", 4), &["verify"]),
        ]);
        let setting = if as_text {
            Value::String(ring.to_string())
        } else {
            ring
        };
        m.insert(names::ORIGIN_KEY, setting);
        let c = load_map(&m).unwrap();
        assert_eq!(c.origin_key.kid(), Some("origin-1"));
        let kids: Vec<_> = c.origin_keys.keys().iter().map(|k| k.kid()).collect();
        assert_eq!(kids, [Some("origin-1"), Some("origin-2")]);
    }
}

#[test]
fn an_origin_ring_without_a_signing_key_is_refused() {
    let mut m = base();
    let ring = origin_ring(&[
        with_ops(jwk("origin-1", 2), &["verify"]),
        with_ops(jwk("origin-2", 4), &["verify"]),
    ]);
    m.insert(names::ORIGIN_KEY, Value::String(ring.to_string()));
    let err = load_map(&m).unwrap_err();
    assert_eq!(err, ConfigError::OriginKeyNoSigner);
    assert_eq!(err.setting(), names::ORIGIN_KEY);
    assert!(err.to_string().contains("keys promote"), "{err}");
}

#[test]
fn every_key_of_an_origin_ring_must_be_hs256_and_the_error_names_its_kid() {
    let mut m = base();
    let strong = json!({"kty":"oct","kid":"big","alg":"HS512",
            "k":crate::codec::b64::encode([3u8; 64]),"key_ops":["verify"]});
    let ring = origin_ring(&[with_ops(jwk("origin-1", 2), &["sign", "verify"]), strong]);
    m.insert(names::ORIGIN_KEY, Value::String(ring.to_string()));
    let err = load_map(&m).unwrap_err();
    assert_eq!(
        err,
        ConfigError::OriginKeyNotHs256 {
            alg: Alg::HS512,
            kid: Some("big".into())
        }
    );
    assert!(err.to_string().contains("\"big\""), "{err}");
}

#[test]
fn an_origin_ring_with_two_keys_needs_kids_and_reports_the_ring_error() {
    let mut m = base();
    let mut anonymous = jwk("x", 4);
    anonymous.as_object_mut().unwrap().remove("kid");
    let ring = origin_ring(&[jwk("origin-1", 2), anonymous]);
    m.insert(names::ORIGIN_KEY, Value::String(ring.to_string()));
    let err = load_map(&m).unwrap_err();
    assert_eq!(
        err,
        ConfigError::OriginKey(KeyringError::MissingKeyId { index: 1 })
    );
}
