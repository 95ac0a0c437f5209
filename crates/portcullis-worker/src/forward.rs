//! Forwarding an authorized request to the origin: same method, query, headers and body
//! (streamed both ways), the normalized path, and the headers [`forwarding`] plans: no
//! credentials, no header the gate did not decide on, `X-Forwarded-*` and the hop marker
//! from the gate, and the identity headers.
//!
//! This is the per-request hot path, so it crosses the wasm boundary as little as it can
//! ([`interop`]): the header names come over in one call, the core plans the headers, and
//! one call builds the outgoing request from the incoming one (its headers copied, its `cf`
//! carried), applies the plan and starts the fetch with its timer; the origin's response is
//! handed back untouched, except that a response to a credential-authorized request is
//! re-wrapped (headers copied, body still streamed) when its caching headers need marking,
//! in two more calls.

use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures;
use worker::web_sys::{self, Headers};

use crate::interop;

use portcullis::config::GateConfig;
use portcullis::http::forwarding::{self, Inbound};
use portcullis::http::{self, Denial};
use portcullis::jwt::verify::VerifiedToken;

/// What the gate already read of the incoming request.
pub(crate) struct Incoming<'a> {
    pub req: &'a web_sys::Request,
    pub headers: &'a Headers,
    pub method: &'a str,
    pub cookie: Option<&'a str>,
    /// `CF-Connecting-IP`, as the audit context already read it.
    pub client_ip: Option<&'a str>,
    /// `scheme://authority` of the request URL.
    pub own_origin: &'a str,
    /// False for a CORS preflight: the origin gets no body.
    pub with_body: bool,
    /// The request headers that may have carried the credential (empty: none was read).
    pub credential_headers: Vec<&'static str>,
    /// The signed link that let the request through, if one did: its query, the cookie or
    /// header that carried it, and the assertion's claims.
    pub signed: Option<&'a http::signed::SignedGrant>,
}

/// The header plan for the origin, as the two `\n`-joined lists [`interop::fetch_origin`]
/// takes: the incoming names to delete, and the name/value pairs to set (the plan's, the
/// cookie without the gate's cookie, and the identity headers).
pub(crate) fn outbound_plan(
    incoming: &Incoming<'_>,
    config: &GateConfig,
    hop: &str,
    identity: &[(&'static str, String)],
) -> (String, String) {
    // All names in one crossing.
    let names = interop::header_names(incoming.headers);
    // Connection is read only when the request has one (header names come lower case).
    let connection = match names.split('\n').any(|n| n == "connection") {
        true => incoming.headers.get("connection").ok().flatten(),
        false => None,
    };
    let plan = forwarding::outbound_headers(
        names.split('\n').filter(|n| !n.is_empty()),
        &Inbound {
            connection: connection.as_deref(),
            client_ip: incoming.client_ip,
            own_origin: incoming.own_origin,
            with_body: incoming.with_body,
            hop,
        },
    );
    let mut remove = plan.delete.join("\n");
    // The header that carried a signed link stays at the gate.
    if let Some(name) = incoming.signed.and_then(|g| g.strip_header.as_deref()) {
        remove.push('\n');
        remove.push_str(name);
    }
    let mut set = String::with_capacity(512);
    interop::push_pairs(&mut set, plan.set.iter().map(|(n, v)| (*n, v.as_str())));
    if let (Some(cookie), true) = (incoming.cookie, plan.keep_cookie) {
        let mut kept = match &config.cookie {
            Some(name) => http::cookie_without(cookie, name),
            None => Some(cookie.to_owned()),
        };
        // So does the cookie that carried a signed link.
        if let Some(name) = incoming.signed.and_then(|g| g.strip_cookie.as_deref()) {
            kept = kept.and_then(|c| http::cookie_without(&c, name));
        }
        if let Some(kept) = &kept {
            interop::push_pairs(&mut set, [("cookie", kept.as_str())]);
        }
    }
    interop::push_pairs(&mut set, identity.iter().map(|(n, v)| (*n, v.as_str())));
    (remove, set)
}

/// Sends the request on; `Err` only when the origin cannot be reached or is too slow.
pub(crate) async fn forward(
    incoming: Incoming<'_>,
    config: &GateConfig,
    htu: &str,
    query: Option<&str>,
    token: Option<&VerifiedToken>,
    list: Option<http::ListStamp>,
    now_s: i64,
) -> Result<web_sys::Response, Denial> {
    // A signed link's parameters never reach the origin.
    let query = match incoming.signed {
        Some(grant) => grant.forward_query.as_deref(),
        None => query,
    };
    let target = match query {
        Some(q) => format!("{htu}?{q}"),
        None => htu.to_owned(),
    };

    let hop = forwarding::hop_marker(&config.origin_key, incoming.method, htu);
    let identity = match (token, incoming.signed) {
        (Some(token), _) => {
            http::identity_headers(&config.origin_key, token, incoming.method, htu, now_s, list)
        }
        (None, Some(grant)) => vec![(
            "x-portcullis-assertion",
            forwarding::signed_assertion(&config.origin_key, grant, incoming.method, htu, now_s),
        )],
        (None, None) => Vec::new(),
    };
    let (remove, set) = outbound_plan(&incoming, config, &hop, &identity);

    // One crossing builds the headers and the request, starts the fetch and its timer; the
    // timeout covers the wait for the response head, and a body then streams at its own pace.
    // Bench-only builds (features bench-nosignal, bench-lean; never shipped) send without the
    // origin timeout's signal, to measure what it costs the tail (bench/js/fixed-rate.mjs).
    #[cfg(any(feature = "bench-nosignal", feature = "bench-lean"))]
    let pending = crate::bench_variant::fetch_origin_bare(
        incoming.req,
        &target,
        incoming.method,
        &remove,
        &set,
        incoming.with_body,
    );
    #[cfg(not(any(feature = "bench-nosignal", feature = "bench-lean")))]
    let pending = interop::fetch_origin(
        incoming.req,
        &target,
        incoming.method,
        &remove,
        &set,
        incoming.with_body,
        config.origin_timeout_ms as f64,
    )
    .map_err(|_| Denial::OriginUnreachable)?;
    let outcome = wasm_bindgen_futures::JsFuture::from(pending)
        .await
        .map_err(|_| Denial::OriginUnreachable)?;
    let response = match outcome.dyn_into::<web_sys::Response>() {
        Ok(response) => response,
        Err(code) if code.as_f64() == Some(1.0) => return Err(Denial::OriginTimeout),
        Err(_) => return Err(Denial::OriginUnreachable),
    };
    // Bench-only builds (features bench-noprivate, bench-lean; never shipped: a credentialed
    // response must be marked private) hand the origin's response back as it came.
    if cfg!(any(feature = "bench-noprivate", feature = "bench-lean")) {
        return Ok(response);
    }
    match incoming.credential_headers.is_empty() {
        true => Ok(response),
        false => mark_private(response, &incoming.credential_headers),
    }
}

/// The origin's response to a credential-authorized request with the headers
/// [`forwarding::private_response_headers`] asks for; the same object when none are needed.
/// The copy keeps the body stream: nothing is buffered. A response that cannot be marked is
/// not sent unmarked: that is a 502.
fn mark_private(
    response: web_sys::Response,
    credential: &[&str],
) -> Result<web_sys::Response, Denial> {
    let (cache_control, vary) = interop::caching(&response);
    let set =
        forwarding::private_response_headers(cache_control.as_deref(), vary.as_deref(), credential);
    if set.is_empty() {
        return Ok(response);
    }
    let mut pairs = String::with_capacity(64);
    interop::push_pairs(&mut pairs, set.iter().map(|(n, v)| (*n, v.as_str())));
    interop::with_headers(&response, &pairs).map_err(|_| Denial::OriginUnreachable)
}
