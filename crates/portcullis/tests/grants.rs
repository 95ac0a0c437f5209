//! Grants and API keys end to end in the core: what a grant object and the key store answer
//! (the Durable Objects only store what these functions return), checked against the gate's
//! own verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use portcullis::config::{self, GateConfig};
use portcullis::grant::access::access_ttl;
use portcullis::grant::apikey::ApiKeyRecord;
use portcullis::grant::reply::{EndedSession, StoreReply};
use portcullis::grant::secrets::GrantId;
use portcullis::grant::service::{serve_grant, serve_keys, Fresh, GrantCall, KeyCall};
use portcullis::grant::state::Lifetimes;
use portcullis::http::admin::grant_revocation_entry;
use portcullis::http::{check_revocation, Denial, Revocations};
use portcullis::jwt::verify::verify;
use portcullis::revocation::{RevocationReason, RevocationSnapshot, RevokedBy};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

fn config() -> GateConfig {
    let key = common::key(Some("k1"), portcullis::jwt::keyring::Alg::HS256, 1);
    let origin = common::key(None, portcullis::jwt::keyring::Alg::HS256, 2);
    let keys = json!({ "keys": [key.to_jwk()] }).to_string();
    let origin = origin.to_jwk().to_string();
    config::load(|name| match name {
        config::names::KEYS => Some(Value::String(keys.clone())),
        config::names::ORIGIN_KEY => Some(Value::String(origin.clone())),
        config::names::AUDIENCE => Some(json!("api")),
        config::names::ROUTES => Some(json!([{ "match": "GET /*", "scopes": ["a"] }])),
        _ => None,
    })
    .unwrap()
}

fn fresh(n: u8) -> Fresh {
    Fresh {
        secret: [n; 20],
        key_id: [n; 12],
    }
}

struct Obj {
    sid: String,
    stored: Option<String>,
}

impl Obj {
    fn call(&mut self, call: GrantCall, n: u8, now: i64) -> StoreReply {
        let (store, reply) = serve_grant(
            &self.sid,
            self.stored.as_deref(),
            call,
            fresh(n),
            &config(),
            now,
        );
        if let Some(s) = store {
            self.stored = Some(s);
        }
        reply
    }
}

fn refresh(token: &Value, scope: Option<&str>) -> GrantCall {
    GrantCall::Refresh {
        refresh_token: token.as_str().unwrap().to_owned(),
        client_id: None,
        scope: scope.map(str::to_owned),
        jkt: None,
    }
}

/// The one `sid` entry `ended` asks for, as the Worker records it, refuses the access token
/// of `issued` at the gate until that token expires, and lapses after.
fn assert_refused_by_sid(issued: &StoreReply, ended: &StoreReply, now: i64) {
    let cfg = config();
    let token = verify(
        issued.body["access_token"].as_str().unwrap(),
        &cfg.keyring,
        &cfg.verify,
        now,
    )
    .unwrap();
    let ended = ended.ended.as_ref().expect("the reply ends a session");
    let entry = grant_revocation_entry(&cfg, ended, RevocationReason::Logout, now);
    assert_eq!(entry.revocation.kind().as_str(), "sid");
    assert!(entry.expires_at.unwrap() >= token.claims.exp + cfg.verify.leeway as i64);
    let snapshot = RevocationSnapshot::from_entries([entry], now);
    match check_revocation(&token, false, Revocations::Current(&snapshot)) {
        Err(Denial::Revoked { by, .. }) => assert_eq!(by, RevokedBy::Session),
        other => panic!("not refused by sid: {other:?}"),
    }
    // Unrelated tokens of the same subject still pass.
    let other = RevocationSnapshot::from_entries(
        [grant_revocation_entry(
            &cfg,
            &EndedSession {
                sid: GrantId([5; 16]).to_text(),
                access_exp: now + 60,
            },
            RevocationReason::Logout,
            now,
        )],
        now,
    );
    assert!(check_revocation(&token, false, Revocations::Current(&other)).is_ok());
}

fn open(grace_s: u64) -> (Obj, StoreReply) {
    let mut obj = Obj {
        sid: GrantId([4; 16]).to_text(),
        stored: None,
    };
    let reply = obj.call(
        GrantCall::Open {
            sub: "alice".into(),
            scope: "a b".into(),
            client_id: None,
            lifetimes: Lifetimes {
                grace_s,
                ..Lifetimes::DEFAULT
            },
        },
        1,
        NOW,
    );
    (obj, reply)
}

#[test]
fn an_opened_grant_answers_rfc_6749_and_its_access_token_verifies_with_sid() {
    let (obj, reply) = open(30);
    assert_eq!(reply.status, 200);
    let b = &reply.body;
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["scope"], "a b");
    assert!(b["refresh_token"].as_str().unwrap().starts_with("pcrt_"));
    let cfg = config();
    let token = verify(
        b["access_token"].as_str().unwrap(),
        &cfg.keyring,
        &cfg.verify,
        NOW + 1,
    )
    .unwrap();
    assert_eq!(token.claims.extra["sid"], json!(obj.sid));
    assert_eq!(token.claims.sub.as_deref(), Some("alice"));
    assert_eq!(
        reply.response("r").header("cache-control"),
        Some("no-store")
    );
}

#[test]
fn reuse_after_grace_revokes_every_access_token_the_grant_issued() {
    let (mut obj, first) = open(30);
    let rt0 = first.body["refresh_token"].clone();
    let second = obj.call(refresh(&rt0, Some("a")), 2, NOW + 5);
    assert_eq!(
        (second.status, second.body["scope"].clone()),
        (200, json!("a"))
    );
    let retry = obj.call(refresh(&rt0, None), 3, NOW + 20);
    assert_eq!(retry.body["refresh_token"], second.body["refresh_token"]);
    assert_eq!(retry.reason, "refresh_retry_in_grace");
    let reuse = obj.call(refresh(&rt0, None), 4, NOW + 40);
    assert_eq!(reuse.status, 400);
    assert_eq!(reuse.body["error"], "invalid_grant");
    assert_eq!(reuse.reason, "refresh_token_reused");
    assert!(reuse
        .detail
        .as_deref()
        .unwrap()
        .contains("generation 0 presented, current 1"));
    // Three access tokens were issued (open, rotation, retry): one `sid` revocation
    // outlives them all (the retry's is the latest).
    let ended = reuse.ended.clone().unwrap();
    assert_eq!(ended.sid, obj.sid);
    assert_eq!(ended.access_exp, NOW + 20 + access_ttl(&config()) as i64);
    for token in [&first, &second, &retry] {
        assert_refused_by_sid(token, &reuse, NOW + 41);
    }
    let after = obj.call(refresh(&second.body["refresh_token"], None), 5, NOW + 41);
    assert_eq!(after.body["error"], "invalid_grant");
}

#[test]
fn widening_is_invalid_scope_and_changes_nothing() {
    let (mut obj, first) = open(30);
    let rt0 = first.body["refresh_token"].clone();
    let wide = obj.call(refresh(&rt0, Some("a c")), 2, NOW + 1);
    assert_eq!(
        (wide.status, wide.body["error"].clone()),
        (400, json!("invalid_scope"))
    );
    let ok = obj.call(refresh(&rt0, None), 3, NOW + 2);
    assert_eq!(ok.status, 200);
}

#[test]
fn revoking_by_sid_ends_the_grant_and_its_access_tokens() {
    let (mut obj, first) = open(30);
    let revoked = obj.call(GrantCall::Revoke, 2, NOW + 1);
    assert_eq!(revoked.status, 200);
    assert_refused_by_sid(&first, &revoked, NOW + 2);
    assert_eq!(revoked.body["already_revoked"], false);
    let r = obj.call(refresh(&first.body["refresh_token"], None), 3, NOW + 2);
    assert_eq!(r.body["error"], "invalid_grant");
    let again = obj.call(GrantCall::Revoke, 4, NOW + 3);
    assert_eq!(again.status, 200);
    assert_eq!(again.body["already_revoked"], true);
}

#[test]
fn api_keys_exchange_until_revoked_or_expired_and_never_store_the_secret() {
    let cfg = config();
    let mut store: Vec<ApiKeyRecord> = Vec::new();
    let call = |store: &mut Vec<ApiKeyRecord>, c: KeyCall, now: i64| {
        let (writes, reply) = serve_keys(store, c, fresh(9), &cfg, now);
        for w in writes {
            store.retain(|r| r.id != w.id);
            store.push(w);
        }
        reply
    };
    let created = call(
        &mut store,
        KeyCall::Create {
            sub: "svc".into(),
            scope: "a b".into(),
            name: Some("ci".into()),
            expires_in_s: Some(100),
        },
        NOW,
    );
    assert_eq!(created.status, 201);
    let key = created.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pcak_"));
    assert!(!store[0].to_json().contains(&key));
    let ok = call(
        &mut store,
        KeyCall::Exchange {
            key: key.clone(),
            scope: Some("a".into()),
            jkt: None,
        },
        NOW + 1,
    );
    assert_eq!((ok.status, ok.body["scope"].clone()), (200, json!("a")));
    assert!(ok.body.get("refresh_token").is_none());
    let listed = call(&mut store, KeyCall::List, NOW + 2);
    assert_eq!(listed.body["api_keys"][0]["last_used_at"], json!(NOW + 1));
    assert!(!listed.body.to_string().contains(&key));
    let expired = call(
        &mut store,
        KeyCall::Exchange {
            key: key.clone(),
            scope: None,
            jkt: None,
        },
        NOW + 100,
    );
    assert_eq!(
        (expired.status, expired.body["error"].clone()),
        (401, json!("invalid_client"))
    );
    assert!(expired.basic_challenge);
    let id = created.body["id"].as_str().unwrap().to_owned();
    call(&mut store, KeyCall::Revoke { id }, NOW + 3);
    let revoked = call(
        &mut store,
        KeyCall::Exchange {
            key,
            scope: None,
            jkt: None,
        },
        NOW + 4,
    );
    assert_eq!(revoked.reason, "api_key_revoked");
    assert_eq!(revoked.body, expired.body, "the client cannot tell why");
}

fn leak_of_grant(token: &str, revoke: bool) -> GrantCall {
    GrantCall::Leak {
        refresh_token: token.to_owned(),
        revoke,
    }
}

#[test]
fn a_leaked_refresh_token_revokes_its_grant_only_when_it_authenticates() {
    let (mut obj, first) = open(30);
    let rt0 = first.body["refresh_token"].as_str().unwrap().to_owned();
    // A fake with our shape and this grant's sid, but not our secret: changes nothing.
    let fake = portcullis::grant::secrets::RefreshToken {
        grant: GrantId([4; 16]),
        generation: 0,
        secret: [0xEE; 20],
    }
    .encode();
    let r = obj.call(leak_of_grant(&fake, true), 2, NOW + 1);
    assert_eq!(
        (r.body["status"].clone(), r.body["revoked_now"].clone()),
        (json!("unknown"), json!(false))
    );
    assert!(r.body["sub"].is_null());
    // Asking without revoking changes nothing either.
    let r = obj.call(leak_of_grant(&rt0, false), 2, NOW + 1);
    assert_eq!(
        (r.body["status"].clone(), r.body["revoked_now"].clone()),
        (json!("live"), json!(false))
    );
    assert_eq!(obj.call(refresh(&json!(rt0), None), 3, NOW + 2).status, 200);
    // An older generation of ours is still a leak of the grant.
    let r = obj.call(leak_of_grant(&rt0, true), 4, NOW + 3);
    assert_eq!(
        (r.body["status"].clone(), r.body["revoked_now"].clone()),
        (json!("live"), json!(true))
    );
    assert_eq!(r.reason, "leak_revoked");
    assert_eq!(
        r.ended.as_ref().map(|e| e.access_exp),
        Some(NOW + 2 + access_ttl(&config()) as i64),
        "outlives both access tokens it issued"
    );
    let again = obj.call(leak_of_grant(&rt0, true), 5, NOW + 4);
    assert_eq!(
        (
            again.body["status"].clone(),
            again.body["revoked_now"].clone()
        ),
        (json!("revoked"), json!(false))
    );
    // A grant object that holds nothing knows nothing.
    let mut empty = Obj {
        sid: GrantId([9; 16]).to_text(),
        stored: None,
    };
    let r = empty.call(leak_of_grant(&rt0, true), 6, NOW);
    assert_eq!(r.body["status"], "unknown");
    assert!(empty.stored.is_none());
}

#[test]
fn a_leaked_api_key_is_checked_by_its_secret_and_revoked_when_live() {
    let cfg = config();
    let mut store: Vec<ApiKeyRecord> = Vec::new();
    let mut call = |c: KeyCall, now: i64| {
        let (writes, reply) = serve_keys(&store, c, fresh(9), &cfg, now);
        for w in writes {
            store.retain(|r| r.id != w.id);
            store.push(w);
        }
        reply
    };
    let created = call(
        KeyCall::Create {
            sub: "svc".into(),
            scope: "a".into(),
            name: None,
            expires_in_s: None,
        },
        NOW,
    );
    let key = created.body["key"].as_str().unwrap().to_owned();
    let wrong_secret = portcullis::grant::secrets::ApiKey {
        id: portcullis::grant::secrets::ApiKeyId([9; 12]),
        secret: [1; 20],
    }
    .encode();
    let leak = |key: &str, revoke| KeyCall::Leak {
        key: key.to_owned(),
        revoke,
    };
    let r = call(leak(&wrong_secret, true), NOW + 1);
    assert_eq!(
        (r.body["status"].clone(), r.body["revoked_now"].clone()),
        (json!("unknown"), json!(false))
    );
    let r = call(leak(&key, false), NOW + 1);
    assert_eq!(r.body["status"], "live");
    let r = call(leak(&key, true), NOW + 2);
    assert_eq!(
        (r.body["status"].clone(), r.body["revoked_now"].clone()),
        (json!("live"), json!(true))
    );
    assert_eq!(r.body["sub"], "svc");
    let refused = call(
        KeyCall::Exchange {
            key: key.clone(),
            scope: None,
            jkt: None,
        },
        NOW + 3,
    );
    assert_eq!(refused.reason, "api_key_revoked");
    let r = call(leak(&key, true), NOW + 4);
    assert_eq!(
        (r.body["status"].clone(), r.body["revoked_now"].clone()),
        (json!("revoked"), json!(false))
    );
}

#[test]
fn a_token_request_that_proved_a_dpop_key_gets_an_access_token_bound_to_it() {
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let (mut obj, first) = open(30);
    assert_eq!(first.body["token_type"], "Bearer");
    let call = GrantCall::Refresh {
        refresh_token: first.body["refresh_token"].as_str().unwrap().to_owned(),
        client_id: None,
        scope: None,
        jkt: Some(jkt.into()),
    };
    let bound = obj.call(call, 2, NOW + 1);
    assert_eq!(bound.status, 200);
    assert_eq!(bound.body["token_type"], "DPoP");
    let cfg = config();
    let at = bound.body["access_token"].as_str().unwrap();
    let verified = verify(at, &cfg.keyring, &cfg.verify, NOW + 1).unwrap();
    assert_eq!(verified.claims.extra["cnf"], json!({ "jkt": jkt }));
    // A later refresh without a proof gets a bearer token again: the binding is the request's.
    let next = obj.call(refresh(&bound.body["refresh_token"], None), 3, NOW + 2);
    assert_eq!(next.body["token_type"], "Bearer");
    let at = next.body["access_token"].as_str().unwrap();
    let verified = verify(at, &cfg.keyring, &cfg.verify, NOW + 2).unwrap();
    assert!(verified.claims.extra.get("cnf").is_none());
}

#[test]
fn describing_a_grant_shows_its_times_and_never_a_secret() {
    let (mut obj, first) = open(30);
    let rt0 = first.body["refresh_token"].clone();
    let d = obj.call(GrantCall::Describe, 2, NOW + 1);
    assert_eq!(d.status, 200);
    let idle = Lifetimes::DEFAULT.idle_s as i64;
    let absolute = Lifetimes::DEFAULT.absolute_s as i64;
    assert_eq!(
        d.body,
        json!({
            "sid": obj.sid, "sub": "alice", "client_id": null, "scope": "a b",
            "created_at": NOW, "last_refresh_at": null,
            "idle_expires_at": NOW + idle, "expires_at": NOW + absolute,
            "active": true, "revoked_at": null,
        })
    );
    let stored_before = obj.stored.clone();
    let refreshed = obj.call(refresh(&rt0, None), 3, NOW + 60);
    let d = obj.call(GrantCall::Describe, 4, NOW + 61);
    assert_eq!(d.body["last_refresh_at"], json!(NOW + 60));
    assert_eq!(d.body["idle_expires_at"], json!(NOW + 60 + idle));
    let text = d.body.to_string();
    for secret in [&rt0, &refreshed.body["refresh_token"]] {
        assert!(!text.contains(secret.as_str().unwrap()));
    }
    assert!(!text.contains("digest") && !text.contains("successor"));
    assert_ne!(obj.stored, stored_before, "the refresh was stored");
    let after = obj.stored.clone();
    obj.call(GrantCall::Describe, 5, NOW + 62);
    assert_eq!(obj.stored, after, "describing writes nothing");
    obj.call(GrantCall::Revoke, 6, NOW + 63);
    let d = obj.call(GrantCall::Describe, 7, NOW + 64);
    assert_eq!(
        (d.body["active"].clone(), d.body["revoked_at"].clone()),
        (json!(false), json!(NOW + 63))
    );
    let mut missing = Obj {
        sid: GrantId([6; 16]).to_text(),
        stored: None,
    };
    assert_eq!(missing.call(GrantCall::Describe, 8, NOW).status, 404);
}
