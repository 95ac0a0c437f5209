//! The admin API under the admin prefix: revoke, list, introspect, key ring status.
//!
//! Every endpoint needs a token with the `portcullis:admin` scope, verified by the same core
//! and checked against the revocation list (fail closed). Bad input gets a 400 problem
//! document and changes nothing.

use serde_json::{json, Value};
use worker::{Context, Env, Request, Response};

use super::revocations::{self, KV_OPS};
use super::{now_s, send, AuditContext};
use portcullis::http::admin::{
    check_admin_request, credential_source, introspection, AdminRequestHead, BodyTypes,
};
use portcullis::config::GateConfig;
use portcullis::http::{self, AuditRecord, Denial, HttpResponse, Principal, RequestHead, ADMIN_SCOPE};
use portcullis::revocation::{
    self, parse_introspect_request, parse_revoke_request, Revocation, RevocationEntry,
    RevocationPolicy, RevokeRequest,
};
use portcullis::jwt::verify::{verify, VerifiedToken};

/// Largest admin request body accepted.
const MAX_BODY: usize = 8 * 1024;

/// Whether a normalized path belongs to the admin API.
pub(crate) fn owns(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn json_response(status: u16, body: &Value) -> worker::Result<Response> {
    send(HttpResponse {
        status,
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ],
        body: body.to_string(),
    })
}

/// What the admin API needs besides the request.
pub(crate) struct AdminContext<'a> {
    pub env: &'a Env,
    pub ctx: &'a Context,
    pub config: &'a GateConfig,
    /// The normalized path.
    pub path: &'a str,
    /// The request URL's `scheme://authority`.
    pub own_origin: &'a str,
    pub audit: &'a AuditContext,
}

/// What an admin endpoint did: the response, and the audit reason and detail.
struct Done {
    status: u16,
    body: Value,
    reason: &'static str,
    detail: Option<String>,
}

impl Done {
    fn ok(status: u16, body: Value, reason: &'static str) -> Done {
        Done {
            status,
            body,
            reason,
            detail: None,
        }
    }
}

pub(crate) async fn handle(mut req: Request, a: AdminContext<'_>) -> worker::Result<Response> {
    let AdminContext {
        env, ctx, config, ..
    } = a;
    let endpoint = &a.path[config.admin_prefix.len()..];
    // The console's static pages need no token: they hold no secrets, their API calls do.
    if super::console::owns(endpoint) {
        return super::console::serve(req, env, config, endpoint).await;
    }
    let method = req.inner().method();
    let (allow, body_types) = match endpoint {
        "/revocations" => ("GET, POST", BodyTypes::Json),
        // RFC 7662 2.1: introspection requests are forms; JSON is accepted too.
        "/introspect" => ("POST", BodyTypes::JsonOrForm),
        "/keys" | "/stats" => ("GET", BodyTypes::Json),
        _ => return reject(&a, None, Denial::AdminNotFound),
    };
    if !allow.split(", ").any(|m| m == method) {
        return reject(&a, None, Denial::AdminMethodNotAllowed { allow });
    }
    let headers = req.headers();
    let authorization = headers.get("authorization").ok().flatten();
    let cookie = headers.get("cookie").ok().flatten();
    let content_type = headers.get("content-type").ok().flatten();
    let origin = headers.get("origin").ok().flatten();
    let head = RequestHead {
        authorization: authorization.as_deref(),
        cookie: cookie.as_deref(),
        ..RequestHead::default()
    };
    let credential = match credential_source(&head, config.cookie.as_deref()) {
        Ok(c) => c,
        Err(denial) => return reject(&a, None, denial),
    };
    let check = AdminRequestHead {
        method: &method,
        content_type: content_type.as_deref(),
        origin: origin.as_deref(),
        own_origin: a.own_origin,
        credential: credential.map(|(_, source)| source),
        body_types,
    };
    if let Err(denial) = check_admin_request(&check) {
        return reject(&a, None, denial);
    }
    let token = credential.map(|(token, _)| token);
    let admin = match authenticate(token, env, ctx, config).await {
        Ok(token) => token,
        Err(denial) => return reject(&a, None, denial),
    };
    let who = Principal::of(&admin);
    let body = if method == "POST" {
        match read_body(&mut req).await {
            Ok(b) => b,
            Err(denial) => return reject(&a, Some(&who), denial),
        }
    } else {
        Vec::new()
    };
    let result = match (method.as_str(), endpoint) {
        ("POST", "/revocations") => revoke(env, config, &body, who.kid.as_deref()).await,
        ("GET", "/revocations") => list(env).await,
        ("POST", "/introspect") => {
            introspect(env, ctx, config, &body, content_type.as_deref()).await
        }
        ("GET", "/keys") => Ok(Done::ok(200, keys(config), "keys_listed")),
        _ => Ok(Done::ok(200, stats(), "stats_read")),
    };
    match result {
        Ok(done) => {
            let request = a.audit.request();
            let record = AuditRecord::allow(
                "admin",
                &request,
                None,
                done.reason,
                done.status,
                Some(&who),
            )
            .with_detail(done.detail);
            AuditContext::write(&record);
            json_response(done.status, &done.body)
        }
        Err(denial) => reject(&a, Some(&who), denial),
    }
}

/// Refuses an admin request, with an audit record naming the admin when it authenticated.
fn reject(
    a: &AdminContext<'_>,
    who: Option<&Principal>,
    denial: Denial,
) -> worker::Result<Response> {
    let request = a.audit.request();
    let mut record = AuditRecord::deny("admin", &request, None, &denial);
    if let (Some(p), None) = (who, denial.principal()) {
        (record.sub, record.jti, record.kid) =
            (p.sub.as_deref(), p.jti.as_deref(), p.kid.as_deref());
    }
    AuditContext::write(&record);
    send(denial.response(&a.config.realm))
}

/// The admin's own token: verified, not revoked (fail closed), with the admin scope.
async fn authenticate(
    token: Option<&str>,
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
) -> Result<VerifiedToken, Denial> {
    let token = token.ok_or(Denial::MissingToken { rule: None })?;
    let verified =
        verify(token, &config.keyring, &config.verify, now_s()).map_err(Denial::InvalidToken)?;
    let snapshot = revocations::current(env, ctx, config).await;
    let state = revocations::state(snapshot.as_deref(), config);
    http::check_revocation(&verified, false, state)?;
    http::check_scopes(&verified, &[ADMIN_SCOPE.to_owned()])?;
    Ok(verified)
}

async fn read_body(req: &mut Request) -> Result<Vec<u8>, Denial> {
    let too_large = || Denial::BadAdminRequest(format!("the body is larger than {MAX_BODY} bytes"));
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| Denial::BadAdminRequest("the body could not be read".into()))?;
    if body.len() > MAX_BODY {
        return Err(too_large());
    }
    Ok(body)
}

fn policy(config: &GateConfig) -> RevocationPolicy {
    RevocationPolicy {
        max_ttl: config
            .verify
            .max_ttl
            .unwrap_or(portcullis::config::defaults::MAX_TTL_S) as i64,
        leeway: config.verify.leeway as i64,
    }
}

/// `caller_kid`: the kid of the key that verified the admin's own token.
async fn revoke(
    env: &Env,
    config: &GateConfig,
    body: &[u8],
    caller_kid: Option<&str>,
) -> Result<Done, Denial> {
    let now = now_s();
    // `before` defaults to "now", and a subject revocation covers tokens with `iat < before`:
    // measured from the next second, it also covers tokens issued earlier in this one.
    let request =
        parse_revoke_request(body, now + 1).map_err(|e| Denial::BadAdminRequest(e.to_string()))?;
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
            let jws =
                portcullis::jwt::verify::verify_jws(&token, &config.keyring, &lenient).map_err(|e| {
                    Denial::BadAdminRequest(format!("the token cannot be revoked: {e}"))
                })?;
            let claims = portcullis::jwt::claims::Claims::parse(&jws.payload)
                .map_err(|_| Denial::BadAdminRequest("the token's claims cannot be read".into()))?;
            let jti = claims.jti.ok_or_else(|| {
                Denial::BadAdminRequest("the token has no jti; revoke its subject instead".into())
            })?;
            revocation::entry_for(
                Revocation::Token { jti },
                now,
                Some(claims.exp),
                &policy(config),
            )
        }
    };
    if let Err(e) = entry.kv_key().and_then(|_| entry.metadata_json()) {
        return Err(Denial::BadAdminRequest(e.to_string()));
    }
    revocations::record(env, &entry, now).await.map_err(|e| {
        worker::console_error!(
            "{}",
            json!({"event": "revocation_write_failed", "error": e})
        );
        Denial::RevocationUnavailable { retry_after_s: 5 }
    })?;
    // Publish at once rather than waiting for the cron; the cron still converges if two
    // admins' rebuilds race, because every revocation lives under its own key.
    if let Err(e) = revocations::rebuild(env, config, Some(&entry)).await {
        worker::console_warn!(
            "{}",
            json!({"event": "snapshot_rebuild_deferred", "error": e})
        );
    }
    revocations::invalidate();
    let body = json!({ "entry": entry_value(&entry), "kv_expiration": entry.kv_expiration(now) });
    Ok(Done {
        detail: Some(format!(
            "{} {}",
            entry.revocation.kind(),
            entry.revocation.target()
        )),
        ..Done::ok(201, body, "revocation_recorded")
    })
}

async fn list(env: &Env) -> Result<Done, Denial> {
    let now = now_s();
    let entries = revocations::list_entries(env).await.map_err(|e| {
        worker::console_error!("{}", json!({"event": "revocation_list_failed", "error": e}));
        Denial::RevocationUnavailable { retry_after_s: 5 }
    })?;
    let active: Vec<Value> = entries
        .iter()
        .filter(|e| !e.is_expired(now))
        .map(entry_value)
        .collect();
    Ok(Done::ok(
        200,
        json!({ "revocations": active }),
        "revocations_listed",
    ))
}

async fn introspect(
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<Done, Denial> {
    let token = parse_introspect_request(body, content_type)
        .map_err(|e| Denial::BadAdminRequest(e.to_string()))?;
    let outcome = match verify(&token, &config.keyring, &config.verify, now_s()) {
        Ok(verified) => {
            let snapshot = revocations::current(env, ctx, config).await;
            let state = revocations::state(snapshot.as_deref(), config);
            match http::check_revocation(&verified, false, state) {
                Ok(_) => Ok(verified),
                Err(revoked @ Denial::Revoked { .. }) => Err(revoked),
                // No snapshot: the answer would be a guess; say so (503), as the gate would.
                Err(other) => return Err(other),
            }
        }
        Err(e) => Err(Denial::InvalidToken(e)),
    };
    // The reason an inactive token is inactive goes to the audit log only (RFC 7662 2.2).
    let answer = introspection(outcome.as_ref());
    Ok(Done {
        status: 200,
        body: answer.body,
        reason: "introspected",
        detail: Some(match answer.detail {
            Some(detail) => format!("{}: {detail}", answer.reason),
            None => answer.reason.to_owned(),
        }),
    })
}

/// An entry for the admin API: the stored shape, plus `target` and `expires_at` spelled out.
fn entry_value(entry: &RevocationEntry) -> Value {
    let mut v: Value = serde_json::from_str(&entry.to_json()).unwrap_or_else(|_| json!({}));
    v["target"] = json!(entry.revocation.target());
    v["expires_at"] = json!(entry.expires_at);
    v
}

fn keys(config: &GateConfig) -> Value {
    let keys: Vec<Value> = config
        .keyring
        .keys()
        .iter()
        .map(|k| json!({ "kid": k.kid(), "alg": k.alg().name(), "signs": k.signs() }))
        .collect();
    json!({ "keys": keys })
}

fn stats() -> Value {
    let (kv_reads, kv_writes, kv_lists, kv_deletes) = KV_OPS.with(|k| {
        (
            k.reads.get(),
            k.writes.get(),
            k.lists.get(),
            k.deletes.get(),
        )
    });
    let snapshot = revocations::cached_status()
        .map(|(age_ms, entries)| json!({"age_ms": age_ms, "entries": entries}));
    json!({
        "kv": { "reads": kv_reads, "writes": kv_writes, "lists": kv_lists, "deletes": kv_deletes },
        "snapshot": snapshot,
    })
}
