//! The Cloudflare Worker: bindings in, a [`portcullis::http`] decision out.
//!
//! This is the only code that touches `worker`. It reads settings and the request head,
//! asks the core to decide, and either forwards the request or sends the core's response.
#![cfg(target_arch = "wasm32")]
// The objects script (feature `objects`) exports the Durable Object classes and no handler of
// its own: the gate's request path is compiled but unreachable there, and left out.
#![cfg_attr(feature = "objects", allow(dead_code, unused_imports))]

use worker::{
    event, web_sys, Context, Date, Env, Request, Response, ScheduleContext, ScheduledEvent,
};

use portcullis::config::{self, GateConfig};
use portcullis::http::url::{split_url, UrlParts};
use portcullis::http::{self, Admission, Denial, HttpResponse, Principal, RequestHead};
use portcullis::sender::{Binding, Presentation, Scheme};

mod admin;
mod audit;
#[cfg(all(feature = "bench-repeat", not(feature = "objects")))]
mod bench_repeat;
#[cfg(any(feature = "bench-nosignal", feature = "bench-lean"))]
mod bench_variant;
mod console;
mod forward;
// The Durable Object classes (GrantObject, ApiKeyStore, RevocationWriter) are exported only
// by the objects script (feature `objects`, build-objects/, wrangler.objects.toml): the gate
// script every request loads reaches them through bindings with `script_name`, so without
// the feature their code is unreachable and the linker leaves it out of the gate's wasm.
#[cfg_attr(not(feature = "objects"), allow(dead_code, unused_imports))]
mod grants;
mod interop;
mod revocations;
mod sender;
mod settings;
mod store;
#[cfg_attr(not(feature = "objects"), allow(dead_code, unused_imports))]
mod writer;

pub(crate) use audit::AuditContext;
pub(crate) use settings::load_config;

/// Milliseconds since the epoch. (Workers clocks advance only on I/O.)
pub(crate) fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// Seconds since the epoch: the `now` the core takes.
pub(crate) fn now_s() -> i64 {
    (now_ms() / 1000) as i64
}

/// Sends a response the core built.
pub(crate) fn send(response: HttpResponse) -> worker::Result<Response> {
    let headers = worker::Headers::new();
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    Ok(Response::ok(response.body)?
        .with_status(response.status)
        .with_headers(headers))
}

// The fetch handler takes and returns the runtime's own Request and Response: worker's
// wrappers would read (and for the response, rebuild) more than the gate needs, on every
// request. Only the admin API, off the hot path, uses them.
//
// A runtime error (`?` on a binding, a header, a stream) is never the runtime's opaque 500:
// it becomes Denial::Internal, a problem document and an audit line like any refusal.
// The bench-only build (feature `bench-repeat`) wraps this handler in its own (bench_repeat.rs).
#[cfg(not(feature = "objects"))]
#[cfg_attr(not(feature = "bench-repeat"), event(fetch))]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    // The head (method, URL, the headers read on every request) comes over in one crossing
    // and is shared by the audit and the gate.
    let headers = req.headers();
    let mut head = interop::Head::read(&req);
    let mut audit = AuditContext::of(&mut head, &env);
    let answer = gate(req, headers, head, &env, &ctx, &mut audit).await;
    revocations::cache_after_answer(&ctx);
    match answer {
        Ok(response) => Ok(response),
        Err(e) => {
            let realm = match load_config(&env).as_ref() {
                Ok(config) => config.realm.clone(),
                Err(_) => config::defaults::REALM.to_owned(),
            };
            let error = e.to_string();
            audit.deny(&realm, None, Denial::Internal { error })
        }
    }
}

/// One request to the gate: admin API, or route, authorize and forward.
async fn gate(
    req: web_sys::Request,
    headers: web_sys::Headers,
    head: interop::Head,
    env: &Env,
    ctx: &Context,
    audit: &mut AuditContext,
) -> worker::Result<web_sys::Response> {
    let method = audit.method.clone();
    let config = load_config(env);
    let config = match config.as_ref() {
        Ok(c) => c,
        Err(e) => {
            return audit.deny(
                config::defaults::REALM,
                None,
                Denial::Misconfigured {
                    setting: e.setting().to_owned(),
                },
            )
        }
    };
    let interop::Head {
        url,
        authorization,
        cookie,
        preflight,
        hop,
        ..
    } = head;
    let UrlParts {
        origin: own_origin,
        path: raw_path,
        query,
    } = split_url(&url);
    // Connection is read only when it can matter: one crossing fewer on every other request.
    let connection = match preflight {
        Some(_) => headers.get("connection")?,
        None => None,
    };
    let head = RequestHead {
        method: &method,
        query,
        authorization: authorization.as_deref(),
        cookie: cookie.as_deref(),
        preflight_method: http::preflight_method(preflight.as_deref(), connection.as_deref()),
    };

    // Ownership is decided on the normalized path, so no spelling of the admin prefix can
    // slip past the admin API to the origin. The admin API gets the same head hygiene as
    // every other path (http::route runs it first too), before anything else.
    let path = portcullis::routes::normalize_path(raw_path);
    if let Ok(path) = &path {
        audit.path = Some(path.as_str().to_owned());
        if http::admin::owns(path.as_str(), &config.admin_prefix) {
            if let Err(denial) = http::screen(&head, config.cookie.as_deref()) {
                return audit.deny(&config.realm, None, denial);
            }
            // Limited before any token is read: guessing admin credentials costs requests.
            if let Some(limit) = &config.admin_rate_limit {
                let key = limit.key_for(None, audit.client_ip.as_deref());
                if let Some(denial) = over_limit(env, limit, &key, None).await {
                    return audit.deny(&config.realm, None, denial);
                }
            }
            let admin_req = admin::AdminContext {
                env,
                ctx,
                config,
                path: path.as_str(),
                own_origin,
                audit,
            };
            return admin::handle(Request::from(req), admin_req)
                .await
                .map(Into::into);
        }
    }

    // A request this gate forwarded that came back to it (no ORIGIN_URL, or one that leads
    // here) is refused before anything else: forwarding it again would loop.
    let htu = path.as_ref().ok().map(|p| {
        portcullis::http::forwarding::origin_target(config.origin_url.as_deref(), own_origin, p)
    });
    if let Some(htu) = &htu {
        if portcullis::http::forwarding::is_loop(
            config.origin_keys.keys(),
            &method,
            htu,
            hop.as_deref(),
        ) {
            return audit.deny(&config.realm, None, Denial::LoopDetected);
        }
    }

    let routed = match http::route(config, &head, path) {
        Ok(r) => r,
        Err(denial) => return audit.deny(&config.realm, None, denial),
    };
    let rule = Some(routed.rule.index());
    let now_s = now_s();
    let mut signed = None;
    // The list the decision was made with, reported to the origin in the assertion.
    let mut list = None;
    let (reason, token) = match &routed.access {
        Admission::Signed => {
            let grant = match signed_grant(
                env,
                ctx,
                config,
                &routed,
                &headers,
                audit,
                raw_path,
                query,
                cookie.as_deref(),
                now_s,
            )
            .await?
            {
                Ok(grant) => grant,
                Err(denial) => return audit.deny(&config.realm, rule, denial),
            };
            if let Some(redirect) = http::signed::cookie_redirect(&grant, &routed.path) {
                audit.allow(
                    &config.audit,
                    "signed_cookie_set",
                    redirect.status,
                    rule,
                    None,
                );
                return send(redirect).map(Into::into);
            }
            signed = Some(grant);
            ("signed_url_valid", None)
        }
        Admission::Token(token) => {
            let held = revocations::current(env, ctx, config).await;
            list = held.as_ref().map(|h| h.stamp());
            let state = revocations::state(held.as_deref(), config);
            match http::authorize(config, routed.rule, token, state, now_s) {
                Ok(a) => {
                    if !a.revocation_checked {
                        worker::console_warn!(
                            "{}",
                            serde_json::json!({"event": "revocation_fail_open", "rule": rule})
                        );
                    }
                    // Read only when they can matter: a bearer token without `cnf` costs no
                    // extra crossing into JS.
                    let bound = a.token.claims.extra.contains_key("cnf");
                    let cert = bound.then(|| sender::client_cert(&req)).flatten();
                    let dpop = match routed.scheme {
                        Scheme::Dpop => headers.get("dpop")?,
                        Scheme::Bearer => None,
                    };
                    // The URL the client asked for, as the gate normalized it: what htu names.
                    let own_url = format!("{own_origin}{}", routed.path.as_str());
                    let presented = Presentation {
                        scheme: routed.scheme,
                        dpop_proof: dpop.as_deref(),
                        client_cert: cert.as_ref(),
                        method: &method,
                        htu: &own_url,
                        token,
                    };
                    match http::check_binding(config, routed.rule, &a.token, &presented, now_s) {
                        Ok(Binding::Dpop(proof)) => {
                            let holds = sender::proof_signature_holds(&proof).await;
                            let decided = sender::with_replay_cache(|cache| {
                                http::finish_dpop(config, &a.token, *proof, holds, cache, now_s)
                            });
                            if let Err(denial) = decided {
                                return audit.deny(&config.realm, rule, denial);
                            }
                        }
                        Ok(_) => {}
                        Err(denial) => return audit.deny(&config.realm, rule, denial),
                    }
                    (a.reason(), Some(a.token))
                }
                Err(denial) => return audit.deny(&config.realm, rule, denial),
            }
        }
        tokenless => (tokenless.reason(), None),
    };
    if let Some((limit, key)) =
        http::rate_limit_key(routed.rule, token.as_ref(), audit.client_ip.as_deref())
    {
        if let Some(denial) = over_limit(env, limit, &key, token.as_ref()).await {
            return audit.deny(&config.realm, rule, denial);
        }
    }
    let principal = match (&token, &signed) {
        (Some(t), _) => Some(Principal::of(t)),
        (None, Some(g)) => Some(Principal {
            kid: g.key_id.clone(),
            ..Principal::default()
        }),
        (None, None) => None,
    };
    let credential_headers = portcullis::http::forwarding::credential_headers(
        token.is_some(),
        authorization.as_deref(),
        cookie.as_deref(),
        config.cookie.as_deref(),
    );
    let incoming = forward::Incoming {
        req: &req,
        headers: &headers,
        method: &method,
        cookie: cookie.as_deref(),
        client_ip: audit.client_ip.as_deref(),
        own_origin,
        with_body: routed.access != Admission::Preflight,
        credential_headers,
        signed: signed.as_ref(),
    };
    // Routing succeeded, so the path normalized and `htu` is already set.
    let htu = htu.unwrap_or_else(|| {
        portcullis::http::forwarding::origin_target(
            config.origin_url.as_deref(),
            own_origin,
            &routed.path,
        )
    });
    match forward::forward(incoming, config, &htu, query, token.as_ref(), list, now_s).await {
        Ok(response) => {
            audit.allow(
                &config.audit,
                reason,
                response.status(),
                rule,
                principal.as_ref(),
            );
            Ok(response)
        }
        Err(denial) => audit.deny(&config.realm, rule, denial),
    }
}

/// A request on a signed-link rule: the core verifies the link; a ring-keyed link is then
/// checked against the revocation snapshot (its `kid` may be revoked). The outer `Result` is
/// the runtime's, the inner the gate's decision.
#[allow(clippy::too_many_arguments)]
async fn signed_grant(
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
    routed: &http::Routed<'_>,
    headers: &web_sys::Headers,
    audit: &AuditContext,
    raw_path: &str,
    query: Option<&str>,
    cookie: Option<&str>,
    now_s: i64,
) -> worker::Result<Result<http::signed::SignedGrant, Denial>> {
    let portcullis::routes::Access::Signed(format) = routed.rule.access() else {
        return Ok(Err(Denial::Misconfigured {
            setting: config::names::ROUTES.to_owned(),
        }));
    };
    let header = match http::signed::token_header(format) {
        Some(name) => headers.get(name)?,
        None => None,
    };
    let request = http::signed::SignedRequest {
        method: &audit.method,
        raw_path,
        query,
        path: &routed.path,
        cookie,
        header: header.as_deref(),
        client_ip: audit.client_ip.as_deref(),
    };
    let grant = match http::signed::verify_signed(config, format, &request, now_s) {
        Ok(grant) => grant,
        Err(denial) => return Ok(Err(denial)),
    };
    if grant.needs_revocation_check() {
        let snapshot = revocations::current(env, ctx, config).await;
        let state = revocations::state(snapshot.as_deref(), config);
        if let Err(denial) =
            http::signed::check_signed_revocation(&grant, routed.rule.fail_open(), state)
        {
            return Ok(Err(denial));
        }
    }
    Ok(Ok(grant))
}

/// The refusal when `key` is over `limit` (or the binding fails: a 500, audited), else none.
async fn over_limit(
    env: &Env,
    limit: &portcullis::ratelimit::RateLimit,
    key: &str,
    token: Option<&portcullis::jwt::verify::VerifiedToken>,
) -> Option<Denial> {
    match sender::within_limit(env, limit, key).await {
        Ok(true) => None,
        Ok(false) => Some(http::rate_limited(limit, token)),
        Err(error) => Some(Denial::Internal { error }),
    }
}

#[cfg(not(feature = "objects"))]
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The writer drains any keys of the KV-only layout and publishes if it is behind; the
    // cron no longer lists or rebuilds anything itself.
    match revocations::tick(&env).await {
        // The writer answers JSON; logged as an object so the line stays one schema kind.
        Ok(summary) => match serde_json::from_str::<serde_json::Value>(&summary) {
            Ok(summary) => worker::console_log!(
                "{}",
                serde_json::json!({"event": "revocation_tick", "summary": summary})
            ),
            Err(e) => worker::console_error!(
                "{}",
                serde_json::json!({"event": "revocation_tick_failed", "error": e.to_string()})
            ),
        },
        Err(e) => worker::console_error!(
            "{}",
            serde_json::json!({"event": "revocation_tick_failed", "error": e})
        ),
    }
}
