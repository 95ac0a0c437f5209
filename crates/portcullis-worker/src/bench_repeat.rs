//! Bench only (cargo feature `bench-repeat`, never in the shipped build): where the gate's
//! per-request CPU goes in workerd, measured by repetition instead of by a sampling profiler
//! (which distorts: BENCHMARKS.md 3a, 3d).
//!
//! This build's fetch handler is this module's: it runs the gate's own handler unchanged
//! ([`crate::fetch`]), then, when the request carries `x-bench-repeat: <piece>=<k>`, does that
//! one piece of the gate's per-request work `k` more times (Rust results through
//! [`black_box`], JS calls really made). bench/js/slope.mjs loads it at k = 0 and k = N,
//! alternated, and reads each piece's cost as the slope of workerd CPU per request over k.
//! Everything a piece needs is prepared before its loop at any k, so k = 0 pays it too and
//! only the repeated work remains in the difference.

use std::hint::black_box;

use wasm_bindgen::prelude::*;
use worker::{event, js_sys, wasm_bindgen_futures::JsFuture, web_sys, Context, Env};

use portcullis::config::GateConfig;
use portcullis::http::forwarding::{self, Inbound};
use portcullis::http::url::split_url;
use portcullis::http::{self, Admission, AuditRecord, AuditRequest, Principal, RequestHead};
use portcullis::jwt::verify::VerifiedToken;

use crate::{forward, interop, revocations};

/// The request header that names the piece and its count.
const HEADER: &str = "x-bench-repeat";

#[wasm_bindgen(inline_js = r#"
export function nothing() {}
// fetch_origin's JS side without the fetch: the outgoing Request built from the incoming
// one's method, headers and cf, the plan applied to its headers.
export function copy_headers(req, remove, set) {
  const out = new Request("https://origin.invalid/", { method: req.method, headers: req.headers, body: null, cf: req.cf });
  const headers = out.headers;
  if (remove) for (const name of remove.split("\n")) headers.delete(name);
  const pairs = set.split("\n");
  for (let i = 0; i + 1 < pairs.length; i += 2) headers.set(pairs[i], pairs[i + 1]);
}
// The rest of fetch_origin's init: fetch's options object, without and with the origin
// timeout's signal.
export function fetch_init(method) {
  return { redirect: "manual", cache: "no-store" } !== null && method !== null;
}
export function timeout_signal(timeoutMs) {
  return AbortSignal.timeout(timeoutMs) !== null;
}
// Candidate: the outgoing headers as one list of pairs (the incoming ones not removed, then
// the plan's), given to a new Headers once.
export function copy_headers_pairs(req, remove, set) {
  const drop = remove ? new Set(remove.split("\n")) : null;
  const pairs = [];
  for (const [name, value] of req.headers) if (!drop || !drop.has(name)) pairs.push([name, value]);
  const add = set.split("\n");
  for (let i = 0; i + 1 < add.length; i += 2) pairs.push([add[i], add[i + 1]]);
  return new Headers(pairs) !== null;
}
// A whole subrequest as the gate makes it (fetch_origin), and as the floor makes it (the
// incoming request as the init of a new Request), each answer read to the end.
export async function fetch_gate(req, target, method, remove, set, timeoutMs) {
  const out = new Request(target, { method, headers: req.headers, body: null, cf: req.cf });
  const headers = out.headers;
  if (remove) for (const name of remove.split("\n")) headers.delete(name);
  const pairs = set.split("\n");
  for (let i = 0; i + 1 < pairs.length; i += 2) headers.set(pairs[i], pairs[i + 1]);
  const r = await fetch(out, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) });
  await r.arrayBuffer();
}
export async function fetch_floor(req, target) {
  const r = await fetch(new Request(target, req));
  await r.arrayBuffer();
}
// Candidate: the private copy with its headers given to the constructor as pairs.
export function with_headers_pairs(response, set) {
  const pairs = [...response.headers];
  const add = set.split("\n");
  for (let i = 0; i + 1 < add.length; i += 2) pairs.push([add[i], add[i + 1]]);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: pairs });
}
"#)]
extern "C" {
    fn nothing();
    fn copy_headers(req: &web_sys::Request, remove: &str, set: &str);
    fn fetch_init(method: &str) -> bool;
    fn timeout_signal(timeout_ms: f64) -> bool;
    fn copy_headers_pairs(req: &web_sys::Request, remove: &str, set: &str) -> bool;
    fn fetch_gate(
        req: &web_sys::Request,
        target: &str,
        method: &str,
        remove: &str,
        set: &str,
        timeout_ms: f64,
    ) -> js_sys::Promise;
    fn fetch_floor(req: &web_sys::Request, target: &str) -> js_sys::Promise;
    fn with_headers_pairs(response: &web_sys::Response, set: &str) -> web_sys::Response;
}

/// The pieces, by the name the header gives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Piece {
    /// Route, verify + revocation + scopes, identity headers and assertion, hop marker, the
    /// outbound header plan, the private-response plan, the audit record and its JSON line.
    Core,
    /// The verify alone (http::authorize).
    Verify,
    /// The allowed request's audit record and its JSON line (no logging).
    Line,
    /// interop::Head::read: the request head in one crossing.
    Head,
    /// interop::header_names: the incoming header names in one crossing.
    Names,
    /// forward::outbound_plan: the names crossing and the plan as two strings.
    Plan,
    /// fetch_origin's JS side without the fetch: the outgoing Request (its headers copied) with
    /// the plan applied.
    Headers,
    /// Candidate: the same headers built from one list of pairs.
    HeadersPairs,
    /// fetch_origin's init object, without the signal.
    Init,
    /// The origin timeout's AbortSignal.timeout.
    Signal,
    /// A whole subrequest as the gate makes it (headers, init, signal), answer read.
    FetchGate,
    /// A whole subrequest as the floor makes it (`new Request(target, req)`), answer read.
    FetchFloor,
    /// The private copy of the response (caching headers read, new Response, sets).
    Private,
    /// Candidate: the private copy with its headers given to the constructor as pairs.
    PrivatePairs,
    /// One console.log of the audit line.
    Log,
    /// The analytics dataset lookup on `env` (Reflect::get).
    Analytics,
    /// Date::now.
    Now,
    /// An empty call into JS.
    Crossing,
    /// One await of a resolved JS promise (wasm-bindgen-futures' glue).
    Await,
}

impl Piece {
    fn parse(name: &str) -> Option<Piece> {
        Some(match name {
            "core" => Piece::Core,
            "verify" => Piece::Verify,
            "line" => Piece::Line,
            "head" => Piece::Head,
            "names" => Piece::Names,
            "plan" => Piece::Plan,
            "headers" => Piece::Headers,
            "headers-pairs" => Piece::HeadersPairs,
            "init" => Piece::Init,
            "signal" => Piece::Signal,
            "fetch-gate" => Piece::FetchGate,
            "fetch-floor" => Piece::FetchFloor,
            "private" => Piece::Private,
            "private-pairs" => Piece::PrivatePairs,
            "log" => Piece::Log,
            "analytics" => Piece::Analytics,
            "now" => Piece::Now,
            "crossing" => Piece::Crossing,
            "await" => Piece::Await,
            _ => return None,
        })
    }
}

fn bad(spec: &str) -> worker::Error {
    worker::Error::RustError(format!("{HEADER}: expected <piece>=<count>, got {spec:?}"))
}

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    let Some(spec) = req.headers().get(HEADER)? else {
        return crate::fetch(req, env, ctx).await;
    };
    let (name, count) = spec.split_once('=').ok_or_else(|| bad(&spec))?;
    let piece = Piece::parse(name).ok_or_else(|| bad(&spec))?;
    let k: u32 = count.parse().map_err(|_| bad(&spec))?;
    // The same JS object (Clone of the handle), not Request.clone(): nothing is copied.
    let copy = <web_sys::Request as Clone>::clone(&req);
    let config = crate::load_config(&env);
    let held = match config.as_ref() {
        Ok(c) => revocations::current(&env, &ctx, c).await,
        Err(_) => None,
    };
    let response = crate::fetch(req, env.clone(), ctx).await?;
    let config = config
        .as_ref()
        .as_ref()
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    repeat(piece, k, &copy, &env, config, held.as_deref(), response).await
}

/// What the core decides for an allowed request, as the gate computes it.
struct Decided {
    htu: String,
    token: VerifiedToken,
    rule: usize,
    reason: &'static str,
}

/// Route and authorize: the gate's steps up to the verified token.
fn decide(
    config: &GateConfig,
    head: &interop::Head,
    held: Option<&revocations::Held>,
    now_s: i64,
) -> Option<Decided> {
    let url = split_url(&head.url);
    let request = RequestHead {
        method: &head.method,
        query: url.query,
        authorization: head.authorization.as_deref(),
        cookie: head.cookie.as_deref(),
        preflight_method: None,
    };
    let path = portcullis::routes::normalize_path(url.path);
    let routed = http::route(config, &request, path).ok()?;
    let Admission::Token(token) = routed.access else {
        return None;
    };
    let state = revocations::state(held, config);
    let a = http::authorize(config, routed.rule, &token, state, now_s).ok()?;
    Some(Decided {
        htu: forwarding::origin_target(config.origin_url.as_deref(), url.origin, &routed.path),
        rule: routed.rule.index(),
        reason: a.reason(),
        token: a.token,
    })
}

/// The audit line of an allowed request, as AuditContext builds it.
fn line(head: &interop::Head, decided: &Decided, time_ms: u64) -> String {
    let request = AuditRequest {
        time_ms,
        client_ip: head.client_ip.as_deref(),
        ray: head.ray.as_deref(),
        method: &head.method,
        path: Some("/orders/1"),
    };
    let who = Principal::of(&decided.token);
    AuditRecord::allow(
        "gate",
        &request,
        Some(decided.rule),
        decided.reason,
        200,
        Some(&who),
    )
    .to_line()
}

/// The whole core path once: what the gate asks the core for on an allowed request.
fn core(
    config: &GateConfig,
    head: &interop::Head,
    names: &str,
    held: Option<&revocations::Held>,
    now_s: i64,
) {
    let Some(d) = decide(config, head, held, now_s) else {
        return;
    };
    let method = head.method.as_str();
    let hop = forwarding::hop_marker(&config.origin_key, method, &d.htu);
    let list = held.map(|h| h.stamp());
    let identity =
        http::identity_headers(&config.origin_key, &d.token, method, &d.htu, now_s, list);
    let own_origin = split_url(&head.url).origin;
    let plan = forwarding::outbound_headers(
        names.split('\n').filter(|n| !n.is_empty()),
        &Inbound {
            connection: None,
            client_ip: head.client_ip.as_deref(),
            own_origin,
            with_body: true,
            hop: &hop,
        },
    );
    let credential = forwarding::credential_headers(
        true,
        head.authorization.as_deref(),
        head.cookie.as_deref(),
        config.cookie.as_deref(),
    );
    let private = forwarding::private_response_headers(None, None, &credential);
    black_box((identity, plan, private, line(head, &d, 1_800_000_000_000)));
}

async fn repeat(
    piece: Piece,
    k: u32,
    req: &web_sys::Request,
    env: &Env,
    config: &GateConfig,
    held: Option<&revocations::Held>,
    mut response: web_sys::Response,
) -> worker::Result<web_sys::Response> {
    let headers = req.headers();
    let head = interop::Head::read(req);
    let now_s = crate::now_s();
    let names = interop::header_names(&headers);
    let decided = decide(config, &head, held, now_s)
        .ok_or_else(|| worker::Error::RustError("the bench request must be allowed".into()))?;
    let audit_line = line(&head, &decided, crate::now_ms());
    let hop = forwarding::hop_marker(&config.origin_key, &head.method, &decided.htu);
    let identity = http::identity_headers(
        &config.origin_key,
        &decided.token,
        &head.method,
        &decided.htu,
        now_s,
        None,
    );
    let cookie = head.cookie.as_deref();
    let incoming = forward::Incoming {
        req,
        headers: &headers,
        method: &head.method,
        cookie,
        client_ip: head.client_ip.as_deref(),
        own_origin: split_url(&head.url).origin,
        with_body: true,
        credential_headers: forwarding::credential_headers(
            true,
            head.authorization.as_deref(),
            cookie,
            config.cookie.as_deref(),
        ),
        signed: None,
    };
    let (remove, set) = forward::outbound_plan(&incoming, config, &hop, &identity);
    let url = split_url(&head.url);
    let request = RequestHead {
        method: &head.method,
        query: url.query,
        authorization: head.authorization.as_deref(),
        cookie,
        preflight_method: None,
    };
    let routed = http::route(
        config,
        &request,
        portcullis::routes::normalize_path(url.path),
    )
    .map_err(|_| worker::Error::RustError("the bench request must be routed".into()))?;
    let Admission::Token(token) = routed.access else {
        return Err(worker::Error::RustError(
            "the bench route must take a token".into(),
        ));
    };
    for _ in 0..k {
        match piece {
            Piece::Core => core(config, &head, &names, held, now_s),
            Piece::Verify => {
                let state = revocations::state(held, config);
                black_box(
                    http::authorize(config, routed.rule, black_box(token.as_str()), state, now_s)
                        .is_ok(),
                );
            }
            Piece::Line => {
                black_box(line(&head, &decided, 1_800_000_000_000));
            }
            Piece::Head => {
                black_box(interop::Head::read(req));
            }
            Piece::Names => {
                black_box(interop::header_names(&headers));
            }
            Piece::Plan => {
                black_box(forward::outbound_plan(&incoming, config, &hop, &identity));
            }
            Piece::Headers => copy_headers(req, &remove, &set),
            Piece::HeadersPairs => {
                black_box(copy_headers_pairs(req, &remove, &set));
            }
            Piece::Init => {
                black_box(fetch_init(&head.method));
            }
            Piece::Signal => {
                black_box(timeout_signal(config.origin_timeout_ms as f64));
            }
            Piece::FetchGate => {
                let timeout = config.origin_timeout_ms as f64;
                JsFuture::from(fetch_gate(
                    req,
                    &decided.htu,
                    &head.method,
                    &remove,
                    &set,
                    timeout,
                ))
                .await?;
            }
            Piece::FetchFloor => {
                JsFuture::from(fetch_floor(req, &decided.htu)).await?;
            }
            Piece::Private => {
                // As forward::mark_private does for an origin answer without Cache-Control or
                // Vary (the bench origin's): the gate already marked this one, so calling it
                // would find nothing to set and skip the copy.
                let pairs = private_plan(&response, &incoming.credential_headers);
                response = interop::with_headers(&response, &pairs)?;
            }
            Piece::PrivatePairs => {
                let pairs = private_plan(&response, &incoming.credential_headers);
                response = with_headers_pairs(&response, &pairs);
            }
            Piece::Log => web_sys::console::log_1(&JsValue::from_str(&audit_line)),
            Piece::Analytics => {
                black_box(crate::audit::analytics(env));
            }
            Piece::Now => {
                black_box(crate::now_ms());
            }
            Piece::Crossing => nothing(),
            Piece::Await => {
                black_box(JsFuture::from(js_sys::Promise::resolve(&JsValue::UNDEFINED)).await?);
            }
        }
    }
    Ok(response)
}

/// What forward::mark_private reads and plans before its copy, for an origin answer without
/// Cache-Control or Vary (the bench origin's): the pairs both private pieces apply.
fn private_plan(response: &web_sys::Response, credential: &[&str]) -> String {
    black_box(interop::caching(response));
    let set = forwarding::private_response_headers(None, None, credential);
    let mut pairs = String::with_capacity(64);
    interop::push_pairs(&mut pairs, set.iter().map(|(n, v)| (*n, v.as_str())));
    pairs
}
