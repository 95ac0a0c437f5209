//! The admin API under the admin prefix: the I/O around the core's admin decisions
//! ([`portcullis::http::admin`]): read the head and body, fetch the revocation snapshot,
//! record and list revocations through the single writer, send the core's answer, write its audit line.
//!
//! Every endpoint needs a token with the `portcullis:admin` scope, verified by the same core
//! and checked against the revocation list (fail closed). Bad input gets a 400 problem
//! document and changes nothing. A runtime error is a 500 problem document and an audit
//! line, like any other refusal.

use serde_json::json;
use worker::{Context, Env, Request, Response};

mod context;
mod leaks;
mod sessions;
mod token;

pub(crate) use context::{reject, AdminContext};

use crate::revocations;
use crate::store::KV_OPS;
use crate::{now_s, send};
use portcullis::config::GateConfig;
use portcullis::http::admin::{
    self as core, check_admin_request, credential_source, AdminAnswer, AdminError,
    AdminRequestHead, Endpoint, KvCounts,
};
use portcullis::http::{AuditRecord, Denial, Principal, RequestHead};
use portcullis::jwt::verify::VerifiedToken;
use portcullis::leaks::issued_target;

/// Serves one admin request. Never an opaque runtime error: a `worker::Error` becomes
/// [`Denial::Internal`], answered and audited like any refusal.
pub(crate) async fn handle(req: Request, a: AdminContext<'_>) -> worker::Result<Response> {
    match serve(req, &a).await {
        Ok(response) => Ok(response),
        Err(e) => reject(
            &a,
            None,
            Denial::Internal {
                error: e.to_string(),
            },
        ),
    }
}

async fn serve(mut req: Request, a: &AdminContext<'_>) -> worker::Result<Response> {
    let AdminContext {
        env, ctx, config, ..
    } = *a;
    let endpoint = &a.path[config.admin_prefix.len()..];
    // The console's static pages need no token: they hold no secrets, their API calls do.
    if portcullis::http::console::owns(endpoint) {
        return super::console::serve(req, env, config, endpoint).await;
    }
    let method = req.inner().method();
    let endpoint = match core::endpoint(endpoint, &method) {
        Ok(e) => e,
        Err(denial) => return reject(a, None, denial),
    };
    // A secret-scanning partner signs its report instead of presenting an admin token.
    if endpoint.signed_by_reporter() {
        return leaks::handle(req, a).await;
    }
    let headers = req.headers();
    let authorization = headers.get("authorization")?;
    let cookie = headers.get("cookie")?;
    let content_type = headers.get("content-type")?;
    let origin = headers.get("origin")?;
    // The token endpoint's client authenticates with the credential it presents (a refresh
    // token, or an API key in the body or HTTP Basic), not with a bearer token.
    if endpoint == Endpoint::Token {
        let dpop = headers.get("dpop")?;
        let body = match read_body(&mut req).await {
            Ok(b) => b,
            Err(denial) => return reject(a, None, denial),
        };
        let presented = token::Presented {
            content_type: content_type.as_deref(),
            authorization: authorization.as_deref(),
            dpop: dpop.as_deref(),
        };
        return token::serve(a, presented, &body).await;
    }
    let head = RequestHead {
        authorization: authorization.as_deref(),
        cookie: cookie.as_deref(),
        ..RequestHead::default()
    };
    let credential = match credential_source(&head, config.cookie.as_deref()) {
        Ok(c) => c,
        Err(denial) => return reject(a, None, denial),
    };
    let check = AdminRequestHead {
        method: &method,
        content_type: content_type.as_deref(),
        origin: origin.as_deref(),
        own_origin: a.own_origin,
        credential: credential.map(|(_, source)| source),
        body_types: endpoint.body_types(),
    };
    if let Err(denial) = check_admin_request(&check) {
        return reject(a, None, denial);
    }
    let token = credential.map(|(token, _)| token);
    let scope = endpoint.required_scope().unwrap_or(core::ADMIN_SCOPE);
    let admin = match authenticate(token, env, ctx, config, scope).await {
        Ok(token) => token,
        Err(denial) => return reject(a, None, denial),
    };
    let who = Principal::of(&admin);
    let body = if endpoint.takes_body() {
        match read_body(&mut req).await {
            Ok(b) => b,
            Err(denial) => return reject(a, Some(&who), denial),
        }
    } else {
        Vec::new()
    };
    let result = match endpoint {
        Endpoint::Revoke => match portcullis::grant::requests::sid_revocation(&body) {
            Some(sid) => token::revoke_sid(a, sid).await,
            None => revoke(env, config, &body, who.kid.as_deref()).await,
        },
        Endpoint::OpenGrant => token::open_grant(a, &body).await,
        Endpoint::CreateApiKey => token::create_api_key(a, &body).await,
        Endpoint::ListApiKeys => token::list_api_keys(a).await,
        Endpoint::RevokeApiKey => token::revoke_api_key(a, &body).await,
        Endpoint::ListGrants => {
            // The raw URL string, not `req.url()`: parsing it with the `url` crate would ship
            // its IDNA tables (~80 KB gzip) to read one query string.
            let url = req.inner().url();
            sessions::list(a, url.split_once('?').map(|(_, query)| query)).await
        }
        Endpoint::RevokeGrants => sessions::revoke_all(a, &body).await,
        Endpoint::Token => Err(Denial::AdminNotFound),
        Endpoint::ListRevocations => list(env).await,
        Endpoint::Introspect => {
            // A refresh token or API key is asked of its store; a JWT of the key ring.
            let presented =
                portcullis::revocation::parse_introspect_request(&body, content_type.as_deref())
                    .ok();
            match presented.as_deref().and_then(issued_target) {
                Some((kind, target)) => {
                    let presented = presented.as_deref().unwrap_or_default();
                    token::introspect_issued(a, kind, &target, presented).await
                }
                None => introspect(env, ctx, config, &body, content_type.as_deref()).await,
            }
        }
        Endpoint::Keys => Ok(core::keys_answer(&config.keyring)),
        Endpoint::Stats => Ok(stats()),
        Endpoint::CheckUrl => check_url(env, ctx, config, &body).await,
        // Answered above, before authentication; never reached.
        Endpoint::Leaks => Err(Denial::AdminNotFound),
    };
    match result {
        Ok(answer) => {
            let request = a.audit.request();
            let record = AuditRecord::allow(
                "admin",
                &request,
                None,
                answer.reason,
                answer.status,
                Some(&who),
            )
            .with_detail(answer.detail.clone())
            .with_revocation_reason(answer.revocation_reason);
            a.audit.write(&record);
            send(answer.response())
        }
        Err(denial) => reject(a, Some(&who), denial),
    }
}

/// The admin's own token: verified, then (once the snapshot is here) admitted.
async fn authenticate(
    token: Option<&str>,
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
    scope: &str,
) -> Result<VerifiedToken, Denial> {
    let verified = core::verify_admin(config, token, now_s())?;
    let held = revocations::current(env, ctx, config).await;
    core::admit_with_scope(
        &verified,
        revocations::state(held.as_deref(), config),
        scope,
    )?;
    Ok(verified)
}

async fn read_body(req: &mut Request) -> Result<Vec<u8>, Denial> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared {
        core::check_body_len(len)?;
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| Denial::BadAdminRequest(AdminError::BodyUnreadable))?;
    core::check_body_len(body.len())?;
    Ok(body)
}

/// `caller_kid`: the kid of the key that verified the admin's own token.
pub(crate) async fn revoke(
    env: &Env,
    config: &GateConfig,
    body: &[u8],
    caller_kid: Option<&str>,
) -> Result<AdminAnswer, Denial> {
    let now = now_s();
    let entry = core::revocation_entry(config, body, caller_kid, now)?;
    // The single writer gives it a version; its answer also brings this location's cache
    // and this isolate's copy up to that version, so the revocation holds here at once.
    let version = revocations::record_or_refuse(env, config, &entry).await?;
    Ok(core::revoked_answer(&entry, version))
}

async fn list(env: &Env) -> Result<AdminAnswer, Denial> {
    let entries = revocations::list_entries(env).await.map_err(|e| {
        worker::console_error!("{}", json!({"event": "revocation_list_failed", "error": e}));
        Denial::RevocationUnavailable { retry_after_s: 5 }
    })?;
    Ok(core::list_answer(&entries, now_s()))
}

async fn introspect(
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<AdminAnswer, Denial> {
    let outcome = core::introspected_token(config, body, content_type, now_s())?;
    // Only a token that verified needs the revocation list.
    let held = match outcome {
        Ok(_) => revocations::current(env, ctx, config).await,
        Err(_) => None,
    };
    core::introspection_answer(outcome, revocations::state(held.as_deref(), config))
}

/// The console's link checker: the core decides; the revocation list is read only for a
/// ring-keyed link that verified.
async fn check_url(
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
    body: &[u8],
) -> Result<AdminAnswer, Denial> {
    let request = core::check_url_request(body)?;
    let checked = core::check_url(config, &request, now_s());
    let snapshot = match &checked {
        core::CheckedUrl::NeedsRevocations { .. } => revocations::current(env, ctx, config).await,
        core::CheckedUrl::Answer(_) => None,
    };
    Ok(checked.finish(revocations::state(snapshot.as_deref(), config)))
}

fn stats() -> AdminAnswer {
    let kv = KV_OPS.with(|k| KvCounts {
        reads: k.reads.get(),
        writes: k.writes.get(),
        lists: k.lists.get(),
        deletes: k.deletes.get(),
    });
    let writer = KV_OPS.with(|k| k.writer.get());
    core::stats_answer(
        kv,
        writer,
        revocations::cached_status(),
        &crate::audit::decision_counters(),
    )
}
