//! Portcullis signed URLs and signed cookies through the gate's decision
//! (`http::signed::verify_signed`): a link opens its path (or prefix) for its method until
//! it expires, and every other request gets its own refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::NOW;
use portcullis::config::{self, GateConfig};
use portcullis::http::signed::{
    check_signed_revocation, cookie_redirect, verify_signed, SignedRequest,
};
use portcullis::http::{Denial, Revocations};
use portcullis::jwt::keyring::{Alg, Key};
use portcullis::revocation::{Revocation, RevocationEntry, RevocationSnapshot};
use portcullis::routes::{normalize_path, Access, SignedFormat};
use portcullis::signed::portcullis::{sign, LinkFields, PathScope};
use portcullis::signed::SignedUrlError;
use serde_json::{json, Value};

fn gate() -> (GateConfig, Key, Key) {
    let a = common::key(Some("a"), Alg::HS256, 1);
    let b = common::key(Some("b"), Alg::HS512, 2);
    let origin = common::key(Some("origin"), Alg::HS256, 3);
    let settings = json!({
        "PORTCULLIS_KEYS": json!({"keys": [a.to_jwk(), b.to_jwk()]}).to_string(),
        "PORTCULLIS_ORIGIN_KEY": origin.to_jwk().to_string(),
        "PORTCULLIS_ROUTES": [{ "match": "GET,HEAD,PUT /media/**", "auth": "signed_url" }],
        "PORTCULLIS_MAX_TTL_S": "3600",
    });
    let config = config::load(|name| settings.get(name).cloned().filter(|v: &Value| !v.is_null()))
        .expect("config loads");
    (config, a, b)
}

fn fields(method: &str, scope: PathScope, exp: i64) -> LinkFields {
    LinkFields {
        method: method.into(),
        scope,
        exp,
        cookie: false,
    }
}

fn exact(p: &str) -> PathScope {
    PathScope::Exact(p.into())
}

fn check(
    config: &GateConfig,
    method: &str,
    path: &str,
    query: Option<&str>,
    cookie: Option<&str>,
    now: i64,
) -> Result<portcullis::http::signed::SignedGrant, Denial> {
    let normalized = normalize_path(path).unwrap();
    let request = SignedRequest {
        method,
        raw_path: path,
        query,
        path: &normalized,
        cookie,
        header: None,
        client_ip: None,
    };
    verify_signed(config, &SignedFormat::Portcullis, &request, now)
}

fn refused(result: Result<portcullis::http::signed::SignedGrant, Denial>) -> SignedUrlError {
    match result {
        Err(Denial::SignedUrl(e)) => {
            let response = Denial::SignedUrl(e.clone()).response("r");
            assert_eq!(response.status, 403);
            assert!(response
                .body
                .contains(&format!("urn:portcullis:problem:{}", e.code())));
            assert_eq!(
                response.header("content-type"),
                Some("application/problem+json")
            );
            e
        }
        other => panic!("expected a signed-link refusal, got {other:?}"),
    }
}

#[test]
fn the_rule_reads_as_a_signed_rule() {
    let (config, ..) = gate();
    assert_eq!(
        config.routes.rules()[0].access(),
        &Access::Signed(SignedFormat::Portcullis)
    );
}

#[test]
fn a_link_opens_its_path_for_its_method_until_it_expires() {
    let (config, a, b) = gate();
    for key in [&a, &b] {
        let q = sign(
            key,
            &fields("GET", exact("/media/a.mp4"), NOW + 600),
            Some("w=640&h=480"),
        );
        let grant = check(&config, "GET", "/media/a.mp4", Some(&q), None, NOW).unwrap();
        assert_eq!(grant.forward_query.as_deref(), Some("w=640&h=480"));
        assert_eq!(grant.key_id.as_deref(), key.kid());
        assert_eq!(grant.expires, NOW + 600);
        assert!(
            check(&config, "HEAD", "/media/a.mp4", Some(&q), None, NOW).is_ok(),
            "GET allows HEAD"
        );
        // Another spelling of the same path is the same path.
        assert!(check(&config, "GET", "/media/./x/../a.mp4", Some(&q), None, NOW).is_ok());
        // Reordered query: still the same link.
        let reordered = q.replacen("w=640&h=480", "h=480&w=640", 1);
        assert!(check(&config, "GET", "/media/a.mp4", Some(&reordered), None, NOW).is_ok());
        assert!(check(&config, "GET", "/media/a.mp4", Some(&q), None, NOW + 599).is_ok());
        assert!(matches!(
            refused(check(
                &config,
                "GET",
                "/media/a.mp4",
                Some(&q),
                None,
                NOW + 600
            )),
            SignedUrlError::Expired { .. }
        ));
    }
}

#[test]
fn every_refusal_has_its_own_reason() {
    let (config, a, _) = gate();
    let q = sign(
        &a,
        &fields("GET", exact("/media/a.mp4"), NOW + 600),
        Some("w=640"),
    );
    let go =
        |method, path, query: &str| refused(check(&config, method, path, Some(query), None, NOW));
    assert!(matches!(
        go("PUT", "/media/a.mp4", &q),
        SignedUrlError::WrongMethod { .. }
    ));
    assert_eq!(go("GET", "/media/b.mp4", &q), SignedUrlError::WrongPath);
    assert_eq!(
        go("GET", "/media/a.mp4", &q.replace("w=640", "w=641")),
        SignedUrlError::Tampered
    );
    assert_eq!(
        go("GET", "/media/a.mp4", &format!("{q}&extra=1")),
        SignedUrlError::Tampered
    );
    assert_eq!(
        go("GET", "/media/a.mp4", &q.replace("pc_exp=", "pc_exp=1")),
        SignedUrlError::Tampered
    );
    assert_eq!(
        go("GET", "/media/a.mp4", &q.replace("pc_kid=a", "pc_kid=zz")),
        SignedUrlError::UnknownKeyId
    );
    assert_eq!(
        go("GET", "/media/a.mp4", &q.replace("pc_kid=a", "pc_kid=b")),
        SignedUrlError::Tampered
    );
    assert!(matches!(
        go("GET", "/media/a.mp4", &format!("{q}&pc_exp=1")),
        SignedUrlError::Malformed { .. }
    ));
    assert!(matches!(
        go("GET", "/media/a.mp4", "pc_sig=x"),
        SignedUrlError::Malformed { .. }
    ));
    assert_eq!(go("GET", "/media/a.mp4", "w=640"), SignedUrlError::Missing);
    assert_eq!(
        refused(check(&config, "GET", "/media/a.mp4", None, None, NOW)),
        SignedUrlError::Missing
    );
    let long = sign(&a, &fields("GET", exact("/media/a.mp4"), NOW + 3601), None);
    assert!(matches!(
        go("GET", "/media/a.mp4", &long),
        SignedUrlError::LifetimeTooLong { .. }
    ));
    // A revoked kid: the revocation list decides after the signature.
    let grant = check(&config, "GET", "/media/a.mp4", Some(&q), None, NOW).unwrap();
    let revoked = RevocationSnapshot::from_entries(
        [RevocationEntry {
            revocation: Revocation::Key { kid: "a".into() },
            revoked_at: NOW,
            expires_at: None,
            reason: Default::default(),
        }],
        NOW,
    );
    assert_eq!(
        check_signed_revocation(&grant, false, Revocations::Current(&revoked)),
        Err(Denial::SignedUrl(SignedUrlError::KeyRevoked))
    );
    let clean = RevocationSnapshot::empty(NOW);
    assert_eq!(
        check_signed_revocation(&grant, false, Revocations::Current(&clean)),
        Ok(true)
    );
    assert!(matches!(
        check_signed_revocation(&grant, false, Revocations::Unavailable { retry_after_s: 5 }),
        Err(Denial::RevocationUnavailable { .. })
    ));
    assert_eq!(
        check_signed_revocation(&grant, true, Revocations::Unavailable { retry_after_s: 5 }),
        Ok(false)
    );
}

#[test]
fn a_prefix_link_opens_every_path_under_it_and_nothing_else() {
    let (config, a, _) = gate();
    let q = sign(
        &a,
        &fields("GET", PathScope::Prefix("/media/show/".into()), NOW + 60),
        None,
    );
    for path in [
        "/media/show/",
        "/media/show/index.m3u8",
        "/media/show/1/seg.ts",
    ] {
        assert!(
            check(&config, "GET", path, Some(&q), None, NOW).is_ok(),
            "{path}"
        );
    }
    for path in [
        "/media/show",
        "/media/showx/a",
        "/media/show/../other/a",
        "/media/other/a",
    ] {
        assert_eq!(
            refused(check(&config, "GET", path, Some(&q), None, NOW)),
            SignedUrlError::WrongPath,
            "{path}"
        );
    }
}

#[test]
fn a_cookie_link_sets_a_prefix_cookie_that_opens_the_prefix_only() {
    let (config, a, _) = gate();
    let link_fields = LinkFields {
        cookie: true,
        ..fields("GET", PathScope::Prefix("/media/show/".into()), NOW + 300)
    };
    let q = sign(&a, &link_fields, None);
    let grant = check(
        &config,
        "GET",
        "/media/show/index.m3u8",
        Some(&q),
        None,
        NOW,
    )
    .unwrap();
    let path = normalize_path("/media/show/index.m3u8").unwrap();
    let redirect = cookie_redirect(&grant, &path).expect("a cookie link redirects");
    assert_eq!(redirect.status, 303);
    assert_eq!(redirect.header("location"), Some("/media/show/index.m3u8"));
    let set = redirect.header("set-cookie").unwrap();
    for attribute in [
        "Path=/media/show/",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Max-Age=300",
    ] {
        assert!(set.contains(attribute), "{set}");
    }
    let value = set.split(';').next().unwrap();
    let cookie = format!("theme=dark; {value}");
    let by_cookie = |method: &str, path: &str, cookie: &str, now: i64| {
        check(&config, method, path, None, Some(cookie), now)
    };
    let ok = by_cookie("GET", "/media/show/seg/1.ts", &cookie, NOW + 10).unwrap();
    assert_eq!(ok.strip_cookie.as_deref(), Some("pc_signed"));
    assert!(ok.set_cookie.is_none());
    assert_eq!(
        refused(by_cookie("GET", "/media/other/1.ts", &cookie, NOW)),
        SignedUrlError::WrongPath
    );
    assert!(matches!(
        refused(by_cookie("PUT", "/media/show/1.ts", &cookie, NOW)),
        SignedUrlError::WrongMethod { .. }
    ));
    assert!(matches!(
        refused(by_cookie("GET", "/media/show/1.ts", &cookie, NOW + 300)),
        SignedUrlError::Expired { .. }
    ));
    // Widening the method or the prefix breaks the MAC.
    let put = cookie.replace(".GET.", ".PUT.");
    assert_ne!(put, cookie);
    assert_eq!(
        refused(by_cookie("PUT", "/media/show/1.ts", &put, NOW)),
        SignedUrlError::Tampered
    );
    let wider = cookie.replace(".L21lZGlhL3Nob3cv.", ".L21lZGlhLw.");
    assert_ne!(wider, cookie);
    assert_eq!(
        refused(by_cookie("GET", "/media/other/1.ts", &wider, NOW)),
        SignedUrlError::Tampered
    );
    // A cookie link may carry no other query parameter (the cookie could not sign it).
    let with_query = sign(&a, &link_fields, Some("x=1"));
    assert!(matches!(
        refused(check(
            &config,
            "GET",
            "/media/show/a",
            Some(&with_query),
            None,
            NOW
        )),
        SignedUrlError::Malformed { .. }
    ));
}

#[test]
fn refusals_show_clients_no_clock_and_the_audit_keeps_it() {
    let e = Denial::SignedUrl(SignedUrlError::Expired {
        exp: NOW,
        now: NOW + 5,
    });
    let response = e.response("r");
    assert!(
        !response.body.contains(&NOW.to_string()),
        "{}",
        response.body
    );
    assert!(e.audit_detail().unwrap().contains(&(NOW + 5).to_string()));
    assert_eq!(response.header("www-authenticate"), None);
}
