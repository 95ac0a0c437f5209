//! Every case of the public edge-token vectors (`tests/vectors/edge-tokens/`), natively:
//! Cloudflare's `is_timed_hmac_valid_v0` and Akamai EdgeAuth 2.0. Signing is checked too:
//! re-signing a valid case's inputs gives the vector's token byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use portcullis::routes::{AkamaiMode, AkamaiOptions, CloudflareOptions, TokenLocation};
use portcullis::signed::akamai::{self, AkamaiAlgorithm, AkamaiFields, AkamaiKeys};
use portcullis::signed::{cloudflare, SignedUrlError};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = common::crate_vectors().join("edge-tokens").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap().clone();
    assert!(
        cases.len() >= 8,
        "{name}: expected every case, got {}",
        cases.len()
    );
    cases
}

#[test]
fn cloudflare_timed_hmac_v0_vectors() {
    let mut valid = 0;
    for case in load("cloudflare_timed_hmac_v0.json") {
        let name = case["name"].as_str().unwrap();
        let options = CloudflareOptions {
            param: "verify".into(),
            ttl_s: case["ttl"].as_u64().unwrap(),
            urlsafe: case["flags"].as_str().unwrap().contains('s'),
        };
        assert_eq!(
            case["separator_len"].as_u64().unwrap() as usize,
            options.param.len() + 2,
            "{name}: separator length"
        );
        let key = case["key"].as_str().unwrap().as_bytes();
        let uri = case["message_mac"].as_str().unwrap();
        let now = case["now"].as_i64().unwrap();
        let result = cloudflare::verify(key, uri, &options, now);
        assert_eq!(
            result.is_ok(),
            case["valid"].as_bool().unwrap(),
            "{name}: {result:?}"
        );
        if let Ok(link) = result {
            valid += 1;
            let at = uri.find("verify=").unwrap() - 1;
            assert_eq!(
                cloudflare::sign(key, &uri[..at], &options, link.timestamp),
                uri,
                "{name}: re-signed"
            );
        } else if name.contains("expired") {
            assert!(
                matches!(result, Err(SignedUrlError::Expired { .. })),
                "{name}"
            );
        } else {
            assert_eq!(result, Err(SignedUrlError::Tampered), "{name}");
        }
    }
    assert!(valid >= 4);
}

/// One Akamai vector case as a gate would see it: the key, the token, the options, and the
/// path and client address of the request carrying it.
struct AkamaiCase<'c> {
    name: &'c str,
    key: Vec<u8>,
    token: &'c str,
    options: AkamaiOptions,
    salt: Option<&'c str>,
    /// The URL a URL-mode token was signed for (`None`: ACL mode).
    url: Option<&'c str>,
}

impl<'c> AkamaiCase<'c> {
    fn of(case: &'c Value) -> AkamaiCase<'c> {
        let url = case["url"].as_str();
        let delimiter = |field: &str| case[field].as_str().unwrap().chars().next().unwrap();
        AkamaiCase {
            name: case["name"].as_str().unwrap(),
            key: akamai::decode_key(case["key_hex"].as_str().unwrap()).unwrap(),
            token: case["token"].as_str().unwrap(),
            options: AkamaiOptions {
                mode: if url.is_none() {
                    AkamaiMode::Acl
                } else {
                    AkamaiMode::Url
                },
                token_name: "__token__".into(),
                location: TokenLocation::Query,
                field_delimiter: delimiter("field_delimiter"),
                acl_delimiter: '!',
            },
            salt: case["salt"].as_str(),
            url,
        }
    }

    /// Verifies the token at the case's `now` with `algorithm` opted in, for the signed URL's
    /// path (ACL mode: a path each ACL in the vectors allows) and the address it names.
    fn verify(&self, algorithm: AkamaiAlgorithm, now: i64) -> Result<AkamaiFields, SignedUrlError> {
        let keys = AkamaiKeys {
            algorithm,
            key: &self.key,
            transition: None,
            salt: self.salt,
        };
        let path = self.url.unwrap_or("/path1");
        let ip = self
            .token
            .split(self.options.field_delimiter)
            .find_map(|f| f.strip_prefix("ip="));
        akamai::verify(keys, &self.options, self.token, path, ip, now)
    }

    /// The token `fields` give signed with `algorithm`.
    fn sign(&self, algorithm: AkamaiAlgorithm, fields: &AkamaiFields) -> String {
        akamai::sign(
            algorithm,
            &self.key,
            &self.options,
            fields,
            self.url,
            self.salt,
        )
    }
}

#[test]
fn akamai_edgeauth2_vectors() {
    let mut valid = 0;
    for case in load("akamai_edgeauth2.json") {
        let c = AkamaiCase::of(&case);
        let name = c.name;
        assert_eq!(case["algorithm"], "sha256", "{name}");
        let result = c.verify(AkamaiAlgorithm::Sha256, case["now"].as_i64().unwrap());
        assert_eq!(
            result.is_ok(),
            case["valid"].as_bool().unwrap(),
            "{name}: {result:?}"
        );
        match (name, result) {
            (_, Ok(fields)) => {
                valid += 1;
                assert_eq!(c.sign(AkamaiAlgorithm::Sha256, &fields), c.token, "{name}");
            }
            ("expired", Err(e)) => assert!(matches!(e, SignedUrlError::Expired { .. })),
            ("not-yet-valid", Err(e)) => assert!(matches!(e, SignedUrlError::NotYetValid { .. })),
            ("tampered-acl", Err(e)) => assert_eq!(e, SignedUrlError::Tampered),
            (name, Err(e)) => panic!("{name}: unexpected {e:?}"),
        }
    }
    assert!(valid >= 5);
}

/// The opt-in legacy algorithms: tokens minted by Akamai's reference generator under SHA-1 and
/// MD5 (`akamai_edgeauth2_weak.json`, see `gen_akamai_weak.py`), each checked by a gate
/// configured for `verify_algorithm`. The opt-in adds an algorithm: SHA-256 tokens still pass,
/// a token of the other legacy algorithm (or any legacy one under plain SHA-256) fails.
#[test]
fn akamai_edgeauth2_sha1_and_md5_vectors() {
    let mut valid = [0; 3];
    for case in load("akamai_edgeauth2_weak.json") {
        let c = AkamaiCase::of(&case);
        let name = c.name;
        let algorithm = |field: &str| AkamaiAlgorithm::parse(case[field].as_str().unwrap());
        let (signed_by, verify_as) = (
            algorithm("algorithm").unwrap(),
            algorithm("verify_algorithm").unwrap(),
        );
        let result = c.verify(verify_as, case["now"].as_i64().unwrap());
        match (case["expect"].as_str().unwrap(), result) {
            ("ok", Ok(fields)) => {
                valid[match signed_by {
                    AkamaiAlgorithm::Sha1 => 0,
                    AkamaiAlgorithm::Md5 => 1,
                    AkamaiAlgorithm::Sha256 => 2,
                }] += 1;
                assert_eq!(c.sign(signed_by, &fields), c.token, "{name}: re-signed");
            }
            ("expired", Err(SignedUrlError::Expired { .. })) => {}
            ("tampered", Err(SignedUrlError::Tampered)) => {}
            (expect, result) => panic!("{name}: expected {expect}, got {result:?}"),
        }
    }
    assert_eq!(
        valid,
        [3, 3, 2],
        "valid sha1, md5, and sha256-under-opt-in cases"
    );
}

#[test]
fn akamai_transition_key_ip_acl_and_url_binding() {
    let key = vec![7u8; 32];
    let old = vec![9u8; 32];
    let options = AkamaiOptions {
        mode: AkamaiMode::Acl,
        token_name: "__token__".into(),
        location: TokenLocation::Query,
        field_delimiter: '~',
        acl_delimiter: '!',
    };
    let fields = AkamaiFields {
        ip: Some("203.0.113.9".into()),
        exp: 2000,
        acl: Some("/vod/*!/live/?/index.m3u8".into()),
        ..AkamaiFields::default()
    };
    let by_old = akamai::sign(AkamaiAlgorithm::Sha256, &old, &options, &fields, None, None);
    let keys = |transition| AkamaiKeys {
        algorithm: AkamaiAlgorithm::Sha256,
        key: &key,
        transition,
        salt: None,
    };
    let verify = |keys, path, ip| akamai::verify(keys, &options, &by_old, path, ip, 1000);
    assert_eq!(
        verify(keys(None), "/vod/a", Some("203.0.113.9")),
        Err(SignedUrlError::Tampered)
    );
    assert!(verify(keys(Some(&old)), "/vod/a/b.ts", Some("203.0.113.9")).is_ok());
    assert!(verify(keys(Some(&old)), "/live/1/index.m3u8", Some("203.0.113.9")).is_ok());
    assert_eq!(
        verify(keys(Some(&old)), "/live/12/index.m3u8", Some("203.0.113.9")),
        Err(SignedUrlError::WrongPath)
    );
    assert_eq!(
        verify(keys(Some(&old)), "/vod/a", Some("198.51.100.1")),
        Err(SignedUrlError::WrongClient)
    );
    // URL mode binds the path through the MAC: another path is a mismatch.
    let url_options = AkamaiOptions {
        mode: AkamaiMode::Url,
        ..options.clone()
    };
    let plain = AkamaiFields {
        exp: 2000,
        ..AkamaiFields::default()
    };
    let token = akamai::sign(
        AkamaiAlgorithm::Sha256,
        &key,
        &url_options,
        &plain,
        Some("/a.mp4"),
        Some("s"),
    );
    let check = |path, salt| {
        let keys = AkamaiKeys {
            algorithm: AkamaiAlgorithm::Sha256,
            key: &key,
            transition: None,
            salt,
        };
        akamai::verify(keys, &url_options, &token, path, None, 1000)
    };
    assert!(check("/a.mp4", Some("s")).is_ok());
    assert_eq!(check("/b.mp4", Some("s")), Err(SignedUrlError::Tampered));
    assert_eq!(check("/a.mp4", None), Err(SignedUrlError::Tampered));
}
