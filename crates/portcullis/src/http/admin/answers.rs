//! The admin API's endpoint table and its answers: which endpoint a path and method name,
//! who may call it, what a revocation request stores, and the JSON each endpoint returns.
//! The Worker reads the body, the revocation snapshot and KV between these steps.

use crate::sender::{BindingError, Confirmation};
use serde_json::{json, Value};

use crate::config::{self, GateConfig};
use crate::http::admin::{introspection, AdminError, BodyTypes, ADMIN_SCOPE};
use crate::http::telemetry::{DecisionCounters, SnapshotStatus};
use crate::http::{check_revocation, check_scopes, Denial, HttpResponse, Revocations};
use crate::jwt::claims::Claims;
use crate::jwt::keyring::Keyring;
use crate::jwt::verify::{verify, verify_jws, VerifiedToken};
use crate::revocation::{
    self, parse_introspect_request, parse_revoke_order, AdminRequestError, Revocation,
    RevocationEntry, RevocationPolicy, RevocationReason, RevokeOrder, RevokeRequest,
    MAX_ADMIN_BODY_LEN,
};

/// Whether a normalized path belongs to the admin API: the prefix itself or below it, so no
/// spelling of the prefix can slip past the admin API to the origin.
pub fn owns(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// An admin API endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /revocations`: record a revocation.
    Revoke,
    /// `GET /revocations`: the active revocations.
    ListRevocations,
    /// `POST /introspect`: RFC 7662 introspection.
    Introspect,
    /// `GET /keys`: the key ring, without key material.
    Keys,
    /// `GET /stats`: KV operation counts and the cached snapshot's age.
    Stats,
    /// `POST /check-url`: which rule and format a URL meets, and the gate's verdict on its
    /// signed link (the console's link checker).
    CheckUrl,
    /// `POST /leaks`: a secret-scanning partner's signed leak report (no admin token).
    Leaks,
    /// `POST /grants`: open a grant (scope `portcullis:issue`).
    OpenGrant,
    /// `POST /token`: the OAuth token endpoint (no bearer token: the client presents a
    /// refresh token or an API key).
    Token,
    /// `POST /api-keys`: create an API key.
    CreateApiKey,
    /// `GET /api-keys`: list API keys, never their secrets.
    ListApiKeys,
    /// `POST /api-keys/revoke`: revoke an API key by id.
    RevokeApiKey,
    /// `GET /grants?sub=…`: a subject's active grants, never a secret.
    ListGrants,
    /// `POST /grants/revoke`: end every grant of a subject.
    RevokeGrants,
}

impl Endpoint {
    /// The body media types the endpoint takes.
    pub fn body_types(self) -> BodyTypes {
        match self {
            // RFC 7662 2.1: introspection requests are forms; JSON is accepted too.
            Endpoint::Introspect => BodyTypes::JsonOrForm,
            Endpoint::Token => BodyTypes::Form,
            _ => BodyTypes::Json,
        }
    }

    /// The scope a caller's bearer token needs; `None` for the token endpoint, whose client
    /// authenticates with the credential in its body (or HTTP Basic).
    pub fn required_scope(self) -> Option<&'static str> {
        match self {
            Endpoint::Token => None,
            Endpoint::OpenGrant => Some(crate::grant::ISSUE_SCOPE),
            _ => Some(ADMIN_SCOPE),
        }
    }

    /// Whether the endpoint reads a request body.
    pub fn takes_body(self) -> bool {
        matches!(
            self,
            Endpoint::Revoke
                | Endpoint::Introspect
                | Endpoint::OpenGrant
                | Endpoint::Token
                | Endpoint::CreateApiKey
                | Endpoint::RevokeApiKey
                | Endpoint::RevokeGrants
                | Endpoint::CheckUrl
        )
    }

    /// Whether the endpoint authenticates its caller by a signature over the body instead
    /// of an admin token.
    pub fn signed_by_reporter(self) -> bool {
        self == Endpoint::Leaks
    }
}

/// The endpoint for `method` on `endpoint` (the path after the admin prefix):
/// [`Denial::AdminNotFound`] for an unknown path, [`Denial::AdminMethodNotAllowed`] (with
/// its `Allow`) for a known path and another method.
pub fn endpoint(endpoint: &str, method: &str) -> Result<Endpoint, Denial> {
    let (allow, found) = match (endpoint, method) {
        ("/revocations", "POST") => ("GET, POST", Some(Endpoint::Revoke)),
        ("/revocations", "GET") => ("GET, POST", Some(Endpoint::ListRevocations)),
        ("/revocations", _) => ("GET, POST", None),
        ("/introspect", "POST") => ("POST", Some(Endpoint::Introspect)),
        ("/introspect", _) => ("POST", None),
        ("/keys", "GET") => ("GET", Some(Endpoint::Keys)),
        ("/stats", "GET") => ("GET", Some(Endpoint::Stats)),
        ("/check-url", "POST") => ("POST", Some(Endpoint::CheckUrl)),
        ("/check-url", _) => ("POST", None),
        ("/keys" | "/stats", _) => ("GET", None),
        ("/leaks", "POST") => ("POST", Some(Endpoint::Leaks)),
        ("/leaks", _) => ("POST", None),
        ("/grants", "POST") => ("GET, POST", Some(Endpoint::OpenGrant)),
        ("/grants", "GET") => ("GET, POST", Some(Endpoint::ListGrants)),
        ("/grants", _) => ("GET, POST", None),
        ("/grants/revoke", "POST") => ("POST", Some(Endpoint::RevokeGrants)),
        ("/grants/revoke", _) => ("POST", None),
        ("/token", "POST") => ("POST", Some(Endpoint::Token)),
        ("/token", _) => ("POST", None),
        ("/api-keys", "POST") => ("GET, POST", Some(Endpoint::CreateApiKey)),
        ("/api-keys", "GET") => ("GET, POST", Some(Endpoint::ListApiKeys)),
        ("/api-keys", _) => ("GET, POST", None),
        ("/api-keys/revoke", "POST") => ("POST", Some(Endpoint::RevokeApiKey)),
        ("/api-keys/revoke", _) => ("POST", None),
        _ => return Err(Denial::AdminNotFound),
    };
    found.ok_or(Denial::AdminMethodNotAllowed { allow })
}

/// Refuses a body over [`MAX_ADMIN_BODY_LEN`]: the declared `Content-Length` before reading,
/// the bytes read after.
pub fn check_body_len(len: usize) -> Result<(), Denial> {
    if len > MAX_ADMIN_BODY_LEN {
        Err(Denial::BadAdminRequest(AdminError::Request(
            AdminRequestError::BodyTooLarge {
                len,
                max: MAX_ADMIN_BODY_LEN,
            },
        )))
    } else {
        Ok(())
    }
}

/// The admin's own token, verified. The revocation check follows, once the Worker has the
/// snapshot ([`admit_admin`]).
pub fn verify_admin(
    config: &GateConfig,
    token: Option<&str>,
    now: i64,
) -> Result<VerifiedToken, Denial> {
    let token = token.ok_or(Denial::MissingToken { rule: None })?;
    let verified =
        verify(token, &config.keyring, &config.verify, now).map_err(Denial::InvalidToken)?;
    // The admin API takes bearer tokens only: it checks no certificate and no DPoP proof, so
    // a sender-constrained token presented here would be used as a bearer token.
    match Confirmation::of(&verified.claims) {
        Ok(Confirmation::Unbound) => Ok(verified),
        Ok(_) => Err(crate::http::binding_denial(
            config,
            &verified,
            BindingError::BoundTokenNotAccepted,
            now,
        )),
        Err(error) => Err(crate::http::binding_denial(config, &verified, error, now)),
    }
}

/// Admits a verified admin token: not revoked (failing closed), with [`ADMIN_SCOPE`].
pub fn admit_admin(token: &VerifiedToken, revocations: Revocations<'_>) -> Result<(), Denial> {
    admit_with_scope(token, revocations, ADMIN_SCOPE)
}

/// Admits a verified token for an endpoint that needs `scope`: not revoked (failing
/// closed), with that scope. [`ADMIN_SCOPE`] does not imply `portcullis:issue`, nor the
/// reverse: an application that opens sessions cannot revoke or list anything.
pub fn admit_with_scope(
    token: &VerifiedToken,
    revocations: Revocations<'_>,
    scope: &str,
) -> Result<(), Denial> {
    check_revocation(token, false, revocations)?;
    check_scopes(token, &[scope.to_owned()])
}

/// What an admin endpoint did: the response, and the audit reason and detail.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
    /// The audit reason.
    pub reason: &'static str,
    /// The audit detail.
    pub detail: Option<String>,
    /// Why the revocation this answer records was made, for the audit record.
    pub revocation_reason: Option<RevocationReason>,
}

impl AdminAnswer {
    fn ok(status: u16, body: Value, reason: &'static str) -> AdminAnswer {
        AdminAnswer {
            status,
            body,
            reason,
            detail: None,
            revocation_reason: None,
        }
    }

    /// The response: JSON, never cached.
    pub fn response(&self) -> HttpResponse {
        HttpResponse {
            status: self.status,
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body: self.body.to_string(),
        }
    }
}

fn policy(config: &GateConfig) -> RevocationPolicy {
    RevocationPolicy {
        max_ttl: config.verify.max_ttl.unwrap_or(config::defaults::MAX_TTL_S) as i64,
        leeway: config.verify.leeway as i64,
    }
}

/// The entry a revoke request stores, checked to fit KV. `caller_kid` is the kid of the key
/// that verified the admin's own token (revoking it needs `confirm`).
pub fn revocation_entry(
    config: &GateConfig,
    body: &[u8],
    caller_kid: Option<&str>,
    now: i64,
) -> Result<RevocationEntry, Denial> {
    let bad = Denial::BadAdminRequest;
    // `before` defaults to "now", and a subject revocation covers tokens with `iat < before`:
    // measured from the next second, it also covers tokens issued earlier in this one.
    let RevokeOrder { request, reason } =
        parse_revoke_order(body, now + 1).map_err(|e| bad(e.into()))?;
    let entry = match request {
        RevokeRequest::Revoke(rev) => revocation::entry_for(rev, now, None, &policy(config)),
        RevokeRequest::Key { kid, confirm } => {
            let rev = revocation::check_key_revocation(&config.keyring, caller_kid, &kid, confirm)
                .map_err(Denial::KeyRevocationRefused)?;
            revocation::entry_for(rev, now, None, &policy(config))
        }
        RevokeRequest::Token(token) => {
            // Revoking a presented token (RFC 7009 spirit): it must be one of ours. An
            // expired token needs no revocation, but revoking it is harmless: allow it.
            let mut lenient = config.verify.clone();
            lenient.max_ttl = None;
            let jws = verify_jws(&token, &config.keyring, &lenient)
                .map_err(|e| bad(AdminError::TokenNotRevocable(e)))?;
            let claims =
                Claims::parse(&jws.payload).map_err(|_| bad(AdminError::TokenClaimsUnreadable))?;
            let jti = claims.jti.ok_or(bad(AdminError::TokenWithoutJti))?;
            revocation::entry_for(
                Revocation::Token { jti },
                now,
                Some(claims.exp),
                &policy(config),
            )
        }
    }
    .because(reason);
    entry
        .kv_key()
        .and_then(|_| entry.metadata_json())
        .map_err(|e| bad(AdminError::Unstorable(e)))?;
    Ok(entry)
}

/// The one revocation entry that ends a revoked grant's access tokens: its `sid`, kept
/// until the latest `exp` of the tokens it issued (plus leeway; see
/// [`entry_for`](revocation::entry_for)), recorded for `reason` (reuse of a refresh token, a
/// logout, a leak).
pub fn grant_revocation_entry(
    config: &GateConfig,
    ended: &crate::grant::reply::EndedSession,
    reason: revocation::RevocationReason,
    now: i64,
) -> RevocationEntry {
    revocation::entry_for(
        Revocation::Session {
            sid: ended.sid.clone(),
        },
        now,
        Some(ended.access_exp),
        &policy(config),
    )
    .because(reason)
}

/// An entry for the admin API: the stored shape, plus `target`, `expires_at` and `reason`
/// spelled out (the stored shape omits the default reason).
pub fn entry_value(entry: &RevocationEntry) -> Value {
    let mut v: Value = serde_json::from_str(&entry.to_json()).unwrap_or_else(|_| json!({}));
    v["target"] = json!(entry.revocation.target());
    v["expires_at"] = json!(entry.expires_at);
    v["reason"] = json!(entry.reason.as_str());
    v
}

/// The answer to a recorded revocation (201), with the version the single writer gave it.
pub fn revoked_answer(entry: &RevocationEntry, version: u64) -> AdminAnswer {
    let body = json!({ "entry": entry_value(entry), "version": version });
    AdminAnswer {
        detail: Some(format!(
            "{} {}",
            entry.revocation.kind(),
            entry.revocation.target()
        )),
        revocation_reason: Some(entry.reason),
        ..AdminAnswer::ok(201, body, "revocation_recorded")
    }
}

/// The revocations still in force at `now`.
pub fn list_answer(entries: &[RevocationEntry], now: i64) -> AdminAnswer {
    let active: Vec<Value> = entries
        .iter()
        .filter(|e| !e.is_expired(now))
        .map(entry_value)
        .collect();
    AdminAnswer::ok(200, json!({ "revocations": active }), "revocations_listed")
}

/// The key ring: each key's kid, algorithm and whether it signs; never key material.
pub fn keys_answer(keyring: &Keyring) -> AdminAnswer {
    let keys: Vec<Value> = keyring
        .keys()
        .iter()
        .map(|k| json!({ "kid": k.kid(), "alg": k.alg().name(), "signs": k.signs() }))
        .collect();
    AdminAnswer::ok(200, json!({ "keys": keys }), "keys_listed")
}

/// KV operations this isolate made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvCounts {
    /// Reads.
    pub reads: u64,
    /// Writes.
    pub writes: u64,
    /// Lists.
    pub lists: u64,
    /// Deletes.
    pub deletes: u64,
}

/// The isolate's KV counts, its requests to the single writer, its copy of the list (age in
/// ms since it was last confirmed current, entries, `built_at`, the writer's version), if any,
/// and the decisions it made by reason.
pub fn stats_answer(
    kv: KvCounts,
    writer_requests: u64,
    snapshot: Option<SnapshotStatus>,
    decisions: &DecisionCounters,
) -> AdminAnswer {
    let body = json!({
        "kv": { "reads": kv.reads, "writes": kv.writes, "lists": kv.lists, "deletes": kv.deletes },
        "writer_requests": writer_requests,
        "snapshot": snapshot,
        "decisions": decisions.to_json(),
    });
    AdminAnswer::ok(200, body, "stats_read")
}

/// The token an introspection request names, verified: `Err` for a bad request, `Ok(Err)`
/// for a token that is inactive already (it failed verification).
#[allow(clippy::type_complexity)]
pub fn introspected_token(
    config: &GateConfig,
    body: &[u8],
    content_type: Option<&str>,
    now: i64,
) -> Result<Result<VerifiedToken, Denial>, Denial> {
    let token = parse_introspect_request(body, content_type)
        .map_err(|e| Denial::BadAdminRequest(e.into()))?;
    Ok(verify(&token, &config.keyring, &config.verify, now).map_err(Denial::InvalidToken))
}

/// The introspection answer once the revocation list is known: a revoked token is inactive;
/// without a usable list the answer would be a guess, so it is the gate's 503.
pub fn introspection_answer(
    outcome: Result<VerifiedToken, Denial>,
    revocations: Revocations<'_>,
) -> Result<AdminAnswer, Denial> {
    let outcome = match outcome {
        Ok(verified) => match check_revocation(&verified, false, revocations) {
            Ok(_) => Ok(verified),
            Err(revoked @ Denial::Revoked { .. }) => Err(revoked),
            Err(other) => return Err(other),
        },
        Err(inactive) => Err(inactive),
    };
    // The reason an inactive token is inactive goes to the audit log only (RFC 7662 2.2).
    let answer = introspection(outcome.as_ref());
    Ok(AdminAnswer {
        status: 200,
        body: answer.body,
        reason: "introspected",
        detail: Some(match answer.detail {
            Some(detail) => format!("{}: {detail}", answer.reason),
            None => answer.reason.to_owned(),
        }),
        revocation_reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::mint::sign_compact;
    use crate::revocation::RevocationSnapshot;

    fn jwk(kid: &str, byte: u8) -> Value {
        json!({"kty":"oct","kid":kid,"alg":"HS256","k":crate::codec::b64::encode([byte; 32])})
    }

    fn config() -> GateConfig {
        let keys = json!({"keys":[jwk("k1", 1)]}).to_string();
        config::load(|name| match name {
            "PORTCULLIS_KEYS" => Some(Value::String(keys.clone())),
            "PORTCULLIS_ORIGIN_KEY" => Some(Value::String(jwk("origin", 2).to_string())),
            "PORTCULLIS_ROUTES" => Some(json!([{"match":"GET /health","public":true}])),
            _ => None,
        })
        .unwrap()
    }

    fn token(config: &GateConfig, claims: Value) -> String {
        sign_compact(
            &config.keyring.keys()[0],
            &json!({"alg":"HS256","kid":"k1"}),
            &claims,
        )
    }

    #[test]
    fn the_admin_prefix_owns_itself_and_below_only() {
        for (path, owned) in [
            ("/_gate", true),
            ("/_gate/", true),
            ("/_gate/keys", true),
            ("/_gateway", false),
            ("/_gat", false),
            ("/", false),
        ] {
            assert_eq!(owns(path, "/_gate"), owned, "{path}");
        }
    }

    #[test]
    fn the_endpoint_table_names_each_endpoint_and_its_methods() {
        use Endpoint::*;
        for (path, method, expected) in [
            ("/revocations", "POST", Ok(Revoke)),
            ("/revocations", "GET", Ok(ListRevocations)),
            ("/introspect", "POST", Ok(Introspect)),
            ("/keys", "GET", Ok(Keys)),
            ("/stats", "GET", Ok(Stats)),
            ("/revocations", "DELETE", Err("GET, POST")),
            ("/introspect", "GET", Err("POST")),
            ("/keys", "HEAD", Err("GET")),
            ("/stats", "POST", Err("GET")),
        ] {
            let expected = expected.map_err(|allow| Denial::AdminMethodNotAllowed { allow });
            assert_eq!(endpoint(path, method), expected, "{method} {path}");
        }
        for path in ["", "/", "/revocations/", "/Keys", "/console2"] {
            assert_eq!(endpoint(path, "GET"), Err(Denial::AdminNotFound), "{path}");
        }
        assert_eq!(Introspect.body_types(), BodyTypes::JsonOrForm);
        assert_eq!(Revoke.body_types(), BodyTypes::Json);
        assert!(Revoke.takes_body() && Introspect.takes_body() && !Keys.takes_body());
    }

    #[test]
    fn bodies_over_the_limit_are_refused() {
        assert_eq!(check_body_len(MAX_ADMIN_BODY_LEN), Ok(()));
        let too_large = check_body_len(MAX_ADMIN_BODY_LEN + 1).unwrap_err();
        assert_eq!(too_large.status(), 400);
        assert!(too_large
            .response("r")
            .body
            .contains("larger than 8192 bytes"));
    }

    #[test]
    fn admins_need_a_token_the_scope_and_a_revocation_list() {
        let c = config();
        assert_eq!(
            verify_admin(&c, None, 1_000),
            Err(Denial::MissingToken { rule: None })
        );
        let user = token(&c, json!({"sub":"u","exp":2_000,"scope":"orders:read"}));
        let user = verify_admin(&c, Some(&user), 1_000).unwrap();
        let empty = RevocationSnapshot::empty(1_000);
        let err = admit_admin(&user, Revocations::Current(&empty)).unwrap_err();
        assert_eq!(err.code(), "insufficient_scope");
        let admin = token(&c, json!({"sub":"a","exp":2_000,"scope":ADMIN_SCOPE}));
        let admin = verify_admin(&c, Some(&admin), 1_000).unwrap();
        assert_eq!(admit_admin(&admin, Revocations::Current(&empty)), Ok(()));
        // Fails closed: no list, no admin.
        let down = Revocations::Unavailable { retry_after_s: 5 };
        assert_eq!(admit_admin(&admin, down).unwrap_err().status(), 503);
    }

    #[test]
    fn revoking_a_presented_token_needs_one_of_ours_with_a_jti() {
        let c = config();
        let with_jti = token(&c, json!({"sub":"u","jti":"t1","exp":1_500}));
        let body = json!({ "token": with_jti }).to_string();
        let entry = revocation_entry(&c, body.as_bytes(), None, 1_000).unwrap();
        assert_eq!(
            entry.revocation,
            Revocation::Token {
                jti: "t1".to_owned()
            }
        );
        // An expired token may be revoked: harmless.
        let entry = revocation_entry(&c, body.as_bytes(), None, 9_000).unwrap();
        assert_eq!(entry.revocation.target(), "t1");

        let no_jti = token(&c, json!({"sub":"u","exp":1_500}));
        let body = json!({ "token": no_jti }).to_string();
        assert_eq!(
            revocation_entry(&c, body.as_bytes(), None, 1_000),
            Err(Denial::BadAdminRequest(AdminError::TokenWithoutJti))
        );
        let mut forged = with_jti.clone();
        forged.pop();
        forged.push('A');
        let body = json!({ "token": forged }).to_string();
        let refused = revocation_entry(&c, body.as_bytes(), None, 1_000).unwrap_err();
        assert_eq!(refused.code(), "token_not_revocable");
    }

    #[test]
    fn revoke_requests_are_parsed_and_answered() {
        let c = config();
        let entry = revocation_entry(&c, br#"{"jti":"j9"}"#, None, 1_000).unwrap();
        let answer = revoked_answer(&entry, 7);
        assert_eq!((answer.status, answer.reason), (201, "revocation_recorded"));
        assert_eq!(answer.body["entry"]["target"], "j9");
        assert_eq!(answer.body["version"], 7);
        assert_eq!(answer.detail.as_deref(), Some("jti j9"));
        let bad = revocation_entry(&c, b"{}", None, 1_000).unwrap_err();
        assert_eq!((bad.status(), bad.code()), (400, "missing_target"));
        let refused = revocation_entry(&c, br#"{"kid":"nope"}"#, None, 1_000).unwrap_err();
        assert_eq!(refused.code(), "kid_not_in_ring");

        let listed = list_answer(std::slice::from_ref(&entry), 1_000);
        assert_eq!(listed.body["revocations"][0]["target"], "j9");
        let expired_at = entry.expires_at.unwrap();
        let listed = list_answer(&[entry], expired_at + 1);
        assert_eq!(listed.body, json!({ "revocations": [] }));
    }

    #[test]
    fn a_revocation_records_its_reason_in_the_entry_the_answers_and_the_audit() {
        let c = config();
        let entry = revocation_entry(&c, br#"{"jti":"j9"}"#, None, 1_000).unwrap();
        assert_eq!(entry.reason, RevocationReason::Admin);
        let answer = revoked_answer(&entry, 1_000);
        assert_eq!(answer.body["entry"]["reason"], "admin");
        assert_eq!(answer.revocation_reason, Some(RevocationReason::Admin));

        let body = br#"{"jti":"j8","reason":"leaked"}"#;
        let entry = revocation_entry(&c, body, None, 1_000).unwrap();
        assert_eq!(entry.reason, RevocationReason::Leaked);
        let answer = revoked_answer(&entry, 1_000);
        assert_eq!(answer.body["entry"]["reason"], "leaked");
        assert_eq!(answer.revocation_reason, Some(RevocationReason::Leaked));
        let listed = list_answer(&[entry], 1_000);
        assert_eq!(listed.body["revocations"][0]["reason"], "leaked");

        let bad = revocation_entry(&c, br#"{"jti":"j7","reason":"whim"}"#, None, 1_000);
        assert_eq!(bad.unwrap_err().code(), "unknown_reason");
    }

    #[test]
    fn keys_and_stats_answers_hold_no_key_material() {
        let c = config();
        let keys = keys_answer(&c.keyring);
        assert_eq!(
            keys.body,
            json!({"keys": [{"kid": "k1", "alg": "HS256", "signs": true}]})
        );
        let kv = KvCounts {
            reads: 1,
            writes: 2,
            lists: 3,
            deletes: 4,
        };
        let snapshot = SnapshotStatus {
            age_ms: 50,
            entries: 7,
            built_at: 1_800_000_000,
            version: 9,
        };
        let mut decisions = DecisionCounters::default();
        decisions.record("deny", "expired");
        let stats = stats_answer(kv, 5, Some(snapshot), &decisions);
        assert_eq!(
            stats.body,
            json!({"kv": {"reads": 1, "writes": 2, "lists": 3, "deletes": 4},
                   "writer_requests": 5,
                   "snapshot": {"age_ms": 50, "entries": 7, "built_at": 1_800_000_000, "version": 9},
                   "decisions": {"allowed": {}, "denied": {"expired": 1},
                                 "allowed_total": 0, "denied_total": 1}})
        );
        assert_eq!(
            stats_answer(kv, 0, None, &decisions).body["snapshot"],
            Value::Null
        );
        let response = stats.response();
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }

    #[test]
    fn introspection_is_inactive_for_bad_tokens_and_a_503_without_a_list() {
        let c = config();
        let good = token(&c, json!({"sub":"u","jti":"t1","exp":2_000}));
        let body = format!("token={good}");
        let form = Some("application/x-www-form-urlencoded");
        let empty = RevocationSnapshot::empty(1_000);
        let outcome = introspected_token(&c, body.as_bytes(), form, 1_000).unwrap();
        let answer = introspection_answer(outcome, Revocations::Current(&empty)).unwrap();
        assert_eq!(answer.body["active"], true);
        assert_eq!(answer.detail.as_deref(), Some("active"));

        let outcome = introspected_token(&c, body.as_bytes(), form, 5_000).unwrap();
        let answer = introspection_answer(outcome, Revocations::Current(&empty)).unwrap();
        assert_eq!(answer.body, json!({"active": false}));
        assert!(answer.detail.unwrap().starts_with("expired: "));

        let outcome = introspected_token(&c, body.as_bytes(), form, 1_000).unwrap();
        let down = Revocations::Unavailable { retry_after_s: 5 };
        assert_eq!(
            introspection_answer(outcome, down).unwrap_err().status(),
            503
        );

        let bad = introspected_token(&c, b"x=1", form, 1_000).unwrap_err();
        assert_eq!(bad.status(), 400);
    }
}
